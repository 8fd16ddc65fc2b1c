//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/wharfmq/wharf/test/chaos/cluster"
)

// Config is a whole chaos run: the quick schedule or a soak.
type Config struct {
	Mode     string // "quick" or "soak"
	Seed     uint64
	Duration time.Duration // soak only
	// Backends: "netns", "docker", "both" (quick: netns then docker; soak:
	// alternating segments), "auto" (both when Docker works).
	Backends string
	Out      string // results directory of this run
	Bin      string
	Image    string
	// SegmentLength bounds one soak segment (one cluster lifecycle).
	SegmentLength  time.Duration
	MaxUnavailable time.Duration
	KeepData       bool
	Logf           func(string, ...any)
}

// Snapshot knobs given to every node (WHARF_SNAPSHOT_THRESHOLD and
// WHARF_TRAILING_LOGS): small enough that a follower stopped for some
// seconds under load must catch up by snapshot install.
const (
	SnapshotThreshold = 1024
	TrailingLogs      = 256
)

// Run runs the configured chaos run and returns its report.
func Run(ctx context.Context, cfg Config) *Report {
	rep := &Report{Seed: cfg.Seed, Mode: cfg.Mode, Started: time.Now()}
	os.MkdirAll(cfg.Out, 0o755)
	cluster.CleanupLeftovers(cfg.Logf)
	docker := cfg.Backends == "docker" || cfg.Backends == "both"
	if cfg.Backends == "auto" {
		if err := cluster.DockerUsable(cfg.Image); err != nil {
			rep.Notes = append(rep.Notes, "docker backend skipped: "+err.Error())
		} else {
			docker = true
		}
	}
	netns := cfg.Backends != "docker"
	base := func(name, backend string, plan Planner) SegmentConfig {
		return SegmentConfig{Name: name, Backend: backend, Plan: plan, Dir: filepath.Join(cfg.Out, name),
			Bin: cfg.Bin, Image: cfg.Image, Seed: cfg.Seed, Producers: 4, Consumers: 3, LinClients: 4, Publishers: 1, FifoProducers: 3, FifoRate: 10, Rate: 20,
			LinFor: 30 * time.Second, Warmup: 3 * time.Second, DrainTimeout: 45 * time.Second,
			MaxUnavailable: cfg.MaxUnavailable, SnapshotThreshold: SnapshotThreshold, TrailingLogs: TrailingLogs,
			KeepData: cfg.KeepData, Logf: cfg.Logf}
	}
	var segs []SegmentConfig
	if cfg.Mode == "quick" {
		if netns {
			segs = append(segs, base("netns-quick", "netns", &fixed{specs: QuickNetns()}))
		}
		if docker {
			s := base("docker-quick", "docker", &fixed{specs: QuickDocker()})
			s.LinClients = 0
			segs = append(segs, s)
		}
		for _, s := range segs {
			if ctx.Err() != nil {
				break
			}
			rep.Segments = append(rep.Segments, RunSegment(ctx, s))
		}
		return rep
	}
	// Soak: segments until the duration is spent, alternating backends.
	deadline := time.Now().Add(cfg.Duration)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x50a4))
	for i := 1; time.Until(deadline) > 90*time.Second && ctx.Err() == nil; i++ {
		backend := "netns"
		if docker && (!netns || i%2 == 0) {
			backend = "docker"
		}
		// Leave time for the heal, drain and checks (~1.5 min).
		faultFor := min(cfg.SegmentLength, time.Until(deadline)-90*time.Second)
		kinds := AllKinds
		if backend == "docker" {
			kinds = append(append([]Kind{}, AllKinds...), DisconnectLeader)
		}
		s := base(fmt.Sprintf("soak-%02d-%s", i, backend), backend, NewRandomPlanner(rand.New(rand.NewPCG(rng.Uint64(), uint64(i))), kinds, faultFor))
		s.Seed = cfg.Seed + uint64(i)
		s.LinFor = min(60*time.Second, faultFor)
		rep.Segments = append(rep.Segments, RunSegment(ctx, s))
	}
	return rep
}
