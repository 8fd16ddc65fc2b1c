package fsm

import (
	"sort"

	"github.com/google/btree"
)

// Fair queues: a standard queue whose messages carry a MessageGroupId
// serves its groups in turn, so one busy group cannot starve the others.
// The queue indexes its ready messages by group from the first grouped
// message on (messages without a group form one more group); a receive
// takes one message per group per round, groups with the fewest messages
// in flight first, then by their oldest message.

// addReady files m as visible.
func (q *queue) addReady(m *message) {
	q.ready.ReplaceOrInsert(m)
	if q.groups != nil {
		q.groups.add(m)
		return
	}
	g := m.groupID()
	if q.fair == nil && g != "" {
		q.startFair()
		return
	}
	if q.fair != nil {
		q.fairGroup(g).ReplaceOrInsert(m)
	}
}

// fairGroup returns a fair queue's index of group g, created if absent.
func (q *queue) fairGroup(g string) *btree.BTreeG[*message] {
	t, ok := q.fair[g]
	if !ok {
		t = btree.NewG(btreeDegree, bySeq)
		q.fair[g] = t
	}
	return t
}

// deleteReady removes m from the visible messages; it reports whether m
// was there.
func (q *queue) deleteReady(m *message) bool {
	if _, ok := q.ready.Delete(m); !ok {
		return false
	}
	if q.groups != nil {
		q.groups.remove(m)
	}
	if q.fair != nil {
		g := m.groupID()
		if t, ok := q.fair[g]; ok {
			t.Delete(m)
			if t.Len() == 0 {
				delete(q.fair, g)
			}
		}
	}
	return true
}

// startFair builds the group index from the ready messages.
func (q *queue) startFair() {
	q.fair = map[string]*btree.BTreeG[*message]{}
	q.ready.Ascend(func(m *message) bool {
		q.fairGroup(m.groupID()).ReplaceOrInsert(m)
		return true
	})
}

// pickFair chooses up to max visible messages of a fair queue.
func (q *queue) pickFair(max int) []*message {
	type group struct {
		id       string
		inFlight int
		head     uint64
	}
	groups := make([]group, 0, len(q.fair))
	for id, t := range q.fair {
		if m, ok := t.Min(); ok {
			groups = append(groups, group{id, q.groupInFlight[id], m.Seq})
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].inFlight != groups[j].inFlight {
			return groups[i].inFlight < groups[j].inFlight
		}
		return groups[i].head < groups[j].head
	})
	var out []*message
	for round := 0; len(out) < max; round++ {
		took := false
		for _, g := range groups {
			if len(out) == max {
				break
			}
			var m *message
			i := 0
			q.fair[g.id].Ascend(func(x *message) bool {
				if i == round {
					m = x
					return false
				}
				i++
				return true
			})
			if m != nil {
				out = append(out, m)
				took = true
			}
		}
		if !took {
			break
		}
	}
	return out
}
