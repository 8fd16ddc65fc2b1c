package test

// GET /metrics on a real cluster: the values move as messages flow.

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sample is one series of a scrape.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is the samples of one node's /metrics.
type scrape []sample

// scrapeNode reads node i's /metrics (text exposition format).
func scrapeNode(c *Cluster, i int) (scrape, error) {
	res, err := c.http.Get(c.Endpoint(i) + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return nil, fmt.Errorf("/metrics: %d %s", res.StatusCode, b)
	}
	var out scrape
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("/metrics line %q: %w", line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseSample parses `name{a="x",b="y"} value` (no timestamps); label
// values here hold no quotes or commas (REST actions hold a space).
func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.LastIndexByte(line, ' ')
	if i <= 0 {
		return s, fmt.Errorf("no value")
	}
	series, value := line[:i], line[i+1:]
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return s, err
	}
	s.value = v
	name, labels, hasLabels := strings.Cut(series, "{")
	s.name = name
	if hasLabels {
		for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			s.labels[k] = strings.Trim(v, `"`)
		}
	}
	return s, nil
}

// sum adds the samples named name whose labels include match (alternating
// names and values); found is false when there is none.
func (sc scrape) sum(name string, match ...string) (total float64, found bool) {
next:
	for _, s := range sc {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(match); i += 2 {
			if s.labels[match[i]] != match[i+1] {
				continue next
			}
		}
		total += s.value
		found = true
	}
	return total, found
}

func (sc scrape) get(name string, match ...string) float64 {
	v, _ := sc.sum(name, match...)
	return v
}

