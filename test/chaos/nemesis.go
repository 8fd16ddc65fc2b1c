//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/wharfmq/wharf/test/chaos/cluster"
	"github.com/wharfmq/wharf/test/chaos/history"
)

// RecoverTimeout bounds the wait for every node to be ready after a heal.
const RecoverTimeout = 45 * time.Second

// Nemesis injects faults into a cluster and records them.
type Nemesis struct {
	cl           cluster.Cluster
	clock        *history.Clock
	rng          *rand.Rand
	logf         func(string, ...any)
	trailingLogs uint64

	mu      sync.Mutex
	records []*Record
}

// Records are the faults injected so far.
func (n *Nemesis) Records() []*Record {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.records)
}

func others(all []string, not ...string) []string {
	var out []string
	for _, x := range all {
		if !slices.Contains(not, x) {
			out = append(out, x)
		}
	}
	return out
}

// Inject applies spec, holds it, heals, and waits for every node to be
// ready again.
func (n *Nemesis) Inject(ctx context.Context, spec Spec) *Record {
	rec := &Record{Kind: spec.Kind, Backend: n.cl.Backend(), MajorityUp: spec.Kind.majorityUp()}
	n.mu.Lock()
	rec.ID = len(n.records) + 1
	n.records = append(n.records, rec)
	n.mu.Unlock()

	leader, err := cluster.Leader(ctx, n.cl, cluster.Nodes, 20*time.Second)
	if err != nil {
		rec.Err = "no leader before the fault: " + err.Error()
		rec.Start, rec.End, rec.Recovered = n.clock.Now(), n.clock.Now(), n.clock.Now()
		return rec
	}
	rec.Leader = leader
	followers := others(cluster.Nodes, leader)
	follower := followers[n.rng.IntN(len(followers))]
	n.logf("fault %d: %s (leader %s) for %s", rec.ID, spec.Kind, leader, spec.Hold)

	var heal func() error
	switch spec.Kind {
	case KillLeader, KillFollower:
		t := leader
		if spec.Kind == KillFollower {
			t = follower
		}
		rec.Targets = []string{t}
		err = n.kill(rec, t)
		heal = func() error { return n.cl.Start(ctx, t) }
	case KillAll, KillMajority:
		targets := cluster.Nodes
		if spec.Kind == KillMajority {
			targets = []string{leader, follower}
		}
		rec.Targets = targets
		rec.Cut = others(cluster.Nodes, targets...)
		err = n.killAll(rec, targets)
		heal = func() error {
			for _, t := range targets {
				if err := n.cl.Start(ctx, t); err != nil {
					return err
				}
			}
			return nil
		}
	case PauseLeader, PauseFollower:
		t := leader
		if spec.Kind == PauseFollower {
			t = follower
		}
		rec.Targets = []string{t}
		err = n.cl.Pause(t)
		rec.Start = n.clock.Now()
		heal = func() error { return n.cl.Resume(t) }
	case IsolateLeader, IsolateFollower:
		t := leader
		if spec.Kind == IsolateFollower {
			t = follower
		}
		rec.Targets, rec.Cut = []string{t}, []string{t}
		for _, o := range others(cluster.Nodes, t) {
			if err == nil {
				err = n.cl.Block(o, t)
			}
			if err == nil {
				err = n.cl.Block(t, o)
			}
		}
		rec.Start = n.clock.Now()
		heal = n.cl.Heal
	case Bridge:
		a, b := spec.Ends[0], spec.Ends[1]
		if a == "" {
			mid := cluster.Nodes[n.rng.IntN(3)]
			ends := others(cluster.Nodes, mid)
			a, b = ends[0], ends[1]
		}
		rec.Targets = []string{a, b}
		err = n.cl.Block(a, b)
		if err == nil {
			err = n.cl.Block(b, a)
		}
		rec.Start = n.clock.Now()
		heal = n.cl.Heal
	case OneWayDeaf, OneWayMute:
		rec.Targets, rec.Cut = []string{leader}, []string{leader}
		for _, f := range followers {
			if err == nil && spec.Kind == OneWayDeaf {
				err = n.cl.Block(f, leader)
			} else if err == nil {
				err = n.cl.Block(leader, f)
			}
		}
		rec.Start = n.clock.Now()
		heal = n.cl.Heal
	case DisconnectLeader:
		d, ok := n.cl.(*cluster.Docker)
		if !ok {
			err = fmt.Errorf("%s needs the docker backend", spec.Kind)
			break
		}
		rec.Targets, rec.Cut = []string{leader}, []string{leader}
		err = d.Disconnect(leader)
		rec.Start = n.clock.Now()
		heal = func() error { return d.Reconnect(leader) }
	case SnapshotCatchup:
		rec.Targets = []string{follower}
		err = n.snapshotCatchup(ctx, rec, leader, follower)
		heal = nil // done inside
	default:
		err = fmt.Errorf("unknown fault kind %s", spec.Kind)
	}
	if err != nil {
		rec.Err = err.Error()
		n.logf("fault %d: %v", rec.ID, err)
	}
	if heal != nil {
		if err == nil {
			sleepCtx(ctx, spec.Hold)
		}
		rec.End = n.clock.Now()
		if herr := heal(); herr != nil {
			rec.Notes = append(rec.Notes, "heal: "+herr.Error())
		}
	}
	if rec.End == 0 {
		rec.End = n.clock.Now()
	}
	if rec.Start == 0 {
		rec.Start = rec.End
	}
	n.healAll(ctx)
	if err := cluster.WaitReady(ctx, n.cl, cluster.Nodes, RecoverTimeout); err != nil {
		rec.Err = joinErr(rec.Err, "not recovered after heal: "+err.Error())
		n.logf("fault %d: %v", rec.ID, err)
	}
	rec.Recovered = n.clock.Now()
	n.logf("fault %d: %s healed at %.1fs, all ready at %.1fs", rec.ID, spec.Kind, rec.End.Seconds(), rec.Recovered.Seconds())
	return rec
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// kill SIGKILLs t and stamps the fault's start.
func (n *Nemesis) kill(rec *Record, t string) error {
	err := n.cl.Kill(t)
	rec.Start = n.clock.Now()
	return err
}

// killAll SIGKILLs the targets at the same moment.
func (n *Nemesis) killAll(rec *Record, targets []string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(targets))
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.cl.Kill(t)
		}()
	}
	wg.Wait()
	rec.Start = n.clock.Now()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// healAll undoes every fault: rules flushed, nodes resumed and started.
func (n *Nemesis) healAll(ctx context.Context) {
	n.cl.Heal()
	if d, ok := n.cl.(*cluster.Docker); ok {
		for _, node := range cluster.Nodes {
			d.Reconnect(node) // fails harmlessly when connected
		}
	}
	for _, node := range cluster.Nodes {
		if n.cl.Running(node) {
			n.cl.Resume(node)
		} else if err := n.cl.Start(ctx, node); err != nil {
			n.logf("restart %s: %v", node, err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
