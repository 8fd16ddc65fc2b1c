package main

// The Wharf cluster of `wharf bench`: three `wharf serve` children of the
// benchmark's own binary on free loopback ports, with data in a temp dir.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clusterReadyTimeout bounds the wait for a started cluster to be ready.
const clusterReadyTimeout = 90 * time.Second

// benchNode is one `wharf serve` child.
type benchNode struct {
	id                       string
	api, raft, gossip, debug string // host:port
	dataDir, logPath         string
	args                     []string
	proc                     *benchChild
}

// url is the base URL of the node's API.
func (n *benchNode) url() string { return "http://" + n.api }

// benchCluster is the three-node cluster the suite measures.
type benchCluster struct {
	bin   string
	nodes []*benchNode
	procs *children
	hc    *http.Client

	leader    *benchNode
	followers []*benchNode // in node order; the first is the sdk-follower target
}

// startBenchCluster starts three nodes under dir, waits until all are
// ready and finds the leader.
func startBenchCluster(ctx context.Context, bin, dir string, procs *children, stderr io.Writer) (*benchCluster, error) {
	ports, err := freePorts(12)
	if err != nil {
		return nil, fmt.Errorf("free ports: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := &benchCluster{bin: bin, procs: procs, hc: &http.Client{Timeout: 10 * time.Second}}
	var join []string
	for i := 0; i < 3; i++ {
		addr := func(k int) string { return "127.0.0.1:" + strconv.Itoa(ports[4*i+k]) }
		n := &benchNode{id: fmt.Sprintf("n%d", i+1), api: addr(0), raft: addr(1), gossip: addr(2), debug: addr(3)}
		n.dataDir = filepath.Join(dir, n.id)
		n.logPath = filepath.Join(dir, n.id+".log")
		join = append(join, "--join", n.gossip)
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		n.args = append([]string{"serve", "--node-id", n.id, "--data-dir", n.dataDir,
			"--api-addr", n.api, "--raft-addr", n.raft, "--gossip-addr", n.gossip,
			"--debug-addr", n.debug, "--bootstrap-expect", "3"}, join...)
		if err := c.start(n); err != nil {
			c.stop()
			return nil, err
		}
	}
	fmt.Fprintf(stderr, "bench: starting a 3-node cluster in %s ...\n", dir)
	if err := c.waitReady(ctx, c.nodes, clusterReadyTimeout); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.findRoles(ctx); err != nil {
		c.stop()
		return nil, err
	}
	fmt.Fprintf(stderr, "bench: cluster ready: leader %s (%s), followers %s (%s) and %s (%s)\n",
		c.leader.id, c.leader.api, c.followers[0].id, c.followers[0].api, c.followers[1].id, c.followers[1].api)
	return c, nil
}

// start starts (or restarts) node n with its flags and data dir; its
// output is appended to its log file.
func (c *benchCluster) start(n *benchNode) error {
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	p, err := startChild(n.id, c.bin, n.args, logf, logf)
	if err != nil {
		return err
	}
	n.proc = p
	c.procs.add(p)
	return nil
}

// stop kills every node.
func (c *benchCluster) stop() {
	for _, n := range c.nodes {
		if n.proc != nil {
			n.proc.kill()
		}
	}
}

// ready reports whether GET /readyz on n answers 200.
func (c *benchCluster) ready(ctx context.Context, n *benchNode) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.url()+"/readyz", nil)
	if err != nil {
		return false
	}
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.hc.Do(req.WithContext(ctx2))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitReady polls /readyz of nodes until all answer 200, a node exits or
// the timeout passes.
func (c *benchCluster) waitReady(ctx context.Context, nodes []*benchNode, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, n := range nodes {
		if _, err := c.waitNodeReady(ctx, n, deadline, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// waitNodeReady polls /readyz of n every interval until it answers 200
// and returns the time from n's process start to that answer.
func (c *benchCluster) waitNodeReady(ctx context.Context, n *benchNode, deadline time.Time, interval time.Duration) (time.Duration, error) {
	for {
		if c.ready(ctx, n) {
			return time.Since(n.proc.started), nil
		}
		if n.proc.exited() {
			return 0, fmt.Errorf("node %s exited (%v); log:\n%s", n.id, n.proc.err, tailFile(n.logPath, 30))
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("node %s not ready after %v; log:\n%s", n.id, time.Since(n.proc.started).Round(time.Second), tailFile(n.logPath, 30))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// nodeStatus is the part of GET /v1/cluster/status the benchmark reads.
type nodeStatus struct {
	NodeID       string `json:"node_id"`
	LeaderID     string `json:"leader_id"`
	CommitIndex  uint64 `json:"commit_index"`
	AppliedIndex uint64 `json:"applied_index"`
	Members      []struct {
		ID      string `json:"id"`
		APIAddr string `json:"api_addr"`
	} `json:"members"`
}

// status reads GET /v1/cluster/status of n.
func (c *benchCluster) status(ctx context.Context, n *benchNode) (*nodeStatus, error) {
	var st nodeStatus
	if err := c.getJSON(ctx, n.url()+"/v1/cluster/status", &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// getJSON decodes the JSON answer of a GET.
func (c *benchCluster) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// leaderOf maps a status's leader to one of the cluster's nodes, by the
// leader member's API address (or its ID).
func (c *benchCluster) leaderOf(st *nodeStatus) *benchNode {
	if st.LeaderID == "" {
		return nil
	}
	api := ""
	for _, m := range st.Members {
		if m.ID == st.LeaderID {
			api = m.APIAddr
		}
	}
	for _, n := range c.nodes {
		if (api != "" && n.api == api) || n.id == st.LeaderID {
			return n
		}
	}
	return nil
}

// findRoles asks every node for the cluster status until all name the
// same leader that is ready, and sets c.leader and c.followers.
func (c *benchCluster) findRoles(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader, err := c.agreedLeader(ctx)
		if err == nil && c.ready(ctx, leader) {
			c.setLeader(leader)
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("leader %s not ready", leader.id)
			}
			return fmt.Errorf("find the leader: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// agreedLeader is the leader every running node names.
func (c *benchCluster) agreedLeader(ctx context.Context) (*benchNode, error) {
	var leader *benchNode
	for _, n := range c.nodes {
		st, err := c.status(ctx, n)
		if err != nil {
			return nil, err
		}
		l := c.leaderOf(st)
		if l == nil {
			return nil, fmt.Errorf("%s knows no leader", n.id)
		}
		if leader != nil && l != leader {
			return nil, errors.New("the nodes disagree on the leader")
		}
		leader = l
	}
	return leader, nil
}

func (c *benchCluster) setLeader(leader *benchNode) {
	c.leader, c.followers = leader, nil
	for _, n := range c.nodes {
		if n != leader {
			c.followers = append(c.followers, n)
		}
	}
}

// roleOrder is the nodes as the report labels them: the leader, then the
// follower the sdk-follower target uses, then the other one.
func (c *benchCluster) roleOrder() []*benchNode {
	return append([]*benchNode{c.leader}, c.followers...)
}

// cpu is the CPU time used so far by each node, in roleOrder.
func (c *benchCluster) cpu() []time.Duration {
	var out []time.Duration
	for _, n := range c.roleOrder() {
		d, err := procCPU(n.proc.pid())
		if err != nil {
			d = -1
		}
		out = append(out, d)
	}
	return out
}

// raftCounters are the leader's Prometheus counters of commands proposed
// and raft entries they went into (absent on builds without them).
type raftCounters struct {
	commands, entries float64
	ok                bool
}

// scrapeRaftCounters reads wharf_raft_commands_total and
// wharf_raft_entries_total from GET /metrics of n.
func (c *benchCluster) scrapeRaftCounters(ctx context.Context, n *benchNode) raftCounters {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.url()+"/metrics", nil)
	if err != nil {
		return raftCounters{}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return raftCounters{}
	}
	defer resp.Body.Close()
	sums := sumMetrics(resp.Body, "wharf_raft_commands_total", "wharf_raft_entries_total")
	cmds, ok1 := sums["wharf_raft_commands_total"]
	entries, ok2 := sums["wharf_raft_entries_total"]
	return raftCounters{commands: cmds, entries: entries, ok: ok1 && ok2}
}

// sumMetrics sums the samples (over all label sets) of the named metrics
// in a Prometheus text exposition; a metric without samples is absent
// from the result.
func sumMetrics(r io.Reader, names ...string) map[string]float64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name := line
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name = line[:i]
		}
		if !want[name] {
			continue
		}
		// The value follows the labels; an optional timestamp may follow it.
		rest := line[len(name):]
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sums[name] += v
		}
	}
	return sums
}

// heapStats is the answer of GET /debug/heap on a node's debug listener.
type heapStats struct {
	HeapAlloc uint64 `json:"heap_alloc"`
	HeapInuse uint64 `json:"heap_inuse"`
}

// heap reads n's Go heap after a forced GC.
func (c *benchCluster) heap(ctx context.Context, n *benchNode) (heapStats, error) {
	var h heapStats
	err := c.getJSON(ctx, "http://"+n.debug+"/debug/heap", &h)
	return h, err
}
