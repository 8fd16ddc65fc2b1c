package main

import (
	"context"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The SDK loop runs every mode against the no-op endpoint without an
// error: its answers satisfy aws-sdk-go-v2 (MD5 checks included).
func TestNoopEndpointServesEveryMode(t *testing.T) {
	srv := httptest.NewServer(newNoopServer())
	defer srv.Close()
	target := newSDKTarget([]string{srv.URL}, 2, "us-east-1")
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			p, err := target.prepare(ctx, workload{mode: mode, body: benchBody(100), batch: 10}, "q-"+mode)
			if err != nil {
				t.Fatal(err)
			}
			defer p.cleanup()
			if p.preload != nil {
				if err := p.preload(ctx, 25, nil); err != nil {
					t.Fatal(err)
				}
			}
			res, err := runLoad(ctx, loadSpec{workers: 2, duration: 200 * time.Millisecond}, p.op)
			if err != nil {
				t.Fatal(err)
			}
			if res.Msgs == 0 || res.Errors != 0 {
				t.Fatalf("%d messages, %d errors", res.Msgs, res.Errors)
			}
		})
	}
}

func TestBacklogEndsTheRun(t *testing.T) {
	op := func(_ context.Context, _ int, tl *tally) { tl.messages(1) }
	res, err := runLoad(context.Background(), loadSpec{workers: 2, duration: time.Minute, backlog: 100}, op)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Drained || res.Msgs < 100 {
		t.Fatalf("drained %v after %d messages", res.Drained, res.Msgs)
	}
}

func TestSumMetrics(t *testing.T) {
	text := `# HELP wharf_raft_commands_total Commands.
# TYPE wharf_raft_commands_total counter
wharf_raft_commands_total{kind="send"} 30
wharf_raft_commands_total{kind="delete"} 12 1700000000000
wharf_raft_entries_total 7
wharf_raft_entries_total_other 99
`
	sums := sumMetrics(strings.NewReader(text), "wharf_raft_commands_total", "wharf_raft_entries_total", "absent_total")
	if sums["wharf_raft_commands_total"] != 42 || sums["wharf_raft_entries_total"] != 7 {
		t.Fatalf("%v", sums)
	}
	if _, ok := sums["absent_total"]; ok {
		t.Fatal("an absent metric has a sum")
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5}, 5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestTargetChecks(t *testing.T) {
	s := &suite{o: benchOptions{workers: []int{1, 64}, size: 100}, runs: map[cellKey][]cellRun{}}
	add := func(k cellKey, rate, p50 float64) {
		s.runs[k] = append(s.runs[k], cellRun{runResult: runResult{MsgsPerSec: rate, P50Ms: p50}, cmdsPerEntry: math.NaN()})
	}
	add(cellKey{modeSend, targetSDKLeader, 64}, 800, 5)
	add(cellKey{modeSend, targetNoop, 64}, 1000, 1)
	add(cellKey{modeSend, targetSDKFollower, 64}, 500, 5)
	add(cellKey{modeSend, targetSDKLeader, 1}, 100, 1.5)
	add(cellKey{target: targetRaft, workers: 1}, 100, 1.2)
	got := map[string]targetCheck{}
	for _, c := range s.checkTargets() {
		got[c.name()] = c
	}
	for name, want := range map[string]string{
		"target 1 leader":   "ok",
		"target 1 follower": "MISS",
		"target 2":          "skip",
		"target 5 leader":   "ok",
		"target 6":          "skip",
	} {
		if r := got[name].result(); r != want {
			t.Errorf("%s: %s, want %s (%s)", name, r, want, got[name])
		}
	}
	if line := got["target 1 leader"].String(); !strings.Contains(line, "ratio 0.8 (need >= 0.75) ok") {
		t.Errorf("line %q", line)
	}
	if r, ref := s.ratio(cellKey{modeSend, targetSDKLeader, 64}); ref != targetNoop || r != 0.8 {
		t.Errorf("ratio %v to %s", r, ref)
	}
}
