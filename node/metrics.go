package node

import (
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wharfmq/wharf/fsm"
)

// Each node owns a Prometheus registry (not the global default one), so
// several nodes in one process (the in-process cluster tests) do not
// collide. Transport serves it at /metrics.
//
// Counters are incremented where an operation succeeds: on the leader, the
// only node that runs writes, so summing a counter over the nodes counts
// each operation once. Gauges (queue depths, raft, gossip) are read at
// scrape time from this node's own replica and view: every node reports
// them, so aggregate queue depths with max, not sum.

// queueLabels label the per-queue series.
var queueLabels = []string{"region", "account", "queue"}

// metrics are the node's instruments.
type metrics struct {
	reg *prometheus.Registry

	sent     *prometheus.CounterVec
	received *prometheus.CounterVec
	deleted  *prometheus.CounterVec

	published  *prometheus.CounterVec
	deliveries *prometheus.CounterVec

	applySeconds    prometheus.Histogram
	entries         prometheus.Counter
	commands        prometheus.Counter
	leaderChanges   *prometheus.CounterVec
	snapshotSeconds prometheus.Histogram
}

func newMetrics(n *Node) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_messages_sent_total",
			Help: "Messages enqueued by send and send-batch calls (replays of an idempotency key excluded), counted on the leader that applied them.",
		}, queueLabels),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_messages_received_total",
			Help: "Messages handed out by receive calls, counted on the leader that applied them.",
		}, queueLabels),
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_messages_deleted_total",
			Help: "Delete entries that succeeded (by receipt handle), counted on the leader that applied them.",
		}, queueLabels),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_sns_messages_published_total",
			Help: "Messages published to SNS topics, counted on the leader that applied them.",
		}, []string{"region", "account", "topic"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_sns_push_deliveries_total",
			Help: "HTTP/S push delivery attempts by outcome (delivered, failed), counted on the leader that made them.",
		}, []string{"outcome"}),
		applySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wharf_raft_apply_duration_seconds",
			Help:    "Time from proposing a command on the leader to its commit and apply (batching included).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18), // 100us .. 13s
		}),
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wharf_raft_entries_total",
			Help: "Raft entries this node proposed as leader; wharf_raft_commands_total over it is the commands per entry the batcher reached.",
		}),
		commands: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wharf_raft_commands_total",
			Help: "Commands this node proposed as leader, in wharf_raft_entries_total entries.",
		}),
		leaderChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wharf_raft_leadership_changes_total",
			Help: "Times this node became (change=acquired) or stopped being (change=lost) the raft leader.",
		}, []string{"change"}),
		snapshotSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wharf_raft_snapshot_persist_duration_seconds",
			Help:    "Time to write a snapshot of the state machine to the snapshot store.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16), // 1ms .. 33s
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.sent, m.received, m.deleted, m.published, m.deliveries, m.applySeconds, m.entries, m.commands, m.leaderChanges, m.snapshotSeconds,
		nodeCollector{n},
	)
	return m
}

// Registry is the node's Prometheus registry: its own instruments and
// those other layers (transport) register on it.
func (n *Node) Registry() *prometheus.Registry { return n.metrics.reg }

func queueLabelValues(k fsm.QueueKey) []string { return []string{k.Region, k.Account, k.Name} }

// countSent counts the entries of a send that enqueued a message: an
// entry answered with another message ID than the one stamped on it was a
// replay (of an idempotency key) and enqueued nothing.
func (m *metrics) countSent(req fsm.SendMessages, res []fsm.SendResult) {
	c := 0
	for i, r := range res {
		if r.Err == nil && i < len(req.Entries) && r.MessageID == req.Entries[i].MessageID {
			c++
		}
	}
	if c > 0 {
		m.sent.WithLabelValues(queueLabelValues(req.Queue)...).Add(float64(c))
	}
}

// countReceived counts the messages a receive handed out.
func (m *metrics) countReceived(key fsm.QueueKey, msgs []fsm.ReceivedMessage) {
	if len(msgs) > 0 {
		m.received.WithLabelValues(queueLabelValues(key)...).Add(float64(len(msgs)))
	}
}

