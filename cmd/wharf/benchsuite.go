package main

// The benchmark suite (`wharf bench` without --endpoint): a fresh cluster
// and the two references as children, every mode × target × concurrency
// measured --runs times, medians reported with ratios to the references.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// The targets of the suite.
const (
	targetSDKLeader   = "sdk-leader"
	targetSDKFollower = "sdk-follower"
	targetNative      = "native"
	targetNoop        = "noop" // reference: the SDK against the no-op endpoint
	targetRaft        = "raft" // reference: bare raft, one entry per operation
)

// allTargets lists the targets in the order the suite runs and reports
// them.
var allTargets = []string{targetSDKLeader, targetSDKFollower, targetNative, targetNoop, targetRaft}

// sendBatchSize is the number of messages per SendMessageBatch.
const sendBatchSize = 10

// cellKey names a cell of the report. The raft reference has no mode.
type cellKey struct {
	mode    string
	target  string
	workers int
}

// cellRun is one run of a cell: the load result and, on the cluster, the
// CPU seconds per node (leader first, see roleOrder) and the commands per
// raft entry (NaN when unknown). The raft reference's cpu is the whole
// process's (3 nodes).
type cellRun struct {
	runResult
	cpu          []float64
	cmdsPerEntry float64
}

// suite is one run of the benchmark suite.
type suite struct {
	o              benchOptions
	stdout, stderr io.Writer
	bin, dir       string
	procs          *children

	cluster *benchCluster
	noopURL string
	sdk     map[string]*sdkTarget // sdk-leader, sdk-follower, noop
	native  *nativeTarget

	runs     map[cellKey][]cellRun
	failures map[cellKey]string
	queued   *queuedResult
}

// runSuite runs the suite with o and prints the report on stdout and the
// progress on stderr. Every child process and temp dir is gone when it
// returns.
func runSuite(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	if err := validateSuite(o); err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "wharf-bench-")
	if err != nil {
		return err
	}
	s := &suite{o: o, stdout: stdout, stderr: stderr, bin: bin, dir: dir, procs: &children{},
		sdk: map[string]*sdkTarget{}, runs: map[cellKey][]cellRun{}, failures: map[cellKey]string{}}
	defer s.close()
	s.printPlan()
	err = s.run(ctx)
	if ctx.Err() != nil {
		return errors.New("interrupted: the cluster and the references are stopped")
	}
	return err
}

// run runs the phases and prints the report.
func (s *suite) run(ctx context.Context) error {
	o := s.o
	if len(o.modes) > 0 {
		if err := s.throughput(ctx); err != nil {
			return err
		}
		s.printTables()
	}
	if o.queued > 0 {
		if err := s.runQueued(ctx); err != nil {
			return err
		}
		s.printQueued()
	}
	checks := s.checkTargets()
	printChecks(s.stdout, checks)
	s.printSummary(checks)
	return nil
}

// validateSuite checks the suite's flags.
func validateSuite(o benchOptions) error {
	for _, m := range o.modes {
		if !slices.Contains(allModes, m) {
			return fmt.Errorf("--modes: unknown mode %q (modes: %s)", m, strings.Join(allModes, ", "))
		}
	}
	for _, t := range o.targets {
		if !slices.Contains(allTargets, t) {
			return fmt.Errorf("--targets: unknown target %q (targets: %s)", t, strings.Join(allTargets, ", "))
		}
	}
	for _, w := range o.workers {
		if w < 1 {
			return errors.New("--workers must be at least 1")
		}
	}
	switch {
	case len(o.workers) == 0:
		return errors.New("--workers: none given")
	case o.runs < 1:
		return errors.New("--runs must be at least 1")
	case o.size < 1 || o.size > 256*1024:
		return errors.New("--size must be 1..262144")
	case o.queued < 0:
		return errors.New("--queued must not be negative")
	case len(o.modes) == 0 && o.queued == 0:
		return errors.New("nothing to run: no --modes and no --queued")
	}
	return nil
}

// close kills every child and removes the temp dir.
func (s *suite) close() {
	s.procs.killAll()
	if s.native != nil {
		s.native.close()
	}
	_ = os.RemoveAll(s.dir)
}

