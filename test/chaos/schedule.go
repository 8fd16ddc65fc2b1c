//go:build chaos

package chaos

import (
	"context"
	"math/rand/v2"
	"time"
)

// QuickNetns is the quick run's fixed schedule on the namespace backend:
// every fault kind once.
func QuickNetns() []Spec {
	s := time.Second
	return []Spec{
		{Kind: PauseLeader, Hold: 4 * s},
		{Kind: IsolateLeader, Hold: 5 * s},
		{Kind: KillLeader, Hold: 3 * s},
		{Kind: KillFollower, Hold: 3 * s},
		{Kind: IsolateFollower, Hold: 4 * s},
		{Kind: Bridge, Hold: 6 * s, Ends: [2]string{"n1", "n3"}},
		{Kind: OneWayDeaf, Hold: 5 * s},
		{Kind: OneWayMute, Hold: 4 * s},
		{Kind: PauseFollower, Hold: 3 * s},
		{Kind: SnapshotCatchup},
		{Kind: KillMajority, Hold: 4 * s},
		{Kind: KillAll, Hold: 2 * s},
	}
}

// QuickDocker is the quick run's short schedule on the Docker backend.
func QuickDocker() []Spec {
	s := time.Second
	return []Spec{
		{Kind: PauseLeader, Hold: 3 * s},
		{Kind: DisconnectLeader, Hold: 4 * s},
		{Kind: Bridge, Hold: 4 * s},
		{Kind: KillLeader, Hold: 3 * s},
	}
}

// Planner yields the next fault to inject, or false when the fault phase
// is over.
type Planner interface {
	Next(ctx context.Context) (Spec, bool)
}

// fixed plays a list of specs once.
type fixed struct {
	specs []Spec
	i     int
}

func (f *fixed) Next(context.Context) (Spec, bool) {
	if f.i >= len(f.specs) {
		return Spec{}, false
	}
	f.i++
	return f.specs[f.i-1], true
}

// random mixes faults Jepsen-style until a deadline: periods of about a
// minute, a quarter of them fault-free, the others a random non-empty
// subset of kinds played in random order with random holds.
type random struct {
	rng      *rand.Rand
	kinds    []Kind
	deadline time.Time
	queue    []Spec
}

// NewRandomPlanner makes the soak's planner.
func NewRandomPlanner(rng *rand.Rand, kinds []Kind, d time.Duration) Planner {
	return &random{rng: rng, kinds: kinds, deadline: time.Now().Add(d)}
}

func (r *random) Next(ctx context.Context) (Spec, bool) {
	for len(r.queue) == 0 {
		if time.Now().After(r.deadline) || ctx.Err() != nil {
			return Spec{}, false
		}
		if r.rng.IntN(4) == 0 {
			// A quiet period, bounded by the deadline.
			quiet := time.Duration(15+r.rng.IntN(30)) * time.Second
			sleepCtx(ctx, min(quiet, time.Until(r.deadline)))
			continue
		}
		n := 1 + r.rng.IntN(3)
		for _, i := range r.rng.Perm(len(r.kinds))[:n] {
			r.queue = append(r.queue, Spec{Kind: r.kinds[i], Hold: time.Duration(2000+r.rng.IntN(8000)) * time.Millisecond})
		}
	}
	if time.Now().After(r.deadline) || ctx.Err() != nil {
		return Spec{}, false
	}
	s := r.queue[0]
	r.queue = r.queue[1:]
	return s, true
}
