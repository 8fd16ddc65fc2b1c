package test

// The web console (/ui) in a real browser: Debian's chromium, headless,
// driven with chromedp against a real 3-node cluster. Without chromium the
// test skips, except in CI (CI=true), where it fails.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive: $WHARF_CHROMIUM, or the
// first of Debian's and the usual names on PATH.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WHARF_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true: the console test must run; .ci/run installs Debian's chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// restJSON calls the native REST API and decodes the answer into out (when
// not nil); it fails the test on a non-2xx answer.
func restJSON(t *testing.T, method, url string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctxT(t, 30*time.Second), method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
}

// queueDepth reads ApproximateNumberOfMessages through the REST API.
func queueDepth(t *testing.T, endpoint, name string) string {
	var q struct {
		Attributes map[string]string `json:"attributes"`
	}
	restJSON(t, "GET", endpoint+"/v1/queues/"+name, nil, &q)
	return q.Attributes["ApproximateNumberOfMessages"]
}

// screenshot saves the page as name under the test's artifact directory
// and, when $WHARF_ARTIFACTS is set, there too.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{t.ArtifactDir()}
	if d := os.Getenv("WHARF_ARTIFACTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Errorf("artifacts: %v", err)
			continue
		}
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Errorf("artifacts: %v", err)
			continue
		}
		t.Logf("screenshot: %s", p)
	}
}

