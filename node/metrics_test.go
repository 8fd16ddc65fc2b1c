package node

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wharfmq/wharf/fsm"
)

// metricValue reads one series of the node's registry (a histogram's
// sample count); labels alternate names and values that must match.
func metricValue(t *testing.T, n *Node, name string, labels ...string) float64 {
	t.Helper()
	families, err := n.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s %v", name, labels)
	return 0
}

func TestNodeMetrics(t *testing.T) {
	c := newTestCluster(t, 1)
	n := c.leader()
	ctx := context.Background()
	q := fsm.QueueKey{Region: "us-east-1", Account: "000000000000", Name: "metered"}
	ql := []string{"region", q.Region, "account", q.Account, "queue", q.Name}
	if err := n.CreateQueue(ctx, fsm.CreateQueue{Queue: q}); err != nil {
		t.Fatal(err)
	}
	applies := metricValue(t, n, "wharf_raft_apply_duration_seconds")
	entries := []fsm.SendEntry{{Body: "a", DelaySeconds: -1, IdempotencyKey: "k1"}, {Body: "b", DelaySeconds: -1}, {Body: "c", DelaySeconds: 60}}
	if _, err := n.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	// A replay of an idempotency key enqueues nothing and counts nothing.
	if _, err := n.SendMessages(ctx, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: "a", DelaySeconds: -1, IdempotencyKey: "k1"}}}); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, n, "wharf_messages_sent_total", ql...); v != 3 {
		t.Fatalf("sent_total %v, want 3", v)
	}
	if v := metricValue(t, n, "wharf_raft_apply_duration_seconds"); v < applies+2 {
		t.Fatalf("apply latency count %v, was %v", v, applies)
	}
	msgs, err := n.ReceiveMessages(ctx, fsm.ReceiveMessages{Queue: q, Max: 10, VisibilityTimeout: 30}, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("receive: %v %d", err, len(msgs))
	}
	if v := metricValue(t, n, "wharf_messages_received_total", ql...); v != 2 {
		t.Fatalf("received_total %v", v)
	}
	if v, f, d := metricValue(t, n, "wharf_queue_messages_visible", ql...), metricValue(t, n, "wharf_queue_messages_in_flight", ql...),
		metricValue(t, n, "wharf_queue_messages_delayed", ql...); v != 0 || f != 2 || d != 1 {
		t.Fatalf("visible %v in flight %v delayed %v", v, f, d)
	}
	res, err := n.DeleteMessages(ctx, fsm.DeleteMessages{Queue: q, Entries: []fsm.HandleEntry{{ID: "1", ReceiptHandle: msgs[0].ReceiptHandle}, {ID: "2", ReceiptHandle: "bogus"}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("delete: %v %+v", err, res)
	}
	if v := metricValue(t, n, "wharf_messages_deleted_total", ql...); v != 1 {
		t.Fatalf("deleted_total %v", v)
	}
	if v := metricValue(t, n, "wharf_queue_messages_in_flight", ql...); v != 1 {
		t.Fatalf("in flight after delete %v", v)
	}

	// Raft and gossip.
	if metricValue(t, n, "wharf_raft_state", "state", "leader") != 1 || metricValue(t, n, "wharf_raft_state", "state", "follower") != 0 {
		t.Fatal("raft state")
	}
	if metricValue(t, n, "wharf_raft_leadership_changes_total", "change", "acquired") < 1 {
		t.Fatal("no leadership acquisition counted")
	}
	if metricValue(t, n, "wharf_raft_applied_index") < 1 || metricValue(t, n, "wharf_raft_term") < 1 || metricValue(t, n, "wharf_raft_voters") != 1 {
		t.Fatal("raft indexes")
	}
	if v := metricValue(t, n, "wharf_gossip_members", "status", "alive"); v != 1 {
		t.Fatalf("alive members %v", v)
	}
	metricValue(t, n, "wharf_gossip_health_score")

	// A snapshot is timed.
	if err := n.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, n, "wharf_raft_snapshot_persist_duration_seconds"); v != 1 {
		t.Fatalf("snapshot count %v", v)
	}

	// Deleting the queue drops its series.
	if err := n.DeleteQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	if c := testutil.CollectAndCount(n.Registry(), "wharf_messages_sent_total", "wharf_queue_messages_visible"); c != 0 {
		t.Fatalf("%d series left for a deleted queue", c)
	}
	problems, err := testutil.GatherAndLint(n.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "wharf_") {
			t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
		}
	}
}
