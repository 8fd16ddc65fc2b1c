package filterpolicy

import "math/bits"

// Array consistency. A body's values sit inside arrays; a branch of the
// policy may only be satisfied by values that, wherever they pass through
// the same array, come from the same element of it (AWS's rule engine
// matches this way). Values in different arrays never conflict.
//
// consistent decides whether one value per choice can be picked that way.
// It is exact and polynomial, not a search: the values' array positions
// form a tree (element, then an array inside it, then an element of that
// array, ...), and for each element of the tree it computes which subsets
// of the choices can be satisfied inside it. An element satisfies the
// choices whose values sit directly in it; it combines, across the
// different arrays inside it, the subsets that one element of each array
// satisfies. A branch has at most five keys, so a set of subsets fits in a
// 64-bit word.

// maxChoices is the most choices consistent can decide: 2^6 subsets fill a
// uint64. Parse allows at most five keys per branch.
const maxChoices = 6

// step is one array on the way to a value: which array (numbered in
// document order) and which element of it.
type step struct {
	array, index int
}

// trieNode is one array element on the values' paths (node 0 is the body).
type trieNode struct {
	parent, array int
	here          uint64    // bit k: choice k has a value directly here
	groups        []subsets // per array inside this element
}

// subsets is, for one array inside an element, which subsets of the
// choices some single element of that array satisfies (bit x: subset x).
type subsets struct {
	array int
	sets  uint64
}

func consistent(choices [][]*entry) bool {
	n := len(choices)
	if n == 0 {
		return true
	}
	if n > maxChoices {
		return false
	}
	type edge struct{ parent, array, index int }
	nodes := []trieNode{{}}
	index := map[edge]int{}
	for k, opts := range choices {
		for _, e := range opts {
			at := 0
			for _, s := range e.trail {
				key := edge{at, s.array, s.index}
				child, ok := index[key]
				if !ok {
					child = len(nodes)
					nodes = append(nodes, trieNode{parent: at, array: s.array})
					index[key] = child
				}
				at = child
			}
			nodes[at].here |= 1 << k
		}
	}
	// Children are created after their parents: folding from the last node
	// back finishes every element before its parent needs it.
	for id := len(nodes) - 1; id > 0; id-- {
		sets := nodes[id].satisfiable(n)
		parent := &nodes[nodes[id].parent]
		found := false
		for g := range parent.groups {
			if parent.groups[g].array == nodes[id].array {
				parent.groups[g].sets |= sets
				found = true
				break
			}
		}
		if !found {
			parent.groups = append(parent.groups, subsets{array: nodes[id].array, sets: sets})
		}
	}
	all := uint64(1)<<n - 1
	return nodes[0].satisfiable(n)&(1<<all) != 0
}

// satisfiable returns the subsets of the n choices this element satisfies.
func (t *trieNode) satisfiable(n int) uint64 {
	var sets uint64
	for x := uint64(0); x < 1<<n; x++ {
		if x&^t.here == 0 {
			sets |= 1 << x
		}
	}
	for _, g := range t.groups {
		sets = unions(sets, g.sets)
	}
	return sets
}

// unions returns every union of a subset from a with a subset from b.
func unions(a, b uint64) uint64 {
	if b == 1 { // only the empty subset
		return a
	}
	var out uint64
	for ; a != 0; a &= a - 1 {
		x := bits.TrailingZeros64(a)
		for bb := b; bb != 0; bb &= bb - 1 {
			out |= 1 << (x | bits.TrailingZeros64(bb))
		}
	}
	return out
}
