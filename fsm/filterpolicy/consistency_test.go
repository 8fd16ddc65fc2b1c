package filterpolicy

import (
	"math/rand"
	"testing"
)

// TestConsistentAgainstBruteForce compares consistent with an exhaustive
// search on random small trails.
func TestConsistentAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 3000; round++ {
		n := 1 + rng.Intn(5)
		choices := make([][]*entry, n)
		for k := range choices {
			for o := 1 + rng.Intn(4); o > 0; o-- {
				choices[k] = append(choices[k], &entry{trail: randomTrail(rng)})
			}
		}
		want := bruteForce(choices, nil)
		if got := consistent(choices); got != want {
			t.Fatalf("round %d: consistent = %v, brute force = %v; trails %v", round, got, want, trailsOf(choices))
		}
	}
}

// randomTrail walks a small fixed array tree: array 0 holds elements 0..2;
// element i of array 0 holds arrays 1+2i and 2+2i, each with elements 0..1.
func randomTrail(rng *rand.Rand) []step {
	depth := rng.Intn(3)
	var trail []step
	if depth >= 1 {
		trail = append(trail, step{array: 0, index: rng.Intn(3)})
	}
	if depth >= 2 {
		trail = append(trail, step{array: 1 + 2*trail[0].index + rng.Intn(2), index: rng.Intn(2)})
	}
	return trail
}

func bruteForce(choices [][]*entry, chosen []*entry) bool {
	if len(chosen) == len(choices) {
		return true
	}
	for _, e := range choices[len(chosen)] {
		ok := true
		for _, c := range chosen {
			if !pairCompatible(c, e) {
				ok = false
				break
			}
		}
		if ok && bruteForce(choices, append(chosen, e)) {
			return true
		}
	}
	return false
}

// pairCompatible: wherever two trails pass through the same array, they
// are in the same element of it.
func pairCompatible(a, b *entry) bool {
	for _, x := range a.trail {
		for _, y := range b.trail {
			if x.array == y.array && x.index != y.index {
				return false
			}
		}
	}
	return true
}

func trailsOf(choices [][]*entry) [][][]step {
	var out [][][]step
	for _, c := range choices {
		var ts [][]step
		for _, e := range c {
			ts = append(ts, e.trail)
		}
		out = append(out, ts)
	}
	return out
}

func TestConsistentEdges(t *testing.T) {
	if !consistent(nil) {
		t.Error("no choices is not consistent")
	}
	many := make([][]*entry, maxChoices+1)
	for i := range many {
		many[i] = []*entry{{trail: []step{{array: 0, index: 0}}}}
	}
	if consistent(many) {
		t.Error("more choices than a branch can have were decided")
	}
}
