package test

// The harness: build the wharf binary once, start clusters of real
// `wharf serve` processes on free loopback ports, wait for them by polling,
// and kill everything when a test ends.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wharfBin is the binary under test: built by TestMain, or $WHARF_BIN.
var wharfBin string

// moduleRoot is the repository root (the test binary runs in test/).
var moduleRoot string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "getwd:", err)
		return 2
	}
	moduleRoot = filepath.Dir(wd)
	tmp, err := os.MkdirTemp("", "wharf-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tempdir:", err)
		return 2
	}
	defer os.RemoveAll(tmp)

	if p := os.Getenv("WHARF_BIN"); p != "" {
		wharfBin = p
	} else {
		wharfBin = filepath.Join(tmp, "wharf")
		cmd := exec.Command("go", "build", "-o", wharfBin, "./cmd/wharf")
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building wharf failed: %v\n%s\n", err, out)
			return 1
		}
	}
	sharedDir = filepath.Join(tmp, "shared")
	code := m.Run()
	closeShared(code != 0)
	return code
}

// ---------------------------------------------------------------------------
// Free ports

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// freePort returns a loopback port that is free for TCP and UDP (memberlist
// binds both) and that this process has not handed out before.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for attempt := 0; attempt < 100; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		if portsUsed[port] {
			continue
		}
		portsUsed[port] = true
		return port, nil
	}
	return 0, errors.New("no free port found")
}

// ---------------------------------------------------------------------------
// Nodes and clusters

// Node is one `wharf serve` process (running or not).
type Node struct {
	ID         string
	APIPort    int
	RaftPort   int
	GossipPort int
	DataDir    string
	LogPath    string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	starts  int
	// expectExit is set when the harness signals the process; an exit
	// without it (a crash, or a signal from elsewhere) is logged loudly.
	expectExit bool
}

// Running reports whether the node's process is alive.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Cluster is a set of wharf processes that gossip with each other.
type Cluster struct {
	Nodes []*Node
	dir   string
	args  []string // extra serve flags for every node
	http  *http.Client
	logf  func(format string, args ...any)
}

// ClusterOption tunes a cluster before it starts.
type ClusterOption func(*Cluster)

// WithArgs adds serve flags to every node.
func WithArgs(args ...string) ClusterOption {
	return func(c *Cluster) { c.args = append(c.args, args...) }
}

// StartCluster starts n nodes under t.TempDir(), waits until every node is
// ready, and kills everything when the test ends (printing the tail of each
// node's log if the test failed).
func StartCluster(t testing.TB, n int, opts ...ClusterOption) *Cluster {
	t.Helper()
	dir := t.TempDir()
	c, err := newCluster(dir, n, t.Logf, opts...)
	if err != nil {
		t.Fatalf("cluster: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			c.DumpLogs(os.Stderr, 60)
		}
	})
	if err := c.StartAll(); err != nil {
		t.Fatalf("starting cluster: %v", err)
	}
	if err := c.WaitReady(90 * time.Second); err != nil {
		t.Fatalf("cluster not ready: %v", err)
	}
	return c
}

func newCluster(dir string, n int, logf func(string, ...any), opts ...ClusterOption) (*Cluster, error) {
	c := &Cluster{
		dir:  dir,
		http: &http.Client{Timeout: 3 * time.Second},
		logf: logf,
	}
	if extra := strings.Fields(os.Getenv("WHARF_TEST_SERVE_ARGS")); len(extra) > 0 {
		c.args = append(c.args, extra...)
	}
	for _, o := range opts {
		o(c)
	}
	for i := 0; i < n; i++ {
		var ports [3]int
		for j := range ports {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			ports[j] = p
		}
		id := fmt.Sprintf("n%d", i+1)
		nd := &Node{
			ID:         id,
			APIPort:    ports[0],
			RaftPort:   ports[1],
			GossipPort: ports[2],
			DataDir:    filepath.Join(dir, id, "data"),
			LogPath:    filepath.Join(dir, id+".log"),
		}
		if err := os.MkdirAll(nd.DataDir, 0o755); err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, nd)
	}
	return c, nil
}

func (c *Cluster) serveArgs(n *Node) []string {
	args := []string{
		"serve",
		"--node-id", n.ID,
		"--data-dir", n.DataDir,
		"--api-addr", fmt.Sprintf("127.0.0.1:%d", n.APIPort),
		"--raft-addr", fmt.Sprintf("127.0.0.1:%d", n.RaftPort),
		"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", n.GossipPort),
		"--bootstrap-expect", strconv.Itoa(len(c.Nodes)),
		// Tests run their HTTP/S subscription endpoints on loopback.
		"--sns-allow-private-endpoints",
	}
	for _, m := range c.Nodes {
		args = append(args, "--join", fmt.Sprintf("127.0.0.1:%d", m.GossipPort))
	}
	return append(args, c.args...)
}