func (s *suite) has(target string) bool { return slices.Contains(s.o.targets, target) }

// loadTargets are the selected targets the mode loop runs (all but raft).
func (s *suite) loadTargets() []string {
	var out []string
	for _, t := range allTargets {
		if t != targetRaft && s.has(t) {
			out = append(out, t)
		}
	}
	return out
}

func isWharfTarget(t string) bool {
	return t == targetSDKLeader || t == targetSDKFollower || t == targetNative
}

// printPlan tells stderr what will run and roughly for how long.
func (s *suite) printPlan() {
	if len(s.o.modes) > 0 {
		n := len(s.o.modes) * len(s.o.workers) * s.o.runs * len(s.loadTargets())
		if s.has(targetRaft) {
			n += len(s.o.workers) * s.o.runs
		}
		fmt.Fprintf(s.stderr, "bench: %d timed runs of %v (modes %s; targets %s; in flight %s), at least %v\n",
			n, s.o.duration, strings.Join(s.o.modes, ","), strings.Join(s.o.targets, ","),
			joinInts(s.o.workers), (time.Duration(n) * s.o.duration).Round(time.Second))
	}
	if s.o.queued > 0 {
		fmt.Fprintf(s.stderr, "bench: then %d messages queued on a fresh cluster, and two restarts\n", s.o.queued)
	}
}

