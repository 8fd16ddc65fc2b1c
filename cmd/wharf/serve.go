package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wharfmq/wharf/node"
	"github.com/wharfmq/wharf/transport"
)

// serveFlags are the flags of `wharf serve`; each can also be set with an
// environment variable WHARF_<FLAG> (dashes become underscores).
type serveFlags struct {
	nodeID, dataDir, apiAddr, raftAddr, gossipAddr, advertise string
	join                                                      []string
	bootstrapExpect                                           int
	accountID, region, logLevel                               string
	publicURL                                                 string
	allowPrivateEndpoints                                     bool
	debugAddr                                                 string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Wharf node",
		Long: `Run a Wharf node. Alone (the defaults) it is a single-node server; give
every node of a cluster the same --join list and --bootstrap-expect.
Every flag can also be set with WHARF_<FLAG>, e.g. WHARF_DATA_DIR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := flagsFromEnv(cmd.Flags()); err != nil {
				return err
			}
			return serve(f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.nodeID, "node-id", "", "stable node ID (kept in the data dir when not given)")
	fl.StringVar(&f.dataDir, "data-dir", "./data", "directory for the raft log, snapshots and node ID")
	fl.StringVar(&f.apiAddr, "api-addr", "127.0.0.1:9324", "address of the HTTP API (SQS, admin)")
	fl.StringVar(&f.raftAddr, "raft-addr", "127.0.0.1:7001", "address of the raft transport")
	fl.StringVar(&f.gossipAddr, "gossip-addr", "127.0.0.1:7946", "address of the gossip layer (TCP and UDP)")
	fl.StringVar(&f.advertise, "advertise", "", "host other nodes and clients use to reach this node, when binding 0.0.0.0")
	fl.StringArrayVar(&f.join, "join", nil, "gossip address of a member to join (repeatable; this node's own address is ignored)")
	fl.IntVar(&f.bootstrapExpect, "bootstrap-expect", 1, "number of servers that form a new cluster")
	fl.StringVar(&f.accountID, "account-id", "000000000000", "AWS account ID of queues")
	fl.StringVar(&f.region, "region", "us-east-1", "region of unsigned requests")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.publicURL, "public-url", "", "base URL SNS messages point endpoints at (SigningCertURL, SubscribeURL, UnsubscribeURL); default http://<advertised API address>")
	fl.BoolVar(&f.allowPrivateEndpoints, "sns-allow-private-endpoints", false, "let HTTP/S subscriptions push to loopback and private addresses")
	fl.StringVar(&f.debugAddr, "debug-addr", "", "address of a separate listener for Go profiling (net/http/pprof under /debug/pprof/); off when empty")
	return cmd
}

// flagsFromEnv sets every flag not given on the command line from
// WHARF_<FLAG> when that variable is set.
func flagsFromEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || err != nil {
			return
		}
		name := "WHARF_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		values := []string{v}
		if fl.Value.Type() == "stringArray" {
			values = strings.Split(v, ",")
		}
		for _, s := range values {
			if e := fs.Set(fl.Name, strings.TrimSpace(s)); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
				return
			}
		}
	})
	return err
}

func serve(f serveFlags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	lis, err := net.Listen("tcp", f.apiAddr)
	if err != nil {
		return fmt.Errorf("listen on --api-addr: %w", err)
	}
	cfg := node.Config{
		NodeID: f.nodeID, DataDir: f.dataDir, APIAddr: f.apiAddr, RaftAddr: f.raftAddr,
		GossipAddr: f.gossipAddr, Advertise: f.advertise, Join: f.join,
		BootstrapExpect: f.bootstrapExpect, Logger: logger,
		PublicURL: strings.TrimSuffix(f.publicURL, "/"), AllowPrivateEndpoints: f.allowPrivateEndpoints,
	}
	// Snapshot tuning is not a flag: the defaults suit production; tests
	// that must force snapshot installs lower them through the environment.
	if err := uintFromEnv("WHARF_SNAPSHOT_THRESHOLD", &cfg.SnapshotThreshold); err != nil {
		return err
	}
	if err := uintFromEnv("WHARF_TRAILING_LOGS", &cfg.TrailingLogs); err != nil {
		return err
	}
	n, err := node.New(cfg)
	if err != nil {
		lis.Close()
		return err
	}
	srv := transport.New(transport.Config{Backend: n, Region: f.region, AccountID: f.accountID,
		AllowPrivateEndpoints: f.allowPrivateEndpoints, Logger: logger.With("node", n.ID())})
	if f.debugAddr != "" {
		if err := serveDebug(f.debugAddr, logger); err != nil {
			n.Close()
			lis.Close()
			return err
		}
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	logger.Info("serving", "api", f.apiAddr, "node", n.ID())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-sigs:
		logger.Info("stopping", "signal", sig.String())
	case err := <-serveErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("api server failed", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.Leave(ctx)
	shutCtx, cancelShut := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shutCtx)
	return n.Close()
}

// serveDebug serves the Go profiler (net/http/pprof) on its own listener,
// kept off the API port: profiles expose the process's memory. GET
// /debug/heap answers the heap after a forced GC (see debugHeap).
func serveDebug(addr string, logger *slog.Logger) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on --debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/heap", debugHeap)
	go func() { _ = http.Serve(lis, mux) }()
	logger.Info("profiling", "debug", addr)
	return nil
}

// uintFromEnv sets *dst from the environment variable name when it is set.
func uintFromEnv(name string, dst *uint64) error {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = n
	return nil
}
