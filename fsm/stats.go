package fsm

import "sort"

// QueueStats are the message counts of one queue at a moment, for metrics
// and dashboards.
type QueueStats struct {
	Queue QueueKey
	// Visible, InFlight and Delayed count the queue's messages by state
	// (ApproximateNumberOfMessages, ...NotVisible, ...Delayed).
	Visible  int
	InFlight int
	Delayed  int
	// OldestSentAt is the send time (epoch ms) of the message that has
	// been in the queue longest, in enqueue order; 0 when it is empty. A
	// message moved to a dead-letter queue keeps its first send time.
	OldestSentAt int64
}

// OldestAgeSeconds is how old the oldest message is at now (epoch ms), in
// seconds; 0 for an empty queue.
func (s QueueStats) OldestAgeSeconds(now int64) float64 {
	if s.OldestSentAt == 0 || now <= s.OldestSentAt {
		return 0
	}
	return float64(now-s.OldestSentAt) / 1000
}

// QueueStats returns the stats of every queue at now (epoch ms), sorted by
// region, account and name. It is a read: it changes no state, so messages
// whose delay or visibility has ended count as visible without being moved.
// Its cost grows with the number of queues, plus the delayed or in-flight
// messages whose deadline passed but that no command has touched yet.
func (f *FSM) QueueStats(now int64) []QueueStats {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]QueueStats, 0, len(f.queues))
	for k, q := range f.queues {
		s := QueueStats{Queue: k}
		s.Visible, s.InFlight, s.Delayed = q.counts(now)
		if m, ok := q.all.Min(); ok {
			s.OldestSentAt = m.SentAt
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Queue, out[j].Queue) })
	return out
}
