package main

// `wharf bench`: without --endpoint, the benchmark suite (benchsuite.go)
// that starts its own cluster and references; with --endpoint, one load
// run per worker count against existing SQS endpoints through
// aws-sdk-go-v2.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// benchOptions are the flags of `wharf bench`.
type benchOptions struct {
	// Both forms.
	workers  []int
	duration time.Duration
	size     int
	preload  int
	region   string

	// The suite (no --endpoint).
	runs    int
	modes   []string
	targets []string
	queued  int

	// One run against existing endpoints (--endpoint).
	endpoints []string
	mode      string
	queue     string
	batch     int
	keep      bool
}

const benchLong = `Measure Wharf's throughput and latency.

Without --endpoint, run the benchmark suite (what "make bench" runs): start
a fresh 3-node cluster of this binary on free loopback ports, a no-op
SQS/SNS endpoint and a bare 3-node hashicorp/raft cluster, and measure for
every mode, target and concurrency (--runs runs of --duration each,
medians reported):

  modes    send         SendMessage
           send-batch   SendMessageBatch of 10
           recv-delete  ReceiveMessage (max 10) + DeleteMessageBatch on a
                        preloaded queue (msg/s counts deleted messages)
           publish      SNS Publish to a topic with 2 SQS queues subscribed
                        (raw delivery; msg/s counts publishes)
  targets  sdk-leader   aws-sdk-go-v2 against the leader
           sdk-follower aws-sdk-go-v2 against one follower
           native       the Go client library (REST), from the leader
           noop         reference: the same SDK loop against the no-op endpoint
           raft         reference: raft.Apply of one entry per operation

Each row shows msg/s, latency per request, CPU seconds per node, commands
per raft entry and the ratio to its reference (sdk-* to noop, native to
raft), then the issue's performance targets are evaluated. --queued N
fills a queue with N messages, prints Go heap bytes per message and the
time a restarted follower takes to be ready (alone, unless --modes is
given too).

With --endpoint, run the SDK loop against existing endpoints (workers
round robin over them), once per --workers value:

  --mode send      SendMessage (or SendMessageBatch with --batch > 1)
  --mode receive   preload the queue with SendMessageBatch, then
                   ReceiveMessage (max 10) + DeleteMessageBatch
  (the suite's mode names work too)

A progress line goes to stderr every second; the result (messages/s,
per-request latency percentiles and a histogram) goes to stdout, ending
with one "summary" line of key=value pairs for scripts.`

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput and latency: the benchmark suite, or one run against --endpoint",
		Long:  benchLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if len(o.endpoints) > 0 {
				if err := endpointOnlyFlags(cmd, false); err != nil {
					return err
				}
				if !cmd.Flags().Changed("workers") {
					o.workers = []int{1}
				}
				if o.duration == 0 {
					o.duration = 10 * time.Second
				}
				return runEndpointBench(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			if err := endpointOnlyFlags(cmd, true); err != nil {
				return err
			}
			if o.duration == 0 {
				o.duration = 3 * time.Second
			}
			if o.queued > 0 && !cmd.Flags().Changed("modes") {
				o.modes = nil // --queued alone: only the queued phase
			}
			return runSuite(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&o.workers, "workers", []int{1, 16, 64}, "requests in flight (list; with --endpoint default 1)")
	fl.DurationVar(&o.duration, "duration", 0, "length of each run (default 3s; 10s with --endpoint)")
	fl.IntVar(&o.size, "size", 100, "message body size in bytes")
	fl.IntVar(&o.preload, "preload", 0, "messages preloaded for each recv-delete run, which ends early when they are consumed (0: sized from the rates measured so far)")
	fl.StringVar(&o.region, "region", "us-east-1", "region to sign requests for")

	fl.IntVar(&o.runs, "runs", 3, "runs per setting (the suite reports medians)")
	fl.StringSliceVar(&o.modes, "modes", allModes, "modes to run (list)")
	fl.StringSliceVar(&o.targets, "targets", allTargets, "targets and references to run (list)")
	fl.IntVar(&o.queued, "queued", 0, "fill a queue with this many messages: heap bytes per message and restart time to ready (0: off)")

	fl.StringSliceVar(&o.endpoints, "endpoint", nil, "SQS endpoint to run against instead of the suite (repeatable or comma-separated; workers round-robin over them)")
	fl.StringVar(&o.mode, "mode", "send", "with --endpoint: send or receive (or send-batch, recv-delete, publish)")
	fl.StringVar(&o.queue, "queue", "", "with --endpoint: queue name (default: a new queue wharf-bench-<mode>-<time>, deleted afterwards)")
	fl.IntVar(&o.batch, "batch", 1, "with --endpoint: messages per send request in send mode (1 = SendMessage, 2-10 = SendMessageBatch)")
	fl.BoolVar(&o.keep, "keep", false, "with --endpoint: keep the queue afterwards")
	cmd.AddCommand(newBenchRefCmd())
	return cmd
}

// endpointOnlyFlags rejects flags given in the wrong form: those of one
// --endpoint run in the suite (suite true), or the suite's with --endpoint.
func endpointOnlyFlags(cmd *cobra.Command, suite bool) error {
	names := []string{"runs", "modes", "targets", "queued"}
	if suite {
		names = []string{"mode", "queue", "batch", "keep"}
	}
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			if suite {
				return fmt.Errorf("--%s needs --endpoint", n)
			}
			return fmt.Errorf("--%s is a flag of the suite (without --endpoint)", n)
		}
	}
	return nil
}

