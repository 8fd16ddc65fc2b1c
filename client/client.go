package client

import (
	"bytes"
	"context"
	cryptoRand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultEndpoint is the address of a node started with the defaults.
const DefaultEndpoint = "http://127.0.0.1:9324"

// Client talks to a Wharf cluster through the native REST API. It is safe
// for concurrent use; create one per process and share it.
type Client struct {
	hc     *http.Client
	cfg    config
	scheme string

	mu          sync.Mutex
	nodes       []string             // base URLs: the seeds, then members learned
	leader      string               // base URL of the leader, "" when unknown
	down        map[string]time.Time // base URL -> avoid until
	next        int                  // round robin over nodes
	refreshedAt time.Time
	refreshing  bool

	coalMu     sync.Mutex
	coalescers map[string]*coalescer // by single route (coalesce.go)
}

type config struct {
	hc              *http.Client
	retryBudget     time.Duration
	maxAttempts     int
	backoffBase     time.Duration
	backoffMax      time.Duration
	attemptTimeout  time.Duration
	refreshInterval time.Duration
}

// Option configures a Client.
type Option func(*config)

// WithHTTPClient sets the HTTP client (for TLS settings, proxies,
// instrumentation). Its Timeout should be 0: the client bounds each
// attempt itself (see WithAttemptTimeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithRetryBudget bounds how long a call keeps retrying when its context
// has no deadline (default 30 s). A context deadline always wins.
func WithRetryBudget(d time.Duration) Option { return func(c *config) { c.retryBudget = d } }

// WithMaxAttempts bounds the attempts of one call (default 0: as many as
// the context deadline or the retry budget allows). 1 disables retries.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithBackoff sets the exponential backoff between attempts: the n-th
// retry waits a random time in [0, min(max, base*2^n)] ("full jitter").
// Defaults: 25 ms and 1 s.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) { c.backoffBase, c.backoffMax = base, max }
}

// WithAttemptTimeout bounds one HTTP attempt (default 15 s; a long-poll
// receive gets its wait time on top). A node that hangs is abandoned after
// it and the call moves on to another node.
func WithAttemptTimeout(d time.Duration) Option { return func(c *config) { c.attemptTimeout = d } }

// WithRefreshInterval sets how often the client re-reads the cluster
// status to follow leader changes and new members (default 10 s). Failures
// trigger a refresh at once whatever the interval.
func WithRefreshInterval(d time.Duration) Option { return func(c *config) { c.refreshInterval = d } }

// New returns a client of the cluster whose nodes include addrs (base URLs
// like "http://10.0.0.1:9324", or "host:port" for plain HTTP). One
// reachable address is enough: the client learns the other members and the
// leader from the cluster status. New does no I/O.
func New(addrs []string, opts ...Option) (*Client, error) {
	cfg := config{
		retryBudget:     30 * time.Second,
		backoffBase:     25 * time.Millisecond,
		backoffMax:      time.Second,
		attemptTimeout:  15 * time.Second,
		refreshInterval: 10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		tr.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		cfg.hc = &http.Client{Transport: tr}
	}
	if cfg.backoffBase <= 0 {
		cfg.backoffBase = time.Millisecond
	}
	if cfg.backoffMax < cfg.backoffBase {
		cfg.backoffMax = cfg.backoffBase
	}
	c := &Client{hc: cfg.hc, cfg: cfg, down: map[string]time.Time{}}
	for _, a := range addrs {
		for _, s := range strings.Split(a, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			base, err := normalize(s)
			if err != nil {
				return nil, err
			}
			if c.scheme == "" {
				c.scheme = base[:strings.Index(base, "://")]
			}
			c.addNode(base)
		}
	}
	if len(c.nodes) == 0 {
		return nil, errors.New("wharf: no node address given")
	}
	return c, nil
}