// countDeleted counts the entries of a delete that succeeded.
func (m *metrics) countDeleted(key fsm.QueueKey, res []fsm.EntryResult) {
	c := 0
	for _, r := range res {
		if r.Err == nil {
			c++
		}
	}
	if c > 0 {
		m.deleted.WithLabelValues(queueLabelValues(key)...).Add(float64(c))
	}
}

// countPublished counts the entries of a publish that succeeded.
func (m *metrics) countPublished(key fsm.TopicKey, res []fsm.PublishResult) {
	c := 0
	for _, r := range res {
		if r.Err == nil {
			c++
		}
	}
	if c > 0 {
		m.published.WithLabelValues(key.Region, key.Account, key.Name).Add(float64(c))
	}
}

// countDelivery counts one push delivery attempt.
func (m *metrics) countDelivery(_ fsm.Delivery, delivered bool) {
	outcome := "failed"
	if delivered {
		outcome = "delivered"
	}
	m.deliveries.WithLabelValues(outcome).Inc()
}

// forgetQueue drops a deleted queue's counters, so deleted queues do not
// pile up series.
func (m *metrics) forgetQueue(key fsm.QueueKey) {
	l := queueLabelValues(key)
	m.sent.DeleteLabelValues(l...)
	m.received.DeleteLabelValues(l...)
	m.deleted.DeleteLabelValues(l...)
}

// observeApply records an apply that started at start (use with defer).
// countEntry counts one proposed raft entry of commands commands.
func (m *metrics) countEntry(commands int) {
	m.entries.Inc()
	m.commands.Add(float64(commands))
}

func (m *metrics) observeApply(start time.Time) {
	m.applySeconds.Observe(time.Since(start).Seconds())
}

// observeSnapshot records a snapshot persist that started at start (use
// with defer); m may be nil.
func (m *metrics) observeSnapshot(start time.Time) {
	if m != nil {
		m.snapshotSeconds.Observe(time.Since(start).Seconds())
	}
}

// leadershipChanged counts a gain or loss of leadership.
func (m *metrics) leadershipChanged(isLeader bool) {
	if isLeader {
		m.leaderChanges.WithLabelValues("acquired").Inc()
	} else {
		m.leaderChanges.WithLabelValues("lost").Inc()
	}
}

// nodeCollector reads the gauges at scrape time: queue depths from the
// state machine, raft's state and indexes, gossip's view.
type nodeCollector struct{ n *Node }

var (
	descVisible = prometheus.NewDesc("wharf_queue_messages_visible",
		"Messages available for retrieval (ApproximateNumberOfMessages), from this node's replica.", queueLabels, nil)
	descInFlight = prometheus.NewDesc("wharf_queue_messages_in_flight",
		"Messages received and not yet deleted or visible again (ApproximateNumberOfMessagesNotVisible).", queueLabels, nil)
	descDelayed = prometheus.NewDesc("wharf_queue_messages_delayed",
		"Messages whose delivery delay has not ended (ApproximateNumberOfMessagesDelayed).", queueLabels, nil)
	descOldestAge = prometheus.NewDesc("wharf_queue_oldest_message_age_seconds",
		"Age of the message that has been in the queue longest; 0 when empty.", queueLabels, nil)
	descQueues = prometheus.NewDesc("wharf_queues",
		"Number of queues.", nil, nil)

	descRaftState = prometheus.NewDesc("wharf_raft_state",
		"Raft state of this node: 1 for the current state, 0 for the others.", []string{"state"}, nil)
	descRaftTerm = prometheus.NewDesc("wharf_raft_term",
		"Current raft term.", nil, nil)
	descRaftCommit = prometheus.NewDesc("wharf_raft_commit_index",
		"Highest log index known to be committed.", nil, nil)
	descRaftApplied = prometheus.NewDesc("wharf_raft_applied_index",
		"Highest log index applied to the state machine.", nil, nil)
	descRaftLastIndex = prometheus.NewDesc("wharf_raft_last_index",
		"Highest log index stored on this node.", nil, nil)
	descRaftLastContact = prometheus.NewDesc("wharf_raft_last_contact_seconds",
		"Time since this follower last heard from the leader (0 on the leader).", nil, nil)
	descRaftVoters = prometheus.NewDesc("wharf_raft_voters",
		"Voters in the raft configuration.", nil, nil)

	descGossipMembers = prometheus.NewDesc("wharf_gossip_members",
		"Gossip members as this node sees them, by status (alive, suspect, dead, left).", []string{"status"}, nil)
	descTopics = prometheus.NewDesc("wharf_sns_topics",
		"SNS topics in this node's replica.", nil, nil)
	descOutbox = prometheus.NewDesc("wharf_sns_outbox_deliveries",
		"HTTP/S push deliveries waiting in the replicated outbox (retries included).", nil, nil)
	descGossipHealth = prometheus.NewDesc("wharf_gossip_health_score",
		"memberlist's awareness health score of this node: 0 is healthy, higher means it is slow to answer probes.", nil, nil)
)

