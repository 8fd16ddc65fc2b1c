package test

// The `wharf queue` and `wharf cluster` commands against real clusters:
// their output and exit codes.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// wharfRun runs the wharf binary; env entries are added to the
// environment (WHARF_ENDPOINT is cleared unless given).
func wharfRun(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(wharfBin, args...)
	cmd.Env = append(append(os.Environ(), "WHARF_ENDPOINT="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running wharf %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// wharfOK runs wharf and fails the test unless it exits with want.
func wharfExpect(t *testing.T, want int, env []string, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := wharfRun(t, env, stdin, args...)
	if code != want {
		t.Fatalf("wharf %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

func TestWharfCLIQueue(t *testing.T) {
	cl := shared(t)
	ep := "--endpoint=" + strings.Join(cl.Endpoints(), ",")
	name := uniq("cli")
	ok := func(stdin string, args ...string) string {
		t.Helper()
		return wharfExpect(t, 0, nil, stdin, append(args, ep)...)
	}

	// create: a table with the URL; --json the description.
	out := ok("", "queue", "create", name, "--attr", "VisibilityTimeout=45")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, name) || !strings.Contains(out, "/000000000000/"+name) {
		t.Fatalf("create output:\n%s", out)
	}
	var info struct{ Name, URL, ARN string }
	if err := json.Unmarshal([]byte(ok("", "queue", "create", name, "--attr", "VisibilityTimeout=45", "--json")), &info); err != nil || info.Name != name || info.ARN == "" {
		t.Fatalf("create --json: %+v %v", info, err)
	}
	wharfExpect(t, 4, nil, "", "queue", "create", name, "--attr", "VisibilityTimeout=46", ep) // exists, other attributes
	wharfExpect(t, 1, nil, "", "queue", "create", uniq("cli-bad"), "--attr", "VisibilityTimeout=nope", ep)
	wharfExpect(t, 1, nil, "", "queue", "create", uniq("cli-bad"), "--attr", "novalue", ep)

	// list
	out = ok("", "queue", "list", "--prefix", name)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], name) {
		t.Fatalf("list output:\n%s", out)
	}
	var list []struct{ Name, URL string }
	if err := json.Unmarshal([]byte(ok("", "queue", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range list {
		found = found || q.Name == name
	}
	if !found {
		t.Fatalf("list --json lacks %s: %+v", name, list)
	}

	// attrs, --set
	out = ok("", "queue", "attrs", name)
	if !strings.HasPrefix(out, "ATTRIBUTE") || !containsRow(out, "VisibilityTimeout", "45") || !containsRow(out, "ApproximateNumberOfMessages", "0") {
		t.Fatalf("attrs output:\n%s", out)
	}
	out = ok("", "queue", "attrs", name, "--set", "VisibilityTimeout=60", "--set", "DelaySeconds=0")
	if !containsRow(out, "VisibilityTimeout", "60") {
		t.Fatalf("attrs --set output:\n%s", out)
	}
	wharfExpect(t, 2, nil, "", "queue", "attrs", name+"-missing", ep)
	wharfExpect(t, 1, nil, "", "queue", "attrs", name, "--set", "VisibilityTimeout=-1", ep)

	// send: arguments, stdin, lines
	out = ok("", "queue", "send", name, "first")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || lines[0] != "MESSAGE-ID" || len(lines[1]) < 8 {
		t.Fatalf("send output:\n%s", out)
	}
	var sent []struct {
		MessageID string `json:"message_id"`
		Error     string `json:"error"`
	}
	if err := json.Unmarshal([]byte(ok("", "queue", "send", name, "a", "b", "c", "--attr", "kind=test", "--json")), &sent); err != nil || len(sent) != 3 {
		t.Fatalf("send --json: %+v %v", sent, err)
	}
	ok("from stdin\n", "queue", "send", name)
	out = ok("l1\nl2\n\nl3\n", "queue", "send", name, "--lines")
	if n := strings.Count(out, "\n"); n != 4 {
		t.Fatalf("send --lines output (want a header and 3 IDs):\n%s", out)
	}
	wharfExpect(t, 2, nil, "", "queue", "send", name+"-missing", "x", ep)
	wharfExpect(t, 1, nil, "", "queue", "send", name, "x", "--delay", "1h", ep)
	wharfExpect(t, 1, nil, "", "queue", "send", name, ep) // empty stdin

	// receive: the table, then JSON with handles; delete by handle.
	out = ok("", "queue", "receive", name, "--max", "1", "--wait", "1s", "--delete")
	if !strings.HasPrefix(out, "MESSAGE-ID") || !strings.Contains(out, "first") || !strings.Contains(out, "RECEIPT-HANDLE") {
		t.Fatalf("receive output:\n%s", out)
	}
	var msgs []struct {
		MessageID     string `json:"message_id"`
		ReceiptHandle string `json:"receipt_handle"`
		Body          string `json:"body"`
		ReceiveCount  int    `json:"receive_count"`
		Attributes    map[string]struct{ DataType, StringValue string }
	}
	if err := json.Unmarshal([]byte(ok("", "queue", "receive", name, "--max", "10", "--wait", "1s", "--visibility", "5m", "--json")), &msgs); err != nil {
		t.Fatal(err)
	}
	bodies := map[string]bool{}
	var handles []string
	for _, m := range msgs {
		bodies[m.Body] = true
		handles = append(handles, m.ReceiptHandle)
		if m.Body == "a" && m.Attributes["kind"].StringValue != "test" {
			t.Fatalf("attributes of a: %+v", m.Attributes)
		}
	}
	for _, b := range []string{"a", "b", "c", "from stdin", "l1", "l2", "l3"} {
		if !bodies[b] {
			t.Fatalf("receive --json lacks %q: %+v", b, msgs)
		}
	}
	out = ok("", append([]string{"queue", "delete", name}, handles...)...)
	if strings.TrimSpace(out) != fmt.Sprintf("deleted %d message(s)", len(handles)) {
		t.Fatalf("delete output: %q", out)
	}
	wharfExpect(t, 1, nil, "", "queue", "delete", name, "bogus-handle", ep)
	wharfExpect(t, 1, nil, "", "queue", "receive", name, "--max", "11", ep)
	wharfExpect(t, 1, nil, "", "queue", "receive", ep)

	// receive --delete; nothing left: no output, exit 0.
	ok("", "queue", "send", name, "x1", "x2")
	left := map[string]bool{"x1": true, "x2": true}
	WaitFor(t, 20*time.Second, func() error {
		var got []struct{ Body string }
		if err := json.Unmarshal([]byte(ok("", "queue", "receive", name, "--max", "10", "--wait", "1s", "--delete", "--json")), &got); err != nil {
			return err
		}
		for _, m := range got {
			delete(left, m.Body)
		}
		if len(left) > 0 {
			return fmt.Errorf("not received yet: %v", left)
		}
		return nil
	})
	out, errOut, code := wharfRun(t, nil, "", "queue", "receive", name, "--wait", "0s", ep)
	if code != 0 || out != "" || strings.TrimSpace(errOut) != "no messages" {
		t.Fatalf("receive on an empty queue: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out := ok("", "queue", "receive", name, "--wait", "0s", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("receive --json on an empty queue: %q", out)
	}

	// purge, rm
	ok("", "queue", "send", name, "p")
	if out := ok("", "queue", "purge", name); strings.TrimSpace(out) != "purged "+name {
		t.Fatalf("purge output %q", out)
	}
	if out := ok("", "queue", "rm", name); strings.TrimSpace(out) != "deleted "+name {
		t.Fatalf("rm output %q", out)
	}
	wharfExpect(t, 2, nil, "", "queue", "rm", name, ep)
	wharfExpect(t, 2, nil, "", "queue", "purge", name, ep)

	// WHARF_ENDPOINT instead of --endpoint; a dead endpoint list exits 3.
	wharfExpect(t, 0, []string{"WHARF_ENDPOINT=" + cl.Endpoint(2)}, "", "queue", "list")
	_, errOut, code = wharfRun(t, nil, "", "queue", "list", "--endpoint", "127.0.0.1:1", "--endpoint", "127.0.0.1:2", "--timeout", "1s")
	if code != 3 || !strings.Contains(errOut, "connection refused") {
		t.Fatalf("dead endpoints: exit %d, stderr %q", code, errOut)
	}
	// Usage errors: 1.
	wharfExpect(t, 1, nil, "", "queue", "create")
	wharfExpect(t, 1, nil, "", "queue", "list", "--bogus-flag")
	wharfExpect(t, 1, nil, "", "queue", "list", "--endpoint", "ftp://x")
	if out := wharfExpect(t, 0, nil, "", "--help"); !strings.Contains(out, "Exit codes:") {
		t.Fatalf("--help lacks the exit codes:\n%s", out)
	}
}

// containsRow reports whether a table has a row whose first two columns
// are a and b.
func containsRow(table, a, b string) bool {
	for _, l := range strings.Split(table, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == a && f[1] == b {
			return true
		}
	}
	return false
}

func TestWharfCLICluster(t *testing.T) {
	cl := StartCluster(t, 3)
	ep := "--endpoint=" + strings.Join(cl.Endpoints(), ",")
	leader := cl.Leader(t)

	out := wharfExpect(t, 0, nil, "", "cluster", "status", ep)
	if !strings.HasPrefix(out, "leader "+cl.Nodes[leader].ID+"  term ") {
		t.Fatalf("status output:\n%s", out)
	}
	for i, n := range cl.Nodes {
		state := "Follower"
		if i == leader {
			state = "Leader"
		}
		if !containsRow(out, n.ID, state) {
			t.Fatalf("status lacks the row of %s (%s):\n%s", n.ID, state, out)
		}
	}
	var st struct {
		LeaderID string `json:"leader_id"`
		Nodes    []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(wharfExpect(t, 0, nil, "", "cluster", "status", "--json", ep)), &st); err != nil || st.LeaderID != cl.Nodes[leader].ID || len(st.Nodes) != 3 {
		t.Fatalf("status --json: %+v %v", st, err)
	}

	out = wharfExpect(t, 0, nil, "", "cluster", "members", ep)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("members output:\n%s", out)
	}
	for _, n := range cl.Nodes {
		if !strings.Contains(out, n.ID+" ") || !strings.Contains(out, fmt.Sprintf("127.0.0.1:%d", n.APIPort)) {
			t.Fatalf("members lacks %s:\n%s", n.ID, out)
		}
	}

	// transfer-leader to a named node, then to any.
	target := cl.Nodes[(leader+1)%3].ID
	out = wharfExpect(t, 0, nil, "", "cluster", "transfer-leader", target, ep)
	if !strings.HasPrefix(out, "leader "+target+" (was "+cl.Nodes[leader].ID+")") {
		t.Fatalf("transfer-leader output: %q", out)
	}
	var tr struct {
		LeaderID string `json:"leader_id"`
		Previous string `json:"previous_leader_id"`
	}
	if err := json.Unmarshal([]byte(wharfExpect(t, 0, nil, "", "cluster", "transfer-leader", "--json", ep)), &tr); err != nil || tr.Previous != target || tr.LeaderID == target || tr.LeaderID == "" {
		t.Fatalf("transfer-leader --json: %+v %v", tr, err)
	}

	// Kill a follower: status shows it unreachable; remove it.
	leader = cl.Leader(t)
	victim := (leader + 1) % 3
	if err := cl.Kill(victim); err != nil {
		t.Fatal(err)
	}
	out = wharfExpect(t, 0, nil, "", "cluster", "status", ep)
	if !containsRow(out, cl.Nodes[victim].ID, "unreachable") {
		t.Fatalf("status after a kill:\n%s", out)
	}
	out = wharfExpect(t, 0, nil, "", "cluster", "remove", cl.Nodes[victim].ID, ep)
	if strings.TrimSpace(out) != "removed "+cl.Nodes[victim].ID {
		t.Fatalf("remove output %q", out)
	}
	wharfExpect(t, 1, nil, "", "cluster", "remove", "no-such-node", ep)
	wharfExpect(t, 1, nil, "", "cluster", "remove", ep)
	WaitFor(t, 20*time.Second, func() error {
		var ms []struct {
			ID    string `json:"id"`
			Voter bool   `json:"voter"`
		}
		out, errOut, code := wharfRun(t, nil, "", "cluster", "members", "--json", ep)
		if code != 0 {
			return fmt.Errorf("exit %d: %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &ms); err != nil {
			return err
		}
		for _, m := range ms {
			if m.ID == cl.Nodes[victim].ID && m.Voter {
				return fmt.Errorf("%s is still a voter", m.ID)
			}
		}
		return nil
	})
	// Every endpoint dead: exit 3.
	for i := range cl.Nodes {
		if cl.Nodes[i].Running() {
			if err := cl.Kill(i); err != nil {
				t.Fatal(err)
			}
		}
	}
	wharfExpect(t, 3, nil, "", "cluster", "status", ep, "--timeout", "1s")
}

func TestWharfCLITopic(t *testing.T) {
	cl := shared(t)
	ep := "--endpoint=" + strings.Join(cl.Endpoints(), ",")
	name := uniq("clitopic")
	queue := name + "-q"
	ok := func(stdin string, args ...string) string {
		t.Helper()
		return wharfExpect(t, 0, nil, stdin, append(args, ep)...)
	}
	ok("", "queue", "create", queue)

	// create: a table; --json the topic; other attributes: exit 1.
	out := ok("", "topic", "create", name, "--attr", "DisplayName=Orders", "--tag", "team=shop")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAME ARN" ||
		!strings.Contains(lines[1], "arn:aws:sns:us-east-1:000000000000:"+name) {
		t.Fatalf("create output:\n%s", out)
	}
	var info struct{ Name, ARN string }
	if err := json.Unmarshal([]byte(ok("", "topic", "create", name, "--attr", "DisplayName=Orders", "--tag", "team=shop", "--json")), &info); err != nil || info.Name != name {
		t.Fatalf("create --json: %+v %v", info, err)
	}
	wharfExpect(t, 1, nil, "", "topic", "create", name, "--attr", "DisplayName=Other", ep)
	wharfExpect(t, 1, nil, "", "topic", "create", "bad name", ep)
	wharfExpect(t, 1, nil, "", "topic", "create", name, "--tag", "novalue", ep)

	// list, attrs
	out = ok("", "topic", "list", "--prefix", name)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], name+" ") {
		t.Fatalf("list output:\n%s", out)
	}
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(ok("", "topic", "list", "--json")), &list); err != nil || len(list) == 0 {
		t.Fatalf("list --json: %v", err)
	}
	out = ok("", "topic", "attrs", name, "--set", "DisplayName=Orders2")
	if !containsRow(out, "DisplayName", "Orders2") || !containsRow(out, "tag:team", "shop") || !containsRow(out, "SubscriptionsConfirmed", "0") {
		t.Fatalf("attrs output:\n%s", out)
	}
	wharfExpect(t, 2, nil, "", "topic", "attrs", name+"-missing", ep)

	// subscribe the queue by name, raw, filtered.
	out = ok("", "topic", "subscribe", name, "sqs", queue, "--raw", "--filter-policy", `{"kind":["new"]}`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "ID PROTOCOL ENDPOINT STATUS RAW FILTER-POLICY" {
		t.Fatalf("subscribe output:\n%s", out)
	}
	f := strings.Fields(lines[1])
	if f[1] != "sqs" || !strings.HasSuffix(f[2], ":"+queue) || f[3] != "confirmed" || f[4] != "yes" || f[5] != `{"kind":["new"]}` {
		t.Fatalf("subscribe row: %q", lines[1])
	}
	subID := f[0]
	var sub struct {
		ID, ARN, Endpoint string
		Pending           bool
	}
	if err := json.Unmarshal([]byte(ok("", "topic", "subscribe", name, "sqs", f[2], "--raw", "--filter-policy", `{"kind":["new"]}`, "--json")), &sub); err != nil || sub.ID != subID || sub.Pending {
		t.Fatalf("subscribe again by ARN --json: %+v %v", sub, err)
	}
	wharfExpect(t, 2, nil, "", "topic", "subscribe", name, "sqs", queue+"-missing", ep)
	wharfExpect(t, 2, nil, "", "topic", "subscribe", name+"-missing", "sqs", f[2], ep)
	wharfExpect(t, 1, nil, "", "topic", "subscribe", name, "email", "a@b.c", ep)
	wharfExpect(t, 1, nil, "", "topic", "subscribe", name, "sqs", queue, "--filter-policy", "{", ep)
	wharfExpect(t, 1, nil, "", "topic", "subscribe", name, "sqs", ep)

	// subscriptions: the topic's, then every topic's (with a TOPIC column).
	out = ok("", "topic", "subscriptions", name)
	if !containsRow(out, subID, "sqs") || strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Fatalf("subscriptions output:\n%s", out)
	}
	out = ok("", "topic", "subscriptions")
	if !strings.HasPrefix(out, "TOPIC") || !containsRow(out, name, subID) {
		t.Fatalf("all subscriptions output:\n%s", out)
	}
	var subs []struct{ ID, Topic string }
	if err := json.Unmarshal([]byte(ok("", "topic", "subscriptions", name, "--json")), &subs); err != nil || len(subs) != 1 || subs[0].ID != subID {
		t.Fatalf("subscriptions --json: %+v %v", subs, err)
	}
	wharfExpect(t, 2, nil, "", "topic", "subscriptions", name+"-missing", ep)

	// publish: arguments, stdin lines; the queue gets the matching ones.
	out = ok("", "topic", "publish", name, "order 1", "--attr", "kind=new", "--subject", "orders")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || lines[0] != "MESSAGE-ID" || len(lines[1]) < 8 {
		t.Fatalf("publish output:\n%s", out)
	}
	var pubs []struct {
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal([]byte(ok("l1\nl2\n\nl3\n", "topic", "publish", name, "--lines", "--attr", "kind=new", "--number-attr", "n=3", "--json")), &pubs); err != nil || len(pubs) != 3 {
		t.Fatalf("publish --lines --json: %+v %v", pubs, err)
	}
	ok("", "topic", "publish", name, "filtered out", "--attr", "kind=old")
	ok("", "topic", "publish", name, `{"default":"d","sqs":"for queues"}`, "--structure", "json", "--attr", "kind=new")
	wharfExpect(t, 2, nil, "", "topic", "publish", name+"-missing", "x", ep)
	wharfExpect(t, 1, nil, "", "topic", "publish", name, "x", "--subject", "a\nb", ep)
	wharfExpect(t, 1, nil, "", "topic", "publish", name, "x", "--structure", "json", ep)
	wharfExpect(t, 1, nil, "", "topic", "publish", name, ep) // empty stdin
	var msgs []struct {
		Body       string `json:"body"`
		Attributes map[string]struct{ DataType, StringValue string }
	}
	bodies := map[string]bool{}
	WaitFor(t, 20*time.Second, func() error {
		if err := json.Unmarshal([]byte(ok("", "queue", "receive", queue, "--max", "10", "--wait", "1s", "--delete", "--json")), &msgs); err != nil {
			return err
		}
		for _, m := range msgs {
			bodies[m.Body] = true
			if m.Body == "l2" && (m.Attributes["n"].DataType != "Number" || m.Attributes["kind"].StringValue != "new") {
				t.Fatalf("attributes of l2: %+v", m.Attributes)
			}
		}
		if len(bodies) < 5 {
			return fmt.Errorf("received %v", bodies)
		}
		return nil
	})
	for _, b := range []string{"order 1", "l1", "l2", "l3", "for queues"} {
		if !bodies[b] {
			t.Fatalf("the queue lacks %q: %v", b, bodies)
		}
	}
	if bodies["filtered out"] || len(bodies) != 5 {
		t.Fatalf("the queue got %v", bodies)
	}

	// confirm with a bad token: 1; unsubscribe by ARN, then by ID (gone: 2).
	wharfExpect(t, 1, nil, "", "topic", "confirm", name, "bogus-token", ep)
	arn := "arn:aws:sns:us-east-1:000000000000:" + name + ":" + subID
	if out := ok("", "topic", "unsubscribe", arn); strings.TrimSpace(out) != "unsubscribed "+arn {
		t.Fatalf("unsubscribe output %q", out)
	}
	wharfExpect(t, 2, nil, "", "topic", "unsubscribe", name, subID, ep)
	wharfExpect(t, 1, nil, "", "topic", "unsubscribe", subID, ep) // an ID needs the topic
	if out := ok("", "topic", "subscriptions", name); strings.TrimSpace(out) != strings.Join(strings.Fields("ID PROTOCOL ENDPOINT STATUS RAW FILTER-POLICY"), "  ") {
		t.Fatalf("subscriptions after unsubscribe:\n%q", out)
	}

	// rm; again: 2. Dead endpoints: 3.
	if out := ok("", "topic", "rm", name); strings.TrimSpace(out) != "deleted "+name {
		t.Fatalf("rm output %q", out)
	}
	wharfExpect(t, 2, nil, "", "topic", "rm", name, ep)
	wharfExpect(t, 2, nil, "", "topic", "publish", name, "x", ep)
	wharfExpect(t, 0, []string{"WHARF_ENDPOINT=" + cl.Endpoint(1)}, "", "topic", "list")
	_, errOut, code := wharfRun(t, nil, "", "topic", "list", "--endpoint", "127.0.0.1:1", "--timeout", "1s")
	if code != 3 || !strings.Contains(errOut, "connection refused") {
		t.Fatalf("dead endpoints: exit %d, stderr %q", code, errOut)
	}
	wharfExpect(t, 1, nil, "", "topic", "create")
	wharfExpect(t, 1, nil, "", "topic", "list", "--endpoint", "ftp://x")
}
