//go:build chaos

// Command chaos runs the Wharf chaos harness (see package chaos):
//
//	chaos -mode quick [-seed S] [-backends auto]
//	chaos -mode soak -duration 30m [-seed S]
//
// It writes histories, node logs and a report under -out and ends with
// the line "chaos: seed=S faults=F acked=A lost=L phantom=P
// unexplained_dup=D max_unavailable=Us"; it exits 1 on any violation.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wharfmq/wharf/test/chaos"
)

func main() {
	os.Exit(run())
}

func run() int {
	mode := flag.String("mode", "quick", "quick (fixed schedule) or soak (random mixtures)")
	seed := flag.Uint64("seed", 0, "seed (0: from the clock)")
	duration := flag.Duration("duration", 30*time.Minute, "soak duration")
	backends := flag.String("backends", "auto", "netns, docker, both, or auto (docker when usable)")
	results := flag.String("results", "chaos-results", "directory that receives one directory per run")
	bin := flag.String("bin", "bin/wharf", "the wharf binary (netns backend)")
	image := flag.String("image", "wharf:dev", "the Docker image (docker backend)")
	segment := flag.Duration("segment", 10*time.Minute, "soak: fault time per cluster lifecycle")
	maxUnavail := flag.Duration("max-unavailable", 5*time.Second, "longest tolerated write gap with a majority up")
	keep := flag.Bool("keep-data", false, "keep node data dirs even when the run passes")
	flag.Parse()

	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano() % 1_000_000_000)
	}
	absBin, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := os.Stat(absBin); err != nil && *backends != "docker" {
		fmt.Fprintf(os.Stderr, "chaos: %v (build it first: CGO_ENABLED=0 go build -o bin/wharf ./cmd/wharf)\n", err)
		return 2
	}
	out, err := filepath.Abs(filepath.Join(*results, fmt.Sprintf("%s-%s-seed%d", *mode, time.Now().Format("20060102-150405"), *seed)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	os.MkdirAll(out, 0o755)
	latest := filepath.Join(*results, "latest")
	os.Remove(latest)
	os.Symlink(filepath.Base(out), latest)

	logFile, _ := os.Create(filepath.Join(out, "harness.log"))
	start := time.Now()
	logf := func(format string, args ...any) {
		line := fmt.Sprintf("%7.1fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
		os.Stderr.WriteString(line)
		if logFile != nil {
			logFile.WriteString(line)
		}
	}
	logf("chaos %s: seed=%d results=%s", *mode, *seed, out)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := chaos.Run(ctx, chaos.Config{Mode: *mode, Seed: *seed, Duration: *duration, Backends: *backends, Out: out,
		Bin: absBin, Image: *image, SegmentLength: *segment, MaxUnavailable: *maxUnavail, KeepData: *keep, Logf: logf})
	if err := rep.Write(out); err != nil {
		logf("writing the report: %v", err)
	}
	printViolations(rep)
	if ctx.Err() != nil {
		rep.Notes = append(rep.Notes, "interrupted")
		logf("interrupted")
	}
	fmt.Printf("report: %s\n", filepath.Join(out, "report.md"))
	fmt.Println(rep.FinalLine())
	if rep.Failed() || ctx.Err() != nil {
		return 1
	}
	return 0
}

// printViolations prints the violations, at most 10 per class and segment.
func printViolations(rep *chaos.Report) {
	for _, s := range rep.Segments {
		shown := map[string]int{}
		for _, v := range s.Violations {
			shown[string(v.Class)]++
			if shown[string(v.Class)] <= 10 {
				fmt.Printf("VIOLATION %s %s\n", s.Name, v.String())
			}
		}
		for c, n := range shown {
			if n > 10 {
				fmt.Printf("VIOLATION %s ... and %d more %s (see report.json)\n", s.Name, n-10, c)
			}
		}
	}
	for _, n := range rep.Notes {
		fmt.Printf("note: %s\n", n)
	}
}