// normalize turns "host:port" or a URL into "scheme://host:port".
func normalize(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("wharf: bad node address %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("wharf: bad node address %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("wharf: bad node address %q: no host", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Close releases idle connections. The client must not be used after.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

func (c *Client) addNode(base string) {
	for _, n := range c.nodes {
		if n == base {
			return
		}
	}
	c.nodes = append(c.nodes, base)
}

// apiBase turns an advertised API address (host:port) into a base URL.
func (c *Client) apiBase(addr string) string {
	if addr == "" {
		return ""
	}
	if strings.Contains(addr, "://") {
		return strings.TrimRight(addr, "/")
	}
	return c.scheme + "://" + addr
}

// ---------------------------------------------------------------------------
// Routing: which node gets an attempt.

// learn records a node's view of the cluster.
func (c *Client) learn(st *Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range st.Members {
		if b := c.apiBase(m.APIAddr); b != "" {
			c.addNode(b)
		}
	}
	if b := c.apiBase(st.LeaderAPIAddr); b != "" {
		c.leader = b
		c.addNode(b)
	}
	c.refreshedAt = time.Now()
}

// candidates lists the nodes to try, the ones not marked down first.
func (c *Client) candidates() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	var up, down []string
	for i := range c.nodes {
		n := c.nodes[(c.next+i)%len(c.nodes)]
		if now.Before(c.down[n]) {
			down = append(down, n)
		} else {
			up = append(up, n)
		}
	}
	c.next++
	return append(up, down...)
}

// refresh asks the nodes for the cluster status until one names a leader.
func (c *Client) refresh(ctx context.Context) {
	for _, n := range c.candidates() {
		if ctx.Err() != nil {
			return
		}
		st, err := c.fetchStatus(ctx, n, 2*time.Second)
		if err != nil {
			c.markDown(n)
			continue
		}
		c.learn(st)
		if st.LeaderAPIAddr != "" {
			return
		}
	}
}

func (c *Client) fetchStatus(ctx context.Context, base string, timeout time.Duration) (*Status, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/cluster/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, errorFromResponse(resp.StatusCode, body, json.Unmarshal)
	}
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// maybeRefreshLater re-reads the status in the background when the last
// read is older than the refresh interval.
func (c *Client) maybeRefreshLater() {
	c.mu.Lock()
	if c.refreshing || c.cfg.refreshInterval <= 0 || time.Since(c.refreshedAt) < c.cfg.refreshInterval {
		c.mu.Unlock()
		return
	}
	c.refreshing = true
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.refresh(ctx)
		c.mu.Lock()
		c.refreshing = false
		c.refreshedAt = time.Now()
		c.mu.Unlock()
	}()
}

// target picks the node for an attempt: the leader when known (every
// queue call runs there; a follower would forward it), else any node
// (which holds the request until it learns the leader, then forwards).
func (c *Client) target(ctx context.Context) string {
	c.mu.Lock()
	leader := c.leader
	leaderDown := leader != "" && time.Now().Before(c.down[leader])
	c.mu.Unlock()
	if leader != "" && !leaderDown {
		c.maybeRefreshLater()
		return leader
	}
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	c.refresh(rctx)
	cancel()
	c.mu.Lock()
	leader = c.leader
	if leader != "" && time.Now().Before(c.down[leader]) {
		leader = ""
	}
	c.mu.Unlock()
	if leader != "" {
		return leader
	}
	return c.candidates()[0]
}

func (c *Client) markDown(n string) {
	c.mu.Lock()
	c.down[n] = time.Now().Add(2 * time.Second)
	if c.leader == n {
		c.leader = ""
	}
	c.mu.Unlock()
}

func (c *Client) forgetLeader(n string) {
	c.mu.Lock()
	if c.leader == n {
		c.leader = ""
	}
	c.mu.Unlock()
}

// ---------------------------------------------------------------------------
// Calls

// request describes one API call.
type request struct {
	method, path string
	in, out      any
	// body, when set, is the request's JSON, already encoded (in is
	// then unused).
	body []byte
	// idempotent calls are retried after any retryable failure; the others
	// only when the failure proves nothing happened (no connection, or a
	// 503 with X-Wharf-Not-Applied).
	idempotent bool
	// wait is added to the attempt timeout (long polls).
	wait time.Duration
	// node pins the call to one node (no failover).
	node string
	// okOnRetry is an error code that means success when it answers a
	// retry after an ambiguous failure (deleting a queue that the lost
	// first attempt deleted).
	okOnRetry string
	// retryWindow, when set, stops retrying that long after the first
	// attempt, whatever the context allows.
	retryWindow time.Duration
	// done, when set, is asked before each retry whether the call's
	// effect is already there (then the call succeeds without a retry).
	done func(ctx context.Context) bool
	// maxAttempts, when set, bounds this call's attempts.
	maxAttempts int
}

// do runs a request with retries and failover. It returns the HTTP status
// of the successful answer.
func (c *Client) do(ctx context.Context, r request) (int, error) {
	body := r.body
	if body == nil && r.in != nil {
		var err error
		if body, err = json.Marshal(r.in); err != nil {
			return 0, fmt.Errorf("wharf: encoding request: %w", err)
		}
	}
	if _, ok := ctx.Deadline(); !ok && c.cfg.retryBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.retryBudget)
		defer cancel()
	}
	var lastErr error
	first := time.Now()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if lastErr == nil {
				return 0, err
			}
			return 0, &gaveUp{op: r.method + " " + r.path, attempts: attempt, ctxErr: err, last: lastErr}
		}
		node := r.node
		if node == "" {
			node = c.target(ctx)
		}
		status, err, retry := c.attempt(ctx, node, r, body)
		if err == nil {
			return status, nil
		}
		if cerr := ctx.Err(); cerr != nil && lastErr != nil && errors.Is(err, cerr) {
			return 0, &gaveUp{op: r.method + " " + r.path, attempts: attempt + 1, ctxErr: cerr, last: lastErr}
		}
		var e *Error
		if lastErr != nil && r.okOnRetry != "" && errors.As(err, &e) && e.Code == r.okOnRetry {
			return http.StatusNoContent, nil
		}
		lastErr = err
		if !retry || (c.cfg.maxAttempts > 0 && attempt+1 >= c.cfg.maxAttempts) || r.node != "" && attempt >= 2 ||
			(r.maxAttempts > 0 && attempt+1 >= r.maxAttempts) ||
			r.retryWindow > 0 && time.Since(first) > r.retryWindow {
			return 0, err
		}
		if r.done != nil && r.done(ctx) {
			return http.StatusNoContent, nil
		}
		d := c.cfg.backoffBase << min(attempt, 20)
		if d > c.cfg.backoffMax || d <= 0 {
			d = c.cfg.backoffMax
		}
		d = rand.N(d + 1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
}