// StartAll starts every node that is not running.
func (c *Cluster) StartAll() error {
	for i := range c.Nodes {
		if c.Nodes[i].Running() {
			continue
		}
		if err := c.start(i); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) start(i int) error {
	n := c.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		select {
		case <-n.done:
		default:
			return fmt.Errorf("%s is already running", n.ID)
		}
	}
	logFile, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	n.starts++
	fmt.Fprintf(logFile, "\n===== harness: start #%d of %s at %s =====\n", n.starts, n.ID, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(wharfBin, c.serveArgs(n)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = os.Environ()
	// Setpgid: signals go to the node alone, not to `go test`.
	// Pdeathsig: a crashed or timed-out test binary leaves no orphan node.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", n.ID, err)
	}
	done := make(chan struct{})
	n.cmd, n.done, n.exitErr, n.expectExit = cmd, done, nil, false
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		n.exitErr = err
		expected := n.expectExit
		n.mu.Unlock()
		if !expected {
			fmt.Fprintf(logFile, "===== harness: UNEXPECTED exit of %s at %s: %v (the harness sent no signal) =====\n",
				n.ID, time.Now().Format(time.RFC3339Nano), err)
		}
		logFile.Close()
		close(done)
	}()
	return nil
}

func (c *Cluster) signal(i int, sig syscall.Signal, wait time.Duration) error {
	n := c.Nodes[i]
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.expectExit = true
	n.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s was never started", n.ID)
	}
	select {
	case <-done:
		return fmt.Errorf("%s is not running", n.ID)
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v to %s: %w", sig, n.ID, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not exit within %v of %v (killed)", n.ID, wait, sig)
	}
}

// Kill crashes node i with SIGKILL and waits for the process to exit.
func (c *Cluster) Kill(i int) error { return c.signal(i, syscall.SIGKILL, 10*time.Second) }

// Stop asks node i to leave gracefully (SIGTERM) and waits up to 30 s.
func (c *Cluster) Stop(i int) error { return c.signal(i, syscall.SIGTERM, 30*time.Second) }

// Restart starts node i again with the same data dir and ports. The node
// must have exited.
func (c *Cluster) Restart(i int) error {
	if c.Nodes[i].Running() {
		return fmt.Errorf("%s is still running", c.Nodes[i].ID)
	}
	return c.start(i)
}

// ExitErr is the error of node i's last exit (nil for exit status 0).
func (c *Cluster) ExitErr(i int) error {
	n := c.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exitErr
}

// Close kills every running node.
func (c *Cluster) Close() {
	for i, n := range c.Nodes {
		if n.Running() {
			_ = c.Kill(i)
		}
	}
}

// Endpoint is node i's API base URL.
func (c *Cluster) Endpoint(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", c.Nodes[i].APIPort)
}

// Endpoints are every node's API base URL.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for i := range c.Nodes {
		eps = append(eps, c.Endpoint(i))
	}
	return eps
}

// Status is a node's /v1/cluster/status document.
type Status struct {
	NodeID        string `json:"node_id"`
	State         string `json:"state"`
	LeaderID      string `json:"leader_id"`
	LeaderAPIAddr string `json:"leader_api_addr"`
	Term          uint64 `json:"term"`
	CommitIndex   uint64 `json:"commit_index"`
	AppliedIndex  uint64 `json:"applied_index"`
	Members       []struct {
		ID           string `json:"id"`
		APIAddr      string `json:"api_addr"`
		RaftAddr     string `json:"raft_addr"`
		GossipAddr   string `json:"gossip_addr"`
		Voter        bool   `json:"voter"`
		GossipStatus string `json:"gossip_status"`
	} `json:"members"`
}

// Status fetches node i's cluster status.
func (c *Cluster) Status(i int) (*Status, error) {
	resp, err := c.http.Get(c.Endpoint(i) + "/v1/cluster/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: /v1/cluster/status: HTTP %d: %s", c.Nodes[i].ID, resp.StatusCode, body)
	}
	var s Status
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("%s: /v1/cluster/status: %v: %s", c.Nodes[i].ID, err, body)
	}
	return &s, nil
}