// throughput runs the modes phase: starts the cluster and the references,
// then runs every cell, runs interleaved so that drift spreads over the
// targets.
func (s *suite) throughput(ctx context.Context) error {
	if slices.ContainsFunc(s.loadTargets(), isWharfTarget) {
		c, err := startBenchCluster(ctx, s.bin, filepath.Join(s.dir, "cluster"), s.procs, s.stderr)
		if err != nil {
			return err
		}
		s.cluster = c
		defer func() {
			c.stop()
			s.cluster = nil
			_ = os.RemoveAll(filepath.Join(s.dir, "cluster"))
		}()
	}
	if s.has(targetNoop) {
		if err := s.startNoop(ctx); err != nil {
			return err
		}
	}
	if err := s.buildTargets(); err != nil {
		return err
	}
	if s.has(targetRaft) {
		if err := s.runRaftRef(ctx); err != nil {
			return err
		}
	}
	for _, mode := range s.o.modes {
		for _, w := range s.o.workers {
			for r := 1; r <= s.o.runs; r++ {
				for _, t := range s.loadTargets() {
					if err := s.runCell(ctx, cellKey{mode, t, w}, r); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// buildTargets makes the clients of the load targets.
func (s *suite) buildTargets() error {
	maxW := slices.Max(s.o.workers)
	if s.has(targetNoop) {
		s.sdk[targetNoop] = newSDKTarget([]string{s.noopURL}, maxW, s.o.region)
	}
	if s.cluster == nil {
		return nil
	}
	s.sdk[targetSDKLeader] = newSDKTarget([]string{s.cluster.leader.url()}, maxW, s.o.region)
	s.sdk[targetSDKFollower] = newSDKTarget([]string{s.cluster.followers[0].url()}, maxW, s.o.region)
	if s.native == nil {
		n, err := newNativeTarget(s.cluster.leader.url())
		if err != nil {
			return err
		}
		s.native = n
	}
	return nil
}

// ensureLeader checks that the leader has not moved since the targets
// were made, and remakes the SDK targets when it did.
func (s *suite) ensureLeader(ctx context.Context) error {
	c := s.cluster
	if st, err := c.status(ctx, c.leader); err == nil && c.leaderOf(st) == c.leader {
		return nil
	}
	old := c.leader.id
	if err := c.findRoles(ctx); err != nil {
		return err
	}
	fmt.Fprintf(s.stderr, "bench: the leader moved from %s to %s; the sdk targets follow\n", old, c.leader.id)
	return s.buildTargets()
}

// prepare sets up a workload on a target.
func (s *suite) prepare(ctx context.Context, target string, wl workload, name string) (*prepared, error) {
	if target == targetNative {
		return s.native.prepare(ctx, wl, name)
	}
	return s.sdk[target].prepare(ctx, wl, name)
}

// runCell runs one run of a cell and records it. A cell that fails
// (setup, preload) is recorded as failed and the suite goes on; only the
// end of ctx stops it.
func (s *suite) runCell(ctx context.Context, key cellKey, run int) error {
	res, err := s.measureCell(ctx, key)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	label := fmt.Sprintf("%s %s %d in flight, run %d/%d", key.mode, key.target, key.workers, run, s.o.runs)
	if err != nil {
		fmt.Fprintf(s.stderr, "bench: %s failed: %v\n", label, err)
		s.failures[key] = err.Error()
		return nil
	}
	s.runs[key] = append(s.runs[key], res)
	note := ""
	if res.Drained {
		note = " (backlog consumed)"
	}
	if res.FirstError != "" {
		note += "; first error: " + res.FirstError
	}
	fmt.Fprintf(s.stderr, "bench: %s: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, %d errors%s\n",
		label, res.MsgsPerSec, res.P50Ms, res.P99Ms, res.Errors, note)
	return nil
}

// measureCell sets up the cell's workload, preloads it when it needs a
// backlog, runs it and measures the cluster around the run.
func (s *suite) measureCell(ctx context.Context, key cellKey) (cellRun, error) {
	wharf := isWharfTarget(key.target)
	if wharf {
		if err := s.ensureLeader(ctx); err != nil {
			return cellRun{}, err
		}
	}
	wl := workload{mode: key.mode, body: benchBody(s.o.size), batch: sendBatchSize}
	name := fmt.Sprintf("bench-%s-%s-%d-%d", key.mode, key.target, key.workers, time.Now().UnixNano())
	setupCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	p, err := s.prepare(setupCtx, key.target, wl, name)
	cancel()
	if err != nil {
		return cellRun{}, err
	}
	defer p.cleanup()
	spec := loadSpec{workers: key.workers, duration: s.o.duration}
	// The no-op endpoint stores nothing: its receives never run dry.
	if p.preload != nil && key.target != targetNoop {
		n := s.preloadSize(key)
		fmt.Fprintf(s.stderr, "bench: preloading %d messages for %s %s %d in flight ...\n", n, key.mode, key.target, key.workers)
		if err := p.preload(ctx, n, nil); err != nil {
			return cellRun{}, fmt.Errorf("preload: %w", err)
		}
		spec.backlog = int64(n)
	}
	if !wharf {
		res, err := runLoad(ctx, spec, p.op)
		res.dropLatencies()
		return cellRun{runResult: res, cmdsPerEntry: math.NaN()}, err
	}
	c := s.cluster
	cpu0, counters0 := c.cpu(), c.scrapeRaftCounters(ctx, c.leader)
	res, err := runLoad(ctx, spec, p.op)
	if err != nil {
		return cellRun{}, err
	}
	res.dropLatencies()
	cpu1, counters1 := c.cpu(), c.scrapeRaftCounters(ctx, c.leader)
	out := cellRun{runResult: res, cmdsPerEntry: math.NaN()}
	for i := range cpu0 {
		out.cpu = append(out.cpu, (cpu1[i] - cpu0[i]).Seconds())
	}
	if counters0.ok && counters1.ok && counters1.entries > counters0.entries {
		out.cmdsPerEntry = (counters1.commands - counters0.commands) / (counters1.entries - counters0.entries)
	}
	return out, nil
}

// preloadSize is the backlog of a recv-delete run: 1.5 times what the run
// would consume at the rate last measured for it (or, before its first
// run, at the target's send-batch rate, or a guess), so that it rarely
// runs dry; a run that does ends early and says so.
func (s *suite) preloadSize(key cellKey) int {
	if s.o.preload > 0 {
		return s.o.preload
	}
	rate := 2000 + 500*float64(key.workers)
	if prev := s.runs[key]; len(prev) > 0 {
		rate = prev[len(prev)-1].MsgsPerSec
	} else if prev := s.runs[cellKey{modeSendBatch, key.target, key.workers}]; len(prev) > 0 {
		rate = prev[len(prev)-1].MsgsPerSec
	}
	n := int(1.5 * rate * s.o.duration.Seconds())
	n = min(max(n, 2000), 1_000_000)
	return (n + 9) / 10 * 10
}

// startNoop starts the no-op endpoint and reads its URL.
func (s *suite) startNoop(ctx context.Context) error {
	lw := &firstLine{line: make(chan string, 1)}
	p, err := startChild("noop", s.bin, []string{"bench", "ref", "noop", "--addr", "127.0.0.1:0"}, lw, s.stderr)
	if err != nil {
		return err
	}
	s.procs.add(p)
	select {
	case line := <-lw.line:
		url, ok := strings.CutPrefix(line, "listening ")
		if !ok {
			return fmt.Errorf("the no-op endpoint said %q", line)
		}
		s.noopURL = url
		fmt.Fprintf(s.stderr, "bench: no-op endpoint at %s\n", url)
		return nil
	case <-p.done:
		return fmt.Errorf("the no-op endpoint exited: %v", p.err)
	case <-time.After(10 * time.Second):
		return errors.New("the no-op endpoint did not start")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// firstLine is an io.Writer that hands over the first line written to it
// and drops the rest.
type firstLine struct {
	buf  []byte
	sent bool
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	if !f.sent {
		f.buf = append(f.buf, p...)
		if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
			f.sent = true
			f.line <- strings.TrimSpace(string(f.buf[:i]))
			f.buf = nil
		}
	}
	return len(p), nil
}

// runRaftRef runs the raft reference child for every worker count and
// records its runs.
func (s *suite) runRaftRef(ctx context.Context) error {
	fmt.Fprintf(s.stderr, "bench: raft reference: 3 hashicorp/raft nodes, one %d-byte entry per operation ...\n", s.o.size)
	var out bytes.Buffer
	args := []string{"bench", "ref", "raft", "--workers", joinInts(s.o.workers), "--runs", fmt.Sprint(s.o.runs),
		"--duration", s.o.duration.String(), "--size", fmt.Sprint(s.o.size), "--dir", filepath.Join(s.dir, "raft")}
	p, err := startChild("raft", s.bin, args, &out, s.stderr)
	if err != nil {
		return err
	}
	s.procs.add(p)
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	}
	_ = os.RemoveAll(filepath.Join(s.dir, "raft"))
	dec := json.NewDecoder(&out)
	for {
		var line raftRefLine
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			break
		}
		key := cellKey{target: targetRaft, workers: line.Workers}
		s.runs[key] = append(s.runs[key], cellRun{runResult: line.runResult, cpu: []float64{line.CPUSeconds}, cmdsPerEntry: math.NaN()})
	}
	if p.err != nil {
		fmt.Fprintf(s.stderr, "bench: the raft reference failed: %v\n", p.err)
		for _, w := range s.o.workers {
			if len(s.runs[cellKey{target: targetRaft, workers: w}]) == 0 {
				s.failures[cellKey{target: targetRaft, workers: w}] = p.err.Error()
			}
		}
	}
	return nil
}

// cellSummary is the medians of a cell's runs. cmdsPerEntry is NaN when
// unknown; cpu is nil when not measured.
type cellSummary struct {
	runs                 int
	rate, p50, p99, p999 float64
	errors               float64
	cpu                  []float64
	cmdsPerEntry         float64
	drained              int
}

// summary returns the medians of a cell, ok false when it has no run.
func (s *suite) summary(key cellKey) (cellSummary, bool) {
	runs := s.runs[key]
	if len(runs) == 0 {
		return cellSummary{}, false
	}
	pick := func(f func(cellRun) float64) float64 {
		vals := make([]float64, 0, len(runs))
		for _, r := range runs {
			if v := f(r); !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		return median(vals)
	}
	cs := cellSummary{runs: len(runs),
		rate:         pick(func(r cellRun) float64 { return r.MsgsPerSec }),
		p50:          pick(func(r cellRun) float64 { return r.P50Ms }),
		p99:          pick(func(r cellRun) float64 { return r.P99Ms }),
		p999:         pick(func(r cellRun) float64 { return r.P999Ms }),
		errors:       pick(func(r cellRun) float64 { return float64(r.Errors) }),
		cmdsPerEntry: pick(func(r cellRun) float64 { return r.cmdsPerEntry }),
	}
	for i := range runs[0].cpu {
		cs.cpu = append(cs.cpu, pick(func(r cellRun) float64 {
			if i < len(r.cpu) && r.cpu[i] >= 0 {
				return r.cpu[i]
			}
			return math.NaN()
		}))
	}
	for _, r := range runs {
		if r.Drained {
			cs.drained++
		}
	}
	return cs, true
}

// median of vals; NaN when empty.
func median(vals []float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	v := append([]float64(nil), vals...)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// referenceOf is the cell a target's ratio is taken against: the no-op
// endpoint for the SDK targets (same mode and concurrency), bare raft for
// the native client (same concurrency).
func referenceOf(key cellKey) (cellKey, bool) {
	switch key.target {
	case targetSDKLeader, targetSDKFollower:
		return cellKey{key.mode, targetNoop, key.workers}, true
	case targetNative:
		return cellKey{target: targetRaft, workers: key.workers}, true
	}
	return cellKey{}, false
}

// ratio is a cell's msg/s over its reference's, NaN when either is
// missing.
func (s *suite) ratio(key cellKey) (float64, string) {
	ref, ok := referenceOf(key)
	if !ok {
		return math.NaN(), ""
	}
	a, ok1 := s.summary(key)
	b, ok2 := s.summary(ref)
	if !ok1 || !ok2 || b.rate == 0 {
		return math.NaN(), ref.target
	}
	return a.rate / b.rate, ref.target
}

// modeTitles describe the modes in the report.
var modeTitles = map[string]string{
	modeSend:       "SendMessage",
	modeSendBatch:  "SendMessageBatch of 10",
	modeRecvDelete: "ReceiveMessage (max 10) + DeleteMessageBatch on a preloaded queue; msg/s = messages deleted",
	modePublish:    "SNS Publish to a topic with 2 SQS queues subscribed (raw delivery); msg/s = publishes",
}

// printTables prints one table per mode and the raft reference's.
func (s *suite) printTables() {
	out := s.stdout
	fmt.Fprintf(out, "\nwharf bench: medians over %d run(s) of %v each, %d-byte messages, %d cores (%s/%s); latency per request\n",
		s.o.runs, s.o.duration, s.o.size, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(out, "CPU s = CPU seconds per node over a run (leader/follower used by sdk-follower/other follower);")
	fmt.Fprintln(out, "cmds/entry = leader's wharf_raft_commands_total / wharf_raft_entries_total over a run (- when absent);")
	fmt.Fprintln(out, "ratio = msg/s over the reference's: sdk-* to noop (same mode and in flight), native to raft (same in flight)")
	for _, mode := range s.o.modes {
		fmt.Fprintf(out, "\n%s: %s\n", mode, modeTitles[mode])
		fmt.Fprintf(out, "  %-13s %9s %9s %8s %8s %9s %7s  %-17s %10s  %s\n",
			"target", "in flight", "msg/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "CPU s L/F/F", "cmds/entry", "ratio")
		drained := false
		for _, t := range s.loadTargets() {
			for _, w := range s.o.workers {
				drained = s.printRow(cellKey{mode, t, w}) || drained
			}
		}
		if drained {
			fmt.Fprintln(out, "  * some runs ended early: the preloaded backlog was consumed (msg/s is up to that point)")
		}
	}
	if s.has(targetRaft) {
		fmt.Fprintf(out, "\nraft: bare hashicorp/raft, 3 nodes (a process each), raft-boltdb (fsync), one raft.Apply of %d bytes per operation\n", s.o.size)
		fmt.Fprintf(out, "  %-13s %9s %9s %8s %8s %9s %7s  %s\n",
			"target", "in flight", "msg/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "CPU s (3 nodes)")
		for _, w := range s.o.workers {
			s.printRow(cellKey{target: targetRaft, workers: w})
		}
	}
}

// printRow prints one row and reports whether some of its runs drained.
func (s *suite) printRow(key cellKey) bool {
	cs, ok := s.summary(key)
	if !ok {
		why := s.failures[key]
		if why == "" {
			why = "no run"
		}
		fmt.Fprintf(s.stdout, "  %-13s %9d  failed: %s\n", key.target, key.workers, firstLineOf(why))
		return false
	}
	row := fmt.Sprintf("  %-13s %9d %9.0f %8.2f %8.2f %9.2f %7.0f  %-17s", key.target, key.workers,
		cs.rate, cs.p50, cs.p99, cs.p999, cs.errors, formatCPU(cs.cpu))
	if key.target != targetRaft {
		row += fmt.Sprintf(" %10s  %s", formatNum(cs.cmdsPerEntry, 2), s.formatRatio(key))
	}
	if cs.drained > 0 {
		row += " *"
	}
	fmt.Fprintln(s.stdout, strings.TrimRight(row, " "))
	return cs.drained > 0
}

func (s *suite) formatRatio(key cellKey) string {
	r, ref := s.ratio(key)
	if ref == "" {
		return ""
	}
	if math.IsNaN(r) {
		return "- (no " + ref + ")"
	}
	return fmt.Sprintf("%.2fx %s", r, ref)
}

func formatCPU(cpu []float64) string {
	if len(cpu) == 0 {
		return "-"
	}
	parts := make([]string, len(cpu))
	for i, v := range cpu {
		parts[i] = formatNum(v, 2)
	}
	return strings.Join(parts, "/")
}

// formatNum formats v with prec decimals, "-" when NaN.
func formatNum(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ",")
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// printSummary prints the summary lines: one per cell, one per target
// check, the queued phase and a total.
func (s *suite) printSummary(checks []targetCheck) {
	out := s.stdout
	fmt.Fprintln(out)
	modes := slices.Clone(s.o.modes)
	if len(modes) > 0 {
		modes = append(modes, "") // the raft reference ran with them
	}
	for _, mode := range modes {
		for _, t := range allTargets {
			for _, w := range s.o.workers {
				key := cellKey{mode, t, w}
				if (mode == "") != (t == targetRaft) || !s.has(t) {
					continue
				}
				s.printCellSummary(key)
			}
		}
	}
	if q := s.queued; q != nil {
		q.printSummary(out)
	}
	okN, miss, skip := 0, 0, 0
	for _, c := range checks {
		fmt.Fprintln(out, c.summary())
		switch {
		case c.skipped != "":
			skip++
		case c.ok():
			okN++
		default:
			miss++
		}
	}
	fmt.Fprintf(out, "summary kind=total targets_ok=%d targets_miss=%d targets_skipped=%d\n", okN, miss, skip)
}

func (s *suite) printCellSummary(key cellKey) {
	mode := key.mode
	if mode == "" {
		mode = "raft-apply"
	}
	cs, ok := s.summary(key)
	if !ok {
		fmt.Fprintf(s.stdout, "summary kind=cell mode=%s target=%s workers=%d runs=0 failed=true\n", mode, key.target, key.workers)
		return
	}
	r, ref := s.ratio(key)
	fmt.Fprintf(s.stdout, "summary kind=cell mode=%s target=%s workers=%d runs=%d msgs_per_sec=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%.0f cpu_s=%s cmds_per_entry=%s ratio=%s reference=%s drained_runs=%d\n",
		mode, key.target, key.workers, cs.runs, cs.rate, cs.p50, cs.p99, cs.p999, cs.errors,
		strings.ReplaceAll(formatCPU(cs.cpu), "/", ","), formatNum(cs.cmdsPerEntry, 2), formatNum(r, 3), orDash(ref), cs.drained)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// progressCounter prints, every interval until stop is closed, how far
// done has come towards total.
func progressCounter(w io.Writer, label string, done *atomic.Int64, total int, interval time.Duration, stop <-chan struct{}) {
	start := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			n := done.Load()
			fmt.Fprintf(w, "bench: [%4.0fs] %s %d/%d (%.0f/s)\n", time.Since(start).Seconds(), label, n, total,
				float64(n-last)/interval.Seconds())
			last = n
		}
	}
}
