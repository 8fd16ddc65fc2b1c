package main

// The load loop shared by every benchmark target: W workers call one
// operation in a loop for a duration and record each request's latency.

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// benchOp performs one operation (one request, or a receive and its
// delete) as worker w, and records what happened in t.
type benchOp func(ctx context.Context, w int, t *tally)

// loadSpec says how to run a benchOp.
type loadSpec struct {
	workers  int
	duration time.Duration
	// backlog, when > 0, ends the run as soon as that many messages were
	// counted: recv-delete on a preloaded queue stops when it is consumed.
	backlog int64
	// progress, when set, gets one line a second prefixed by label.
	progress io.Writer
	label    string
}

// runCounters are the counts every worker of a run adds to.
type runCounters struct {
	msgs, reqs, errs, empty atomic.Int64
	// firstErr is the first error of the run, for the report.
	firstErr atomic.Pointer[string]
}

// tally is one worker's record of a run: the shared counts and its own
// latencies, in microseconds, per request kind (0: the main request, 1:
// the second request of a pair, DeleteMessageBatch after a receive).
type tally struct {
	counts *runCounters
	lat    [2][]int64
}

// request records a finished request of the given kind that started at t0.
// It returns true when the request succeeded and counts. A request that
// ended because the run did (ctx is done) is not counted at all.
func (t *tally) request(ctx context.Context, kind int, t0 time.Time, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return false // the run's end, seen before ctx noticed it
	}
	t.counts.reqs.Add(1)
	if err != nil {
		t.counts.errs.Add(1)
		msg := err.Error()
		t.counts.firstErr.CompareAndSwap(nil, &msg)
		return false
	}
	t.lat[kind] = append(t.lat[kind], time.Since(t0).Microseconds())
	return true
}

// messages counts n messages done (sent, deleted or published).
func (t *tally) messages(n int) { t.counts.msgs.Add(int64(n)) }

// failed counts n failed entries of a batch that succeeded as a whole.
func (t *tally) failed(n int) { t.counts.errs.Add(int64(n)) }

// emptyReceive counts a receive that returned no message.
func (t *tally) emptyReceive() { t.counts.empty.Add(1) }

// runResult is the outcome of one run. Latencies are per request, in
// milliseconds.
type runResult struct {
	Msgs       int64   `json:"msgs"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	Empty      int64   `json:"empty_receives"`
	ElapsedS   float64 `json:"elapsed_s"`
	MsgsPerSec float64 `json:"msgs_per_sec"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	// Drained says the run ended early: the backlog was consumed.
	Drained bool `json:"drained"`
	// FirstError is the run's first failed request, "" when none failed.
	FirstError string `json:"first_error,omitempty"`

	// byKind are the sorted latencies (µs) per request kind, and all of
	// them together, for the histogram of `wharf bench --endpoint`.
	byKind [2][]int64
	all    []int64
}

// runLoad runs op with spec.workers workers for spec.duration (or until
// the backlog is consumed) and returns the counts and percentiles. It
// returns ctx's error when ctx ended before the run did.
func runLoad(ctx context.Context, spec loadSpec, op benchOp) (runResult, error) {
	counts := &runCounters{}
	runCtx, stopRun := context.WithTimeout(ctx, spec.duration)
	defer stopRun()
	var drainedAt atomic.Int64
	tallies := make([]*tally, spec.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range tallies {
		t := &tally{counts: counts}
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				op(runCtx, w, t)
				if spec.backlog > 0 && counts.msgs.Load() >= spec.backlog {
					drainedAt.CompareAndSwap(0, time.Now().UnixNano())
					stopRun()
				}
			}
		}()
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		printProgress(runCtx, spec, counts, start)
	}()
	wg.Wait()
	elapsed := time.Since(start)
	if at := drainedAt.Load(); at != 0 {
		elapsed = time.Duration(at - start.UnixNano())
	}
	stopRun()
	<-progressDone
	if ctx.Err() != nil {
		return runResult{}, ctx.Err()
	}
	return summarize(counts, tallies, elapsed, drainedAt.Load() != 0), nil
}

// printProgress writes one line a second until ctx ends, when spec asks
// for progress.
func printProgress(ctx context.Context, spec loadSpec, counts *runCounters, start time.Time) {
	if spec.progress == nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			n := counts.msgs.Load()
			fmt.Fprintf(spec.progress, "[%4.0fs] %s %d messages (%d/s), %d requests, %d errors\n",
				time.Since(start).Seconds(), spec.label, n, n-last, counts.reqs.Load(), counts.errs.Load())
			last = n
		}
	}
}

// summarize turns the counts and the workers' latencies into a result.
func summarize(counts *runCounters, tallies []*tally, elapsed time.Duration, drained bool) runResult {
	r := runResult{
		Msgs: counts.msgs.Load(), Requests: counts.reqs.Load(), Errors: counts.errs.Load(),
		Empty: counts.empty.Load(), ElapsedS: elapsed.Seconds(), Drained: drained,
	}
	if e := counts.firstErr.Load(); e != nil {
		r.FirstError = *e
	}
	if elapsed > 0 {
		r.MsgsPerSec = float64(r.Msgs) / elapsed.Seconds()
	}
	for kind := range r.byKind {
		for _, t := range tallies {
			r.byKind[kind] = append(r.byKind[kind], t.lat[kind]...)
		}
		sortInt64s(r.byKind[kind])
		r.all = append(r.all, r.byKind[kind]...)
	}
	sortInt64s(r.all)
	r.P50Ms = usToMs(pct(r.all, 0.50))
	r.P99Ms = usToMs(pct(r.all, 0.99))
	r.P999Ms = usToMs(pct(r.all, 0.999))
	r.MaxMs = usToMs(pct(r.all, 1))
	return r
}

// dropLatencies frees the raw latencies once the percentiles are taken.
func (r *runResult) dropLatencies() { r.byKind, r.all = [2][]int64{}, nil }

func sortInt64s(s []int64) { sort.Slice(s, func(i, j int) bool { return s[i] < s[j] }) }

func usToMs(us int64) float64 { return float64(us) / 1000 }

// pct returns the q-quantile of sorted microsecond values (nearest rank).
func pct(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}