// Ready reports nil when node i answers /readyz with 200.
func (c *Cluster) Ready(i int) error {
	if !c.Nodes[i].Running() {
		return fmt.Errorf("%s is not running (exit: %v)", c.Nodes[i].ID, c.ExitErr(i))
	}
	resp, err := c.http.Get(c.Endpoint(i) + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: /readyz: HTTP %d: %s", c.Nodes[i].ID, resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

// WaitReady polls until every node that should run is ready: nodes the
// harness stopped on purpose (Kill, Stop) are skipped; a node that exited
// by itself is an error.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	return poll(timeout, func() error {
		for i, n := range c.Nodes {
			n.mu.Lock()
			started, stopped := n.starts > 0, n.expectExit
			n.mu.Unlock()
			if !started || (stopped && !n.Running()) {
				continue
			}
			if err := c.Ready(i); err != nil {
				return err
			}
		}
		return nil
	})
}

// leaderNow returns the index of the node every running node agrees is the
// leader, or an error.
func (c *Cluster) leaderNow() (int, error) {
	leader := -1
	var leaderID string
	for i, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		st, err := c.Status(i)
		if err != nil {
			return -1, err
		}
		if st.LeaderID == "" {
			return -1, fmt.Errorf("%s knows no leader (state %s)", n.ID, st.State)
		}
		if leaderID == "" {
			leaderID = st.LeaderID
		} else if st.LeaderID != leaderID {
			return -1, fmt.Errorf("nodes disagree on the leader: %s vs %s", leaderID, st.LeaderID)
		}
		if st.State == "Leader" {
			if st.NodeID != st.LeaderID {
				return -1, fmt.Errorf("%s is Leader but reports leader_id %s", n.ID, st.LeaderID)
			}
			leader = i
		}
	}
	if leader < 0 {
		return -1, fmt.Errorf("no running node is in state Leader (leader_id %q)", leaderID)
	}
	return leader, nil
}

// Leader waits (up to 30 s) until the running nodes agree on a leader and
// returns its index.
func (c *Cluster) Leader(t testing.TB) int {
	t.Helper()
	idx := -1
	WaitFor(t, 30*time.Second, func() error {
		var err error
		idx, err = c.leaderNow()
		return err
	})
	return idx
}

// Follower returns the index of a running node that is not the leader.
func (c *Cluster) Follower(t testing.TB) int {
	t.Helper()
	l := c.Leader(t)
	for i, n := range c.Nodes {
		if i != l && n.Running() {
			return i
		}
	}
	t.Fatal("no running follower")
	return -1
}

// DumpLogs writes the last lines of every node's log to w.
func (c *Cluster) DumpLogs(w io.Writer, lines int) {
	for _, n := range c.Nodes {
		fmt.Fprintf(w, "----- last %d lines of %s (%s) -----\n", lines, n.ID, n.LogPath)
		for _, l := range tailFile(n.LogPath, lines) {
			fmt.Fprintln(w, l)
		}
	}
}

func tailFile(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{"(" + err.Error() + ")"}
	}
	defer f.Close()
	var ring []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		ring = append(ring, sc.Text())
		if len(ring) > n {
			ring = ring[1:]
		}
	}
	return ring
}

// ---------------------------------------------------------------------------
// Polling

// poll calls f every 50 ms until it returns nil or the timeout passes.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = f(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %v: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor polls f until it returns nil and fails the test with f's last
// error when timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	if err := poll(timeout, f); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// The shared cluster: API tests that need no faults share one 3-node
// cluster started on first use and stopped when the package's tests end.

var (
	sharedDir  string
	sharedOnce sync.Once
	sharedC    *Cluster
	sharedErr  error
)

func shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		c, err := newCluster(sharedDir, 3, func(string, ...any) {})
		if err != nil {
			sharedErr = err
			return
		}
		sharedC = c
		if err := c.StartAll(); err != nil {
			sharedErr = err
			return
		}
		sharedErr = c.WaitReady(90 * time.Second)
		if sharedErr == nil {
			_, sharedErr = waitLeaderErr(c, 30*time.Second)
		}
	})
	if sharedErr != nil {
		t.Fatalf("shared cluster: %v", sharedErr)
	}
	return sharedC
}

func waitLeaderErr(c *Cluster, timeout time.Duration) (int, error) {
	idx := -1
	err := poll(timeout, func() error {
		var err error
		idx, err = c.leaderNow()
		return err
	})
	return idx, err
}

func closeShared(failed bool) {
	if sharedC == nil {
		return
	}
	sharedC.Close()
	if failed || sharedErr != nil {
		sharedC.DumpLogs(os.Stderr, 80)
	}
}

// ---------------------------------------------------------------------------
// Small helpers

// uniq returns a queue name unique to this test run.
func uniq(prefix string) string {
	uniqMu.Lock()
	defer uniqMu.Unlock()
	uniqN++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1_000_000_000, uniqN)
}

var (
	uniqMu sync.Mutex
	uniqN  int
)

// ctxT returns a context that ends with the test or after d.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