// scrapeAll scrapes every node.
func scrapeAll(c *Cluster) ([]scrape, error) {
	out := make([]scrape, len(c.Nodes))
	for i := range c.Nodes {
		s, err := scrapeNode(c, i)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

// clusterSum adds a series over the nodes (counters count each operation
// on the one leader that applied it).
func clusterSum(all []scrape, name string, match ...string) float64 {
	t := 0.0
	for _, s := range all {
		t += s.get(name, match...)
	}
	return t
}

func TestMetricsMove(t *testing.T) {
	c := shared(t)
	leader := c.Leader(t)
	follower := (leader + 1) % len(c.Nodes)
	cl := newSQS(c.Endpoint(follower)) // through a follower: forwarded
	name := uniq("metrics")
	url := createQueue(t, cl, name, nil)
	q := []string{"queue", name}

	before, err := scrapeAll(c)
	if err != nil {
		t.Fatal(err)
	}
	// The queue's gauges are there, at zero, on every replica.
	WaitFor(t, 10*time.Second, func() error {
		all, err := scrapeAll(c)
		if err != nil {
			return err
		}
		for i, s := range all {
			if _, ok := s.sum("wharf_queue_messages_visible", q...); !ok {
				return fmt.Errorf("node %d: no wharf_queue_messages_visible for %s", i, name)
			}
		}
		return nil
	})

	const sent = 5
	var bodies []string
	for i := 0; i < sent; i++ {
		bodies = append(bodies, fmt.Sprintf("m-%d", i))
	}
	sendBodies(t, cl, url, bodies...)

	// Depth up, send counter up, latency histogram and applied index up.
	WaitFor(t, 15*time.Second, func() error {
		all, err := scrapeAll(c)
		if err != nil {
			return err
		}
		for i, s := range all {
			if v := s.get("wharf_queue_messages_visible", q...); v != sent {
				return fmt.Errorf("node %d: visible %v, want %d", i, v, sent)
			}
			if a, b := s.get("wharf_raft_applied_index"), before[i].get("wharf_raft_applied_index"); a <= b {
				return fmt.Errorf("node %d: applied index %v, was %v", i, a, b)
			}
		}
		if d := clusterSum(all, "wharf_messages_sent_total", q...) - clusterSum(before, "wharf_messages_sent_total", q...); d != sent {
			return fmt.Errorf("sent_total moved by %v, want %d", d, sent)
		}
		latency := func(sc []scrape) float64 {
			return sc[follower].get("wharf_http_request_duration_seconds_count", "action", "SendMessage", "protocol", "json")
		}
		if d := latency(all) - latency(before); d < sent {
			return fmt.Errorf("follower's SendMessage latency count moved by %v, want >= %d", d, sent)
		}
		if d := all[leader].get("wharf_raft_apply_duration_seconds_count") - before[leader].get("wharf_raft_apply_duration_seconds_count"); d < sent {
			return fmt.Errorf("leader's apply latency count moved by %v", d)
		}
		if age := all[leader].get("wharf_queue_oldest_message_age_seconds", q...); age <= 0 {
			return fmt.Errorf("oldest message age %v", age)
		}
		return nil
	})

	// Receive three: in flight up, visible down, receive counter up.
	msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 3, VisibilityTimeout: 60})
	if len(msgs) != 3 {
		t.Fatalf("received %d, want 3", len(msgs))
	}
	WaitFor(t, 15*time.Second, func() error {
		all, err := scrapeAll(c)
		if err != nil {
			return err
		}
		s := all[leader]
		if v, f := s.get("wharf_queue_messages_visible", q...), s.get("wharf_queue_messages_in_flight", q...); v != 2 || f != 3 {
			return fmt.Errorf("visible %v in flight %v, want 2 and 3", v, f)
		}
		if d := clusterSum(all, "wharf_messages_received_total", q...) - clusterSum(before, "wharf_messages_received_total", q...); d != 3 {
			return fmt.Errorf("received_total moved by %v", d)
		}
		return nil
	})

	// Delete them: the depth goes down, the delete counter up.
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	out, err := cl.DeleteMessageBatch(ctxT(t, 30*time.Second), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil || len(out.Failed) != 0 {
		t.Fatalf("DeleteMessageBatch: %v %+v", err, out)
	}
	WaitFor(t, 15*time.Second, func() error {
		all, err := scrapeAll(c)
		if err != nil {
			return err
		}
		for i, s := range all {
			if v, f := s.get("wharf_queue_messages_visible", q...), s.get("wharf_queue_messages_in_flight", q...); v != 2 || f != 0 {
				return fmt.Errorf("node %d: visible %v in flight %v, want 2 and 0", i, v, f)
			}
		}
		if d := clusterSum(all, "wharf_messages_deleted_total", q...) - clusterSum(before, "wharf_messages_deleted_total", q...); d != 3 {
			return fmt.Errorf("deleted_total moved by %v", d)
		}
		return nil
	})

	// Raft and gossip: one leader, everyone alive.
	all, err := scrapeAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if n := clusterSum(all, "wharf_raft_state", "state", "leader"); n != 1 {
		t.Errorf("%v nodes report being leader", n)
	}
	if all[leader].get("wharf_raft_state", "state", "leader") != 1 {
		t.Errorf("node %d does not report being leader", leader)
	}
	if clusterSum(all, "wharf_raft_leadership_changes_total", "change", "acquired") < 1 {
		t.Error("no leadership acquisition counted")
	}
	for i, s := range all {
		if v := s.get("wharf_gossip_members", "status", "alive"); v != float64(len(c.Nodes)) {
			t.Errorf("node %d: %v alive gossip members", i, v)
		}
		if _, ok := s.sum("wharf_gossip_health_score"); !ok {
			t.Errorf("node %d: no gossip health score", i)
		}
		if s.get("wharf_raft_term") < 1 || s.get("wharf_raft_commit_index") < 1 {
			t.Errorf("node %d: term %v commit %v", i, s.get("wharf_raft_term"), s.get("wharf_raft_commit_index"))
		}
		if _, ok := s.sum("go_goroutines"); !ok {
			t.Errorf("node %d: no Go runtime metrics", i)
		}
	}
}
