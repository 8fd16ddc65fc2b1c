package main

// `wharf bench`: a load generator that drives a Wharf cluster (or any SQS
// endpoint) through aws-sdk-go-v2 and prints throughput and latency.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"
)

type benchOptions struct {
	endpoints []string
	workers   int
	duration  time.Duration
	mode      string
	size      int
	queue     string
	batch     int
	preload   int
	keep      bool
	region    string
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure SQS throughput and latency against a cluster",
		Long: `Measure SQS throughput and latency with N concurrent workers (aws-sdk-go-v2,
AWS JSON protocol). Workers spread over the endpoints round robin.

  --mode send      SendMessage (or SendMessageBatch with --batch > 1)
  --mode receive   preload the queue with SendMessageBatch, then
                   ReceiveMessage (max 10) + DeleteMessageBatch

A progress line goes to stderr every second; the result (messages/s,
per-request latency percentiles and a histogram) goes to stdout, ending
with one "summary" line of key=value pairs for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBench(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&o.endpoints, "endpoint", []string{"http://127.0.0.1:9324"}, "SQS endpoint (repeatable or comma-separated; workers round-robin over them)")
	fl.IntVar(&o.workers, "workers", 1, "concurrent workers (requests in flight)")
	fl.DurationVar(&o.duration, "duration", 10*time.Second, "how long to run")
	fl.StringVar(&o.mode, "mode", "send", "send or receive")
	fl.IntVar(&o.size, "size", 100, "message body size in bytes")
	fl.StringVar(&o.queue, "queue", "", "queue name (default: a new queue wharf-bench-<mode>-<time>, deleted afterwards)")
	fl.IntVar(&o.batch, "batch", 1, "messages per send request in send mode (1 = SendMessage, 2-10 = SendMessageBatch)")
	fl.IntVar(&o.preload, "preload", 0, "messages to preload in receive mode; the run ends early when they are consumed (0 = 20000 + 2000 per worker, at most 200000)")
	fl.BoolVar(&o.keep, "keep", false, "keep the queue afterwards")
	fl.StringVar(&o.region, "region", "us-east-1", "region to sign requests for")
	return cmd
}

// latencies collects request durations in microseconds.
type latencies struct {
	mu sync.Mutex
	us []int64
}

func (l *latencies) add(batch []int64) {
	l.mu.Lock()
	l.us = append(l.us, batch...)
	l.mu.Unlock()
}

type benchClient struct {
	sqs *sqs.Client
	url string
}

func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	if o.workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	if o.mode != "send" && o.mode != "receive" {
		return fmt.Errorf("--mode must be send or receive, not %q", o.mode)
	}
	if o.size < 1 || o.size > 1024*1024 {
		return errors.New("--size must be 1..1048576")
	}
	if o.batch < 1 || o.batch > 10 {
		return errors.New("--batch must be 1..10")
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
	ownQueue := o.queue == ""
	if ownQueue {
		o.queue = fmt.Sprintf("wharf-bench-%s-%d", o.mode, time.Now().UnixNano())
	}

	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.workers*len(eps) + 32,
		MaxIdleConnsPerHost: o.workers + 16,
		IdleConnTimeout:     90 * time.Second,
	}}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench", Source: "wharf-bench"}, nil
	})
	retryer := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 5
		so.MaxBackoff = time.Second
		so.RateLimiter = ratelimit.None
	})
	var clients []benchClient
	for _, ep := range eps {
		clients = append(clients, benchClient{sqs: sqs.New(sqs.Options{
			Region: o.region, Credentials: creds, BaseEndpoint: aws.String(ep),
			HTTPClient: hc, Retryer: retryer,
		})})
	}
	setupCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	out, err := clients[0].sqs.CreateQueue(setupCtx, &sqs.CreateQueueInput{QueueName: aws.String(o.queue)})
	cancel()
	if err != nil {
		return fmt.Errorf("create queue %s: %w", o.queue, err)
	}
	// Every client uses the queue URL as its own endpoint names it.
	path := strings.TrimPrefix(aws.ToString(out.QueueUrl), "http://")
	path = strings.TrimPrefix(path, "https://")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		path = path[i:]
	}
	for i := range clients {
		clients[i].url = eps[i] + path
	}
	if ownQueue && !o.keep {
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = clients[0].sqs.DeleteQueue(c, &sqs.DeleteQueueInput{QueueUrl: aws.String(clients[0].url)})
		}()
	}
	body := strings.Repeat("x", o.size)
	if o.size >= 10 {
		body = "wharf-" + strings.Repeat("b", o.size-6)
	}

	var target int64 // receive mode: stop when this many were consumed
	if o.mode == "receive" {
		n := o.preload
		if n == 0 {
			n = min(20000+2000*o.workers, 200000)
		}
		target = int64(n)
		fmt.Fprintf(stderr, "preloading %d messages of %d bytes into %s ...\n", n, o.size, o.queue)
		start := time.Now()
		if err := preload(ctx, clients, n, body); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		fmt.Fprintf(stderr, "preloaded %d messages in %v\n", n, time.Since(start).Round(time.Millisecond))
	}

	var msgs, reqs, errs, empty atomic.Int64
	primary, secondary := &latencies{}, &latencies{}
	runCtx, stopRun := context.WithTimeout(ctx, o.duration)
	defer stopRun()
	var drained atomic.Bool
	var drainedAt atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := clients[w%len(clients)]
			var lat1, lat2 []int64
			defer func() { primary.add(lat1); secondary.add(lat2) }()
			for runCtx.Err() == nil {
				switch o.mode {
				case "send":
					t0 := time.Now()
					var err error
					if o.batch == 1 {
						_, err = cl.sqs.SendMessage(runCtx, &sqs.SendMessageInput{QueueUrl: aws.String(cl.url), MessageBody: aws.String(body)})
					} else {
						entries := make([]types.SendMessageBatchRequestEntry, o.batch)
						for i := range entries {
							entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
						}
						var res *sqs.SendMessageBatchOutput
						res, err = cl.sqs.SendMessageBatch(runCtx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(cl.url), Entries: entries})
						if err == nil && len(res.Failed) > 0 {
							errs.Add(int64(len(res.Failed)))
							msgs.Add(int64(len(res.Successful) - o.batch))
						}
					}
					if runCtx.Err() != nil {
						return
					}
					reqs.Add(1)
					if err != nil {
						errs.Add(1)
						continue
					}
					lat1 = append(lat1, time.Since(t0).Microseconds())
					msgs.Add(int64(o.batch))
				case "receive":
					t0 := time.Now()
					res, err := cl.sqs.ReceiveMessage(runCtx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(cl.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
					if runCtx.Err() != nil {
						return
					}
					reqs.Add(1)
					if err != nil {
						errs.Add(1)
						continue
					}
					lat1 = append(lat1, time.Since(t0).Microseconds())
					if len(res.Messages) == 0 {
						empty.Add(1)
						continue
					}
					entries := make([]types.DeleteMessageBatchRequestEntry, len(res.Messages))
					for i, m := range res.Messages {
						entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
					}
					t1 := time.Now()
					// The delete finishes even when the run ends meanwhile.
					dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					dres, err := cl.sqs.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(cl.url), Entries: entries})
					cancel()
					reqs.Add(1)
					if err != nil {
						errs.Add(1)
						continue
					}
					lat2 = append(lat2, time.Since(t1).Microseconds())
					errs.Add(int64(len(dres.Failed)))
					if msgs.Add(int64(len(dres.Successful))) >= target {
						// The backlog is consumed: end the run now rather
						// than time empty receives.
						if drained.CompareAndSwap(false, true) {
							drainedAt.Store(time.Now().UnixNano())
						}
						stopRun()
					}
				}
			}
		}(w)
	}

	// Progress on stderr once a second.
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				n := msgs.Load()
				fmt.Fprintf(stderr, "[%4.0fs] %s %d messages (%d/s), %d requests, %d errors\n",
					time.Since(start).Seconds(), o.mode, n, n-last, reqs.Load(), errs.Load())
				last = n
			}
		}
	}()
	wg.Wait()
	elapsed := time.Since(start)
	if drained.Load() {
		elapsed = time.Duration(drainedAt.Load() - start.UnixNano())
	}
	stopRun()
	<-progressDone
	if ctx.Err() != nil {
		return ctx.Err()
	}

	rate := float64(msgs.Load()) / elapsed.Seconds()
	fmt.Fprintf(stdout, "wharf bench: mode=%s workers=%d endpoints=%d size=%dB", o.mode, o.workers, len(eps), o.size)
	if o.mode == "send" && o.batch > 1 {
		fmt.Fprintf(stdout, " batch=%d", o.batch)
	}
	fmt.Fprintf(stdout, " queue=%s\n", o.queue)
	fmt.Fprintf(stdout, "  elapsed      %v", elapsed.Round(time.Millisecond))
	if drained.Load() {
		fmt.Fprint(stdout, " (ended early: the preloaded backlog was consumed; raise --preload for longer runs)")
	}
	fmt.Fprintf(stdout, "\n  messages     %d (%.0f msg/s)\n  requests     %d (%.0f req/s), %d errors",
		msgs.Load(), rate, reqs.Load(), float64(reqs.Load())/elapsed.Seconds(), errs.Load())
	if n := empty.Load(); n > 0 {
		fmt.Fprintf(stdout, ", %d empty receives", n)
	}
	fmt.Fprintln(stdout)
	name1, name2 := "SendMessage", ""
	if o.batch > 1 {
		name1 = "SendMessageBatch"
	}
	if o.mode == "receive" {
		name1, name2 = "ReceiveMessage", "DeleteMessageBatch"
	}
	all := append(append([]int64(nil), primary.us...), secondary.us...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	p50, p99, p999 := pct(all, 0.50), pct(all, 0.99), pct(all, 0.999)
	fmt.Fprintf(stdout, "  latency per request (all): p50 %s  p99 %s  p99.9 %s  max %s\n", ms(p50), ms(p99), ms(p999), ms(pct(all, 1)))
	for _, part := range []struct {
		name string
		l    *latencies
	}{{name1, primary}, {name2, secondary}} {
		if part.name == "" || len(part.l.us) == 0 {
			continue
		}
		s := part.l.us
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		fmt.Fprintf(stdout, "    %-19s n=%-8d p50 %s  p99 %s  p99.9 %s\n", part.name, len(s), ms(pct(s, .5)), ms(pct(s, .99)), ms(pct(s, .999)))
	}
	histogram(stdout, all)
	fmt.Fprintf(stdout, "summary mode=%s workers=%d batch=%d size=%d msgs_per_sec=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%d elapsed_s=%.2f drained=%v\n",
		o.mode, o.workers, o.batch, o.size, rate, float64(p50)/1000, float64(p99)/1000, float64(p999)/1000, errs.Load(), elapsed.Seconds(), drained.Load())
	return nil
}

// preload fills the queue with n messages using SendMessageBatch from 16
// concurrent senders.
func preload(ctx context.Context, clients []benchClient, n int, body string) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := clients[w%len(clients)]
			for ctx.Err() == nil {
				start := next.Add(10) - 10
				if start >= int64(n) {
					return
				}
				k := min(10, int64(n)-start)
				entries := make([]types.SendMessageBatchRequestEntry, k)
				for i := range entries {
					entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
				}
				c, cancel := context.WithTimeout(ctx, 30*time.Second)
				res, err := cl.sqs.SendMessageBatch(c, &sqs.SendMessageBatchInput{QueueUrl: aws.String(cl.url), Entries: entries})
				cancel()
				if err == nil && len(res.Failed) > 0 {
					err = fmt.Errorf("%d entries failed: %s", len(res.Failed), aws.ToString(res.Failed[0].Message))
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// pct returns the q-quantile of sorted microsecond values (nearest rank).
func pct(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(us int64) string { return fmt.Sprintf("%.2fms", float64(us)/1000) }

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