// attempt sends one HTTP request to node. retry says whether the call may
// be tried again.
func (c *Client) attempt(ctx context.Context, node string, r request, body []byte) (status int, err error, retry bool) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.attemptTimeout+r.wait)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, node+r.path, rd)
	if err != nil {
		return 0, fmt.Errorf("wharf: %w", err), false
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The caller's deadline, not the node's fault.
			return 0, ctx.Err(), false
		}
		c.markDown(node)
		notSent := isDialError(err)
		inner := err
		var ue *url.Error
		if errors.As(err, &ue) {
			inner = ue.Err
		}
		e := &Error{Code: ErrServiceUnavailable.Code, Message: fmt.Sprintf("%s: %v", node, inner), Retryable: true, err: err}
		return 0, e, r.idempotent || notSent
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(resp.Body)
	if rerr != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err(), false
		}
		c.markDown(node)
		return 0, &Error{Code: ErrServiceUnavailable.Code, Message: fmt.Sprintf("%s %s: reading the answer: %v", r.method, node, rerr), Retryable: true, err: rerr}, r.idempotent
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, r.out); err != nil {
				return 0, fmt.Errorf("wharf: %s %s: decoding the answer: %w", r.method, r.path, err), false
			}
		}
		return resp.StatusCode, nil, false
	}
	e := errorFromResponse(resp.StatusCode, data, json.Unmarshal)
	if !e.Retryable {
		return 0, e, false
	}
	notApplied := resp.Header.Get("X-Wharf-Not-Applied") == "1"
	// A node that answers 5xx may have lost leadership, or forwards to a
	// leader that died: learn the cluster again before the next attempt.
	c.forgetLeader(node)
	return 0, e, r.idempotent || notApplied
}

// gaveUp is the error of a call whose context ended while it retried.
// errors.Is finds the context's error; errors.As finds the last *Error.
type gaveUp struct {
	op       string
	attempts int
	ctxErr   error
	last     error
}

func (g *gaveUp) Error() string {
	return fmt.Sprintf("wharf: %s: gave up after %d attempts (%v): %s", g.op, g.attempts, g.ctxErr, strings.TrimPrefix(g.last.Error(), "wharf: "))
}

func (g *gaveUp) Unwrap() []error { return []error{g.ctxErr, g.last} }

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// newKey returns a random 128-bit idempotency key.
func newKey() string {
	var b [16]byte
	cryptoRand.Read(b[:]) // never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