// endpointWorkload maps the --endpoint flags to a workload.
func endpointWorkload(o benchOptions) (workload, error) {
	w := workload{mode: o.mode, body: benchBody(o.size), batch: o.batch}
	switch o.mode {
	case "send":
		if o.batch > 1 {
			w.mode = modeSendBatch
		}
	case "receive":
		w.mode = modeRecvDelete
	case modeSendBatch:
		if o.batch == 1 {
			w.batch = 10
		}
	case modeRecvDelete, modePublish:
	default:
		return w, fmt.Errorf("--mode must be send, receive, send-batch, recv-delete or publish, not %q", o.mode)
	}
	if w.batch < 1 || w.batch > 10 {
		return w, errors.New("--batch must be 1..10")
	}
	return w, nil
}

// runEndpointBench runs the SDK loop against o.endpoints once per worker
// count and prints each result.
func runEndpointBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	wl, err := endpointWorkload(o)
	if err != nil {
		return err
	}
	if o.size < 1 || o.size > 1024*1024 {
		return errors.New("--size must be 1..1048576")
	}
	var eps []string
	for _, e := range o.endpoints {
		if e = strings.TrimRight(strings.TrimSpace(e), "/"); e != "" {
			eps = append(eps, e)
		}
	}
	if len(eps) == 0 {
		return errors.New("no --endpoint")
	}
	maxWorkers := 1
	for _, w := range o.workers {
		if w < 1 {
			return errors.New("--workers must be at least 1")
		}
		maxWorkers = max(maxWorkers, w)
	}
	target := newSDKTarget(eps, maxWorkers, o.region)
	for _, w := range o.workers {
		if err := endpointRun(ctx, o, wl, target, w, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// endpointRun is one run of runEndpointBench with w workers.
func endpointRun(ctx context.Context, o benchOptions, wl workload, target *sdkTarget, w int, stdout, stderr io.Writer) error {
	name := o.queue
	if name == "" {
		name = fmt.Sprintf("wharf-bench-%s-%d", wl.mode, time.Now().UnixNano())
	}
	setupCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	p, err := target.prepare(setupCtx, wl, name)
	cancel()
	if err != nil {
		return err
	}
	if o.queue == "" && !o.keep {
		defer p.cleanup()
	}
	spec := loadSpec{workers: w, duration: o.duration, progress: stderr, label: wl.mode}
	if p.preload != nil {
		n := o.preload
		if n == 0 {
			n = min(20000+2000*w, 200000)
		}
		spec.backlog = int64(n)
		fmt.Fprintf(stderr, "preloading %d messages of %d bytes into %s ...\n", n, o.size, name)
		start := time.Now()
		if err := p.preload(ctx, n, nil); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		fmt.Fprintf(stderr, "preloaded %d messages in %v\n", n, time.Since(start).Round(time.Millisecond))
	}
	res, err := runLoad(ctx, spec, p.op)
	if err != nil {
		return err
	}
	printEndpointResult(stdout, o, wl, w, len(target.endpoints), name, res)
	return nil
}

// printEndpointResult prints one --endpoint run: counts, percentiles per
// request kind, a histogram and the summary line.
func printEndpointResult(out io.Writer, o benchOptions, wl workload, workers, endpoints int, queue string, res runResult) {
	fmt.Fprintf(out, "wharf bench: mode=%s workers=%d endpoints=%d size=%dB", o.mode, workers, endpoints, o.size)
	if wl.mode == modeSendBatch {
		fmt.Fprintf(out, " batch=%d", wl.batch)
	}
	fmt.Fprintf(out, " queue=%s\n", queue)
	elapsed := time.Duration(res.ElapsedS * float64(time.Second))
	fmt.Fprintf(out, "  elapsed      %v", elapsed.Round(time.Millisecond))
	if res.Drained {
		fmt.Fprint(out, " (ended early: the preloaded backlog was consumed; raise --preload for longer runs)")
	}
	fmt.Fprintf(out, "\n  messages     %d (%.0f msg/s)\n  requests     %d (%.0f req/s), %d errors",
		res.Msgs, res.MsgsPerSec, res.Requests, float64(res.Requests)/res.ElapsedS, res.Errors)
	if res.Empty > 0 {
		fmt.Fprintf(out, ", %d empty receives", res.Empty)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "  latency per request (all): p50 %s  p99 %s  p99.9 %s  max %s\n",
		msStr(res.P50Ms), msStr(res.P99Ms), msStr(res.P999Ms), msStr(res.MaxMs))
	for kind, name := range requestNames(wl.mode) {
		if s := res.byKind[kind]; name != "" && len(s) > 0 {
			fmt.Fprintf(out, "    %-19s n=%-8d p50 %s  p99 %s  p99.9 %s\n", name, len(s),
				msStr(usToMs(pct(s, .5))), msStr(usToMs(pct(s, .99))), msStr(usToMs(pct(s, .999))))
		}
	}
	histogram(out, res.all)
	fmt.Fprintf(out, "summary mode=%s workers=%d batch=%d size=%d msgs_per_sec=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%d elapsed_s=%.2f drained=%v\n",
		o.mode, workers, wl.batch, o.size, res.MsgsPerSec, res.P50Ms, res.P99Ms, res.P999Ms, res.Errors, res.ElapsedS, res.Drained)
}

// requestNames names the request kinds of a mode (see tally).
func requestNames(mode string) [2]string {
	switch mode {
	case modeSendBatch:
		return [2]string{"SendMessageBatch", ""}
	case modeRecvDelete:
		return [2]string{"ReceiveMessage", "DeleteMessageBatch"}
	case modePublish:
		return [2]string{"Publish", ""}
	}
	return [2]string{"SendMessage", ""}
}

func msStr(ms float64) string { return fmt.Sprintf("%.2fms", ms) }

// histogram prints request counts per latency bucket with a bar.
func histogram(w io.Writer, sorted []int64) {
	if len(sorted) == 0 {
		return
	}
	bounds := []int64{250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000, 1000000, math.MaxInt64}
	counts := make([]int, len(bounds))
	j := 0
	for _, v := range sorted {
		for v >= bounds[j] {
			j++
		}
		counts[j]++
	}
	maxc := 0
	for _, c := range counts {
		maxc = max(maxc, c)
	}
	fmt.Fprintln(w, "  latency histogram:")
	lo := int64(0)
	for i, c := range counts {
		label := fmt.Sprintf("%s-%s", msShort(lo), msShort(bounds[i]))
		if bounds[i] == math.MaxInt64 {
			label = ">=" + msShort(lo)
		}
		lo = bounds[i]
		if c == 0 {
			continue
		}
		bar := strings.Repeat("#", int(math.Ceil(40*float64(c)/float64(maxc))))
		fmt.Fprintf(w, "    %-14s %8d %6.2f%% %s\n", label, c, 100*float64(c)/float64(len(sorted)), bar)
	}
}

func msShort(us int64) string {
	if us%1000 == 0 {
		return strconv.FormatInt(us/1000, 10) + "ms"
	}
	return strconv.FormatFloat(float64(us)/1000, 'f', -1, 64) + "ms"
}