var raftStates = []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown}

var gossipStates = []memberlist.NodeStateType{memberlist.StateAlive, memberlist.StateSuspect, memberlist.StateDead, memberlist.StateLeft}

// Describe implements prometheus.Collector.
func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descVisible, descInFlight, descDelayed, descOldestAge, descQueues,
		descRaftState, descRaftTerm, descRaftCommit, descRaftApplied, descRaftLastIndex, descRaftLastContact, descRaftVoters,
		descGossipMembers, descGossipHealth, descTopics, descOutbox} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	now := time.Now().UnixMilli()
	stats := n.fsm.QueueStats(now)
	for _, s := range stats {
		l := queueLabelValues(s.Queue)
		ch <- prometheus.MustNewConstMetric(descVisible, prometheus.GaugeValue, float64(s.Visible), l...)
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(s.InFlight), l...)
		ch <- prometheus.MustNewConstMetric(descDelayed, prometheus.GaugeValue, float64(s.Delayed), l...)
		ch <- prometheus.MustNewConstMetric(descOldestAge, prometheus.GaugeValue, s.OldestAgeSeconds(now), l...)
	}
	ch <- prometheus.MustNewConstMetric(descQueues, prometheus.GaugeValue, float64(len(stats)))
	ch <- prometheus.MustNewConstMetric(descTopics, prometheus.GaugeValue, float64(n.fsm.TopicCount()))
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(n.fsm.OutboxLen()))

	if r := n.raft; r != nil {
		state := r.State()
		for _, s := range raftStates {
			v := 0.0
			if s == state {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descRaftState, prometheus.GaugeValue, v, stateLabel(s))
		}
		ch <- prometheus.MustNewConstMetric(descRaftTerm, prometheus.GaugeValue, float64(r.CurrentTerm()))
		ch <- prometheus.MustNewConstMetric(descRaftCommit, prometheus.GaugeValue, float64(r.CommitIndex()))
		ch <- prometheus.MustNewConstMetric(descRaftApplied, prometheus.GaugeValue, float64(r.AppliedIndex()))
		ch <- prometheus.MustNewConstMetric(descRaftLastIndex, prometheus.GaugeValue, float64(r.LastIndex()))
		contact := 0.0
		if state != raft.Leader {
			if t := r.LastContact(); !t.IsZero() {
				contact = time.Since(t).Seconds()
			}
		}
		ch <- prometheus.MustNewConstMetric(descRaftLastContact, prometheus.GaugeValue, contact)
		ch <- prometheus.MustNewConstMetric(descRaftVoters, prometheus.GaugeValue, float64(n.voterCount()))
	}

	if n.peers != nil {
		counts := map[memberlist.NodeStateType]int{}
		for _, p := range n.peers.snapshot() {
			counts[p.state]++
		}
		for _, s := range gossipStates {
			ch <- prometheus.MustNewConstMetric(descGossipMembers, prometheus.GaugeValue, float64(counts[s]), gossipStateName(s))
		}
	}
	if n.gossip != nil {
		ch <- prometheus.MustNewConstMetric(descGossipHealth, prometheus.GaugeValue, float64(n.gossip.GetHealthScore()))
	}
}

// stateLabel is the label value of a raft state: leader, follower,
// candidate or shutdown.
func stateLabel(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	}
	return "shutdown"
}
