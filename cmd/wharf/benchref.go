package main

// `wharf bench ref noop|raft`: the references of the benchmark suite, each
// run by the suite as a child process of its own (hidden commands).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// newBenchRefCmd is `wharf bench ref`, the parent of the references.
func newBenchRefCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "ref",
		Short:  "The references of the benchmark suite (run by wharf bench)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	cmd.AddCommand(newNoopRefCmd(), newRaftRefCmd(), newRaftNodeRefCmd())
	return cmd
}

func newNoopRefCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "noop",
		Short: "Serve a no-op SQS/SNS endpoint; prints \"listening http://host:port\" once it listens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serveNoop(ctx, addr, func(url string) { fmt.Fprintln(cmd.OutOrStdout(), "listening", url) })
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	return cmd
}

// serveNoop serves the no-op endpoint on addr until ctx ends; listening
// is called with its base URL once it listens.
func serveNoop(ctx context.Context, addr string, listening func(url string)) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newNoopServer(), ReadHeaderTimeout: 10 * time.Second}
	listening("http://" + lis.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func newRaftRefCmd() *cobra.Command {
	var o raftRefOptions
	cmd := &cobra.Command{
		Use:   "raft",
		Short: "Run a bare 3-node hashicorp/raft cluster and apply one entry per operation; one JSON line per run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.runs < 1 || o.duration <= 0 || o.size < 1 || len(o.workers) == 0 {
				return errors.New("--runs, --duration, --size and --workers must be positive")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runRaftRef(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&o.workers, "workers", []int{1, 16, 64}, "operations in flight (list)")
	fl.IntVar(&o.runs, "runs", 3, "runs per worker count")
	fl.DurationVar(&o.duration, "duration", 3*time.Second, "length of a run")
	fl.IntVar(&o.size, "size", 100, "bytes per entry")
	fl.StringVar(&o.dir, "dir", "", "directory for the nodes' data (default: a temp dir, removed)")
	return cmd
}

func newRaftNodeRefCmd() *cobra.Command {
	var dir, id string
	cmd := &cobra.Command{
		Use:   "raft-node",
		Short: "Run one follower of the bare raft reference; prints its raft address, then runs until killed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || id == "" {
				return errors.New("--dir and --id are required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serveRefFollower(ctx, dir, id, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the node's data")
	cmd.Flags().StringVar(&id, "id", "", "raft server ID")
	return cmd
}