// waitJS polls a JavaScript expression in the page until it is true.
func waitJS(t *testing.T, ctx context.Context, timeout time.Duration, what, expr string) {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil || !ok {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({via: document.querySelector('#via')?.textContent,
			conn: document.querySelector('#conn')?.textContent, error: document.querySelector('#error')?.textContent,
			leader: document.querySelector('#leader')?.dataset.leader,
			members: Array.from(document.querySelectorAll('#members tbody tr')).map(r => r.dataset.id + ':' + r.dataset.role + ':' + r.dataset.gossip + ':' + r.dataset.reachable),
			queues: Array.from(document.querySelectorAll('#queues tbody tr')).map(r => r.innerText),
			topics: Array.from(document.querySelectorAll('#topics tbody tr')).map(r => r.innerText),
			send: document.querySelector('#send-result')?.textContent,
			publish: document.querySelector('#publish-result')?.textContent})`))
		screenshot(t, ctx, "console-failed.png")
		t.Fatalf("console: waiting for %s: %v; page: %s", what, err, state)
	}
}

func TestConsoleInBrowser(t *testing.T) {
	browser := findChromium(t)
	c := StartCluster(t, 3)
	leader := c.Leader(t)
	st, err := c.Status(leader)
	if err != nil {
		t.Fatal(err)
	}
	leaderID := st.NodeID

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	// The page's console and exceptions go to the test log (until the
	// test returns: chromedp may still deliver events after that).
	var logMu sync.Mutex
	logDone := false
	defer func() { logMu.Lock(); logDone = true; logMu.Unlock() }()
	pageLog := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !logDone {
			t.Logf(format, args...)
		}
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			pageLog("page console: %s", m.String())
		}
	}()

	// The page comes from the leader, which dies later on.
	if err := chromedp.Do(ctx, chromedp.Navigate(c.Endpoint(leader)+"/ui")); err != nil {
		t.Fatalf("open /ui: %v", err)
	}
	waitJS(t, ctx, 30*time.Second, "3 members, all up, and the leader",
		fmt.Sprintf(`document.querySelectorAll('#members tbody tr[data-reachable="yes"][data-gossip="alive"]').length === 3 &&
			document.querySelector('#leader').dataset.leader === %q &&
			document.querySelector('#members tr[data-id=%q]').dataset.role === 'leader'`, leaderID, leaderID))

	// A queue created through the REST API (on another node) appears with
	// its depth.
	name := uniq("console")
	other := (leader + 1) % len(c.Nodes)
	restJSON(t, "POST", c.Endpoint(other)+"/v1/queues", map[string]any{"name": name}, nil)
	for i := 0; i < 2; i++ {
		restJSON(t, "POST", c.Endpoint(other)+"/v1/queues/"+name+"/messages", map[string]any{"body": fmt.Sprintf("rest-%d", i)}, nil)
	}
	row := fmt.Sprintf(`document.querySelector('#queues tr[data-queue=%q]')`, name)
	waitJS(t, ctx, 20*time.Second, "the queue with depth 2", row+`?.querySelector('td.visible').textContent === '2'`)

	// Send a test message from the UI: the depth changes.
	body := "hello from chromium"
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#send-queue"), name),
		chromedp.SetValue(chromedp.CSS("#send-body"), body),
		chromedp.Click(chromedp.CSS("#send-button")),
	); err != nil {
		t.Fatalf("sending from the UI: %v", err)
	}
	waitJS(t, ctx, 20*time.Second, "the send's message ID", `document.querySelector('#send-result').textContent.startsWith('sent ')`)
	waitJS(t, ctx, 20*time.Second, "depth 3", row+`.querySelector('td.visible').textContent === '3'`)
	if d := queueDepth(t, c.Endpoint(other), name); d != "3" {
		t.Fatalf("REST depth after the UI send: %s, want 3", d)
	}
	// Rates come from two scrapes of the counters.
	waitJS(t, ctx, 20*time.Second, "a send rate", row+`.querySelector('td.rate-sent').textContent !== '-'`)

	// Peek shows the messages and leaves them visible.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#queues tr[data-queue="`+name+`"] button`))); err != nil {
		t.Fatalf("peek: %v", err)
	}
	waitJS(t, ctx, 20*time.Second, "3 peeked messages, the UI's among them",
		fmt.Sprintf(`document.querySelectorAll('#peek tbody tr[data-message-id]').length === 3 &&
			Array.from(document.querySelectorAll('#peek td.body')).some(td => td.textContent === %q)`, body))
	waitJS(t, ctx, 20*time.Second, "depth 3 after the peek", row+`.querySelector('td.visible').textContent === '3'`)

	// A topic with the queue subscribed (raw, filtered) and a pending
	// HTTP subscription, made through the REST API on another node,
	// appears in the topics panel.
	topic := uniq("console-topic")
	var qref struct{ ARN string }
	restJSON(t, "GET", c.Endpoint(other)+"/v1/queues/"+name, nil, &qref)
	restJSON(t, "POST", c.Endpoint(other)+"/v1/topics", map[string]any{"name": topic}, nil)
	var sub struct{ ID string }
	restJSON(t, "POST", c.Endpoint(other)+"/v1/topics/"+topic+"/subscriptions", map[string]any{
		"protocol": "sqs", "endpoint": qref.ARN,
		"attributes": map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"source":["console"]}`},
	}, &sub)
	hook := newTopicHook(t)
	var pending struct{ ID string }
	restJSON(t, "POST", c.Endpoint(other)+"/v1/topics/"+topic+"/subscriptions", map[string]any{"protocol": "http", "endpoint": hook.URL + "/hook"}, &pending)
	subRow := fmt.Sprintf(`document.querySelector('#topics tr.sub[data-sub=%q]')`, sub.ID)
	waitJS(t, ctx, 20*time.Second, "the topic with its confirmed raw SQS subscription and filter policy, and the pending HTTP one",
		fmt.Sprintf(`document.querySelector('#topics tr.topic[data-topic=%q]') !== null &&
			%s?.dataset.status === 'confirmed' && %s.dataset.protocol === 'sqs' &&
			%s.querySelector('td.endpoint').textContent === %q &&
			%s.querySelector('td.raw').textContent === 'raw' &&
			%s.querySelector('td.filter').textContent === '{"source":["console"]}' &&
			document.querySelector('#topics tr.sub[data-sub=%q]')?.dataset.status === 'pending' &&
			document.querySelector('#topics tr.topic[data-topic=%q]').innerText.includes('1 confirmed, 1 pending')`,
			topic, subRow, subRow, subRow, qref.ARN, subRow, subRow, pending.ID, topic))

	// Publish a test message from the UI, with the attribute the filter
	// wants: the queue gets it (depth 4).
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#publish-topic"), topic),
		chromedp.SetValue(chromedp.CSS("#publish-subject"), "test"),
		chromedp.SetValue(chromedp.CSS("#publish-attr"), "source=console"),
		chromedp.SetValue(chromedp.CSS("#publish-message"), "published from chromium"),
		chromedp.Click(chromedp.CSS("#publish-button")),
	); err != nil {
		t.Fatalf("publishing from the UI: %v", err)
	}
	waitJS(t, ctx, 20*time.Second, "the publish's message ID", `document.querySelector('#publish-result').textContent.startsWith('published ')`)
	waitJS(t, ctx, 20*time.Second, "depth 4 after the publish", row+`.querySelector('td.visible').textContent === '4'`)
	var peeked struct {
		Messages []struct{ Body string } `json:"messages"`
	}
	restJSON(t, "GET", c.Endpoint(other)+"/v1/queues/"+name+"/messages?max=10", nil, &peeked)
	found := false
	for _, m := range peeked.Messages {
		found = found || m.Body == "published from chromium"
	}
	if !found {
		t.Fatalf("the queue lacks the published message: %+v", peeked)
	}
	screenshot(t, ctx, "console.png")

	// Kill the node that served the page: the console moves to another
	// member, sees the new leader and the dead one, and still sends.
	deadAddr := strings.TrimPrefix(c.Endpoint(leader), "http://")
	if err := c.Kill(leader); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, 60*time.Second, "the console on another member, with a new leader",
		fmt.Sprintf(`document.querySelector('#via').textContent !== %q &&
			!['', 'none', %q].includes(document.querySelector('#leader').dataset.leader) &&
			document.querySelector('#members tr[data-id=%q]')?.dataset.reachable === 'no' &&
			document.querySelectorAll('#members tbody tr[data-reachable="yes"]').length === 2`, deadAddr, leaderID, leaderID))
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#send-queue"), name),
		chromedp.SetValue(chromedp.CSS("#send-body"), "after failover"),
		chromedp.Click(chromedp.CSS("#send-button")),
	); err != nil {
		t.Fatalf("sending after failover: %v", err)
	}
	waitJS(t, ctx, 30*time.Second, "depth 5 after failover", row+`.querySelector('td.visible').textContent === '5'`)
	// The topics panel, read from the new member, and a publish through it.
	waitJS(t, ctx, 20*time.Second, "the topic after failover", subRow+`?.dataset.status === 'confirmed'`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#publish-topic"), topic),
		chromedp.SetValue(chromedp.CSS("#publish-message"), "published after failover"),
		chromedp.Click(chromedp.CSS("#publish-button")),
	); err != nil {
		t.Fatalf("publishing after failover: %v", err)
	}
	waitJS(t, ctx, 30*time.Second, "depth 6 after the publish after failover", row+`.querySelector('td.visible').textContent === '6'`)
	screenshot(t, ctx, "console-failover.png")
}
