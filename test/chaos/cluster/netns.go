//go:build chaos

package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Netns is the namespace backend.
type Netns struct {
	id     string
	opts   Options
	subnet string // "10.77.X"
	procs  map[string]*process
	mu     sync.Mutex
	blocks map[[2]string]bool
}

func (c *Netns) ns(node string) string { return name(c.id, node) }
func (c *Netns) sw() string            { return name(c.id, "sw") }
func (c *Netns) hostLink() string      { return name(c.id, "h") }

// Backend is "netns".
func (c *Netns) Backend() string { return "netns" }

// IP is the node's address.
func (c *Netns) IP(node string) string {
	return fmt.Sprintf("%s.%d", c.subnet, nodeIndex(node)+1)
}

// APIURL is the node's API base URL.
func (c *Netns) APIURL(node string) string { return fmt.Sprintf("http://%s:%d", c.IP(node), APIPort) }

// DataDir is the node's data dir.
func (c *Netns) DataDir(node string) string { return filepath.Join(c.opts.Dir, "data", node) }

func (c *Netns) logPath(node string) string { return filepath.Join(c.opts.Dir, "nodes", node+".log") }

// NewNetns builds the namespaces and links of run id and starts nothing.
func NewNetns(ctx context.Context, id string, opts Options) (*Netns, error) {
	CleanupLeftovers(opts.Logf)
	c := &Netns{id: id, opts: opts, procs: map[string]*process{}, blocks: map[[2]string]bool{}}
	subnet, err := freeSubnet()
	if err != nil {
		return nil, err
	}
	c.subnet = subnet
	for _, n := range Nodes {
		c.procs[n] = &process{}
		if err := os.MkdirAll(c.DataDir(n), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "nodes"), 0o755); err != nil {
		return nil, err
	}
	if err := c.setup(ctx); err != nil {
		c.Close()
		return nil, err
	}
	opts.Logf("netns: namespaces %s-{n1,n2,n3,sw}, subnet %s.0/24", prefix+id, subnet)
	return c, nil
}

// freeSubnet picks 10.77.X not assigned to any interface here.
func freeSubnet() (string, error) {
	out, err := mustRun("ip", "-4", "-o", "addr", "show")
	if err != nil {
		return "", err
	}
	start := rand.IntN(240)
	for i := 0; i < 240; i++ {
		s := fmt.Sprintf("10.77.%d", 1+(start+i)%240)
		if !strings.Contains(out, " "+s+".") {
			return s, nil
		}
	}
	return "", fmt.Errorf("no free 10.77.X.0/24 subnet")
}

func (c *Netns) setup(ctx context.Context) error {
	sw := c.sw()
	steps := [][]string{
		{"ip", "netns", "add", sw},
		{"ip", "netns", "exec", sw, "ip", "link", "set", "lo", "up"},
		{"ip", "netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge"},
		{"ip", "netns", "exec", sw, "ip", "link", "set", "br0", "up"},
	}
	for i, n := range Nodes {
		ns, a, b := c.ns(n), name(c.id, fmt.Sprintf("a%d", i+1)), name(c.id, fmt.Sprintf("b%d", i+1))
		steps = append(steps,
			[]string{"ip", "netns", "add", ns},
			[]string{"ip", "link", "add", a, "type", "veth", "peer", "name", b},
			[]string{"ip", "link", "set", a, "netns", sw},
			[]string{"ip", "link", "set", b, "netns", ns},
			[]string{"ip", "netns", "exec", sw, "ip", "link", "set", a, "master", "br0", "up"},
			[]string{"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"},
			[]string{"ip", "netns", "exec", ns, "ip", "link", "set", b, "name", "eth0"},
			[]string{"ip", "netns", "exec", ns, "ip", "addr", "add", c.IP(n) + "/24", "dev", "eth0"},
			[]string{"ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"},
		)
	}
	h, hs := c.hostLink(), name(c.id, "hs")
	steps = append(steps,
		[]string{"ip", "link", "add", h, "type", "veth", "peer", "name", hs},
		[]string{"ip", "link", "set", hs, "netns", sw},
		[]string{"ip", "netns", "exec", sw, "ip", "link", "set", hs, "master", "br0", "up"},
		[]string{"ip", "addr", "add", c.subnet + ".254/24", "dev", h},
		[]string{"ip", "link", "set", h, "up"},
	)
	for _, s := range steps {
		if _, err := run(ctx, s[0], s[1:]...); err != nil {
			return fmt.Errorf("netns setup: %w", err)
		}
	}
	return nil
}

// Start starts a node in its namespace.
func (c *Netns) Start(ctx context.Context, node string) error {
	ips := make([]string, len(Nodes))
	for i, n := range Nodes {
		ips[i] = c.IP(n)
	}
	argv := append([]string{"ip", "netns", "exec", c.ns(node), c.opts.Bin}, serveArgs(node, c.DataDir(node), c.IP(node), c.IP(node), ips)...)
	return c.procs[node].start(argv, c.opts.Env, c.logPath(node), "start "+node)
}

// Kill SIGKILLs a node.
func (c *Netns) Kill(node string) error { return c.procs[node].kill() }

// Pause SIGSTOPs a node.
func (c *Netns) Pause(node string) error { return c.procs[node].signal(syscall.SIGSTOP) }

// Resume SIGCONTs a node.
func (c *Netns) Resume(node string) error { return c.procs[node].signal(syscall.SIGCONT) }

// Running reports whether the node's process exists.
func (c *Netns) Running(node string) bool { return c.procs[node].running() }

// Block drops packets from `from` at `to`.
func (c *Netns) Block(from, to string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks[[2]string{from, to}] {
		return nil
	}
	if _, err := mustRun("ip", "netns", "exec", c.ns(to), "iptables", "-w", "-A", "INPUT", "-s", c.IP(from), "-j", "DROP"); err != nil {
		return err
	}
	c.blocks[[2]string{from, to}] = true
	return nil
}

// Heal flushes every node's INPUT chain.
func (c *Netns) Heal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, n := range Nodes {
		if _, err := mustRun("ip", "netns", "exec", c.ns(n), "iptables", "-w", "-F", "INPUT"); err != nil && first == nil {
			first = err
		}
	}
	clear(c.blocks)
	return first
}

// CollectLogs: the node logs are already in Dir/nodes; copy them to dir
// when it differs.
func (c *Netns) CollectLogs(dir string) error {
	src := filepath.Join(c.opts.Dir, "nodes")
	if filepath.Clean(dir) == filepath.Clean(src) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range Nodes {
		b, err := os.ReadFile(c.logPath(n))
		if err != nil {
			continue
		}
		os.WriteFile(filepath.Join(dir, n+".log"), b, 0o644)
	}
	return nil
}

// Close kills the nodes and removes the namespaces and links.
func (c *Netns) Close() error {
	for _, n := range Nodes {
		if p := c.procs[n]; p != nil {
			p.signal(syscall.SIGCONT)
			p.kill()
		}
	}
	removeNetns(c.id)
	return nil
}

// removeNetns removes every namespace and link of run id, killing any
// process left inside.
func removeNetns(id string) {
	for _, suffix := range []string{"n1", "n2", "n3", "sw"} {
		ns := name(id, suffix)
		if out, err := mustRun("ip", "netns", "pids", ns); err == nil {
			for _, f := range strings.Fields(out) {
				var pid int
				if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
					syscall.Kill(pid, syscall.SIGCONT)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		mustRun("ip", "netns", "del", ns)
	}
	mustRun("ip", "link", "del", name(id, "h"))
}

// CleanupLeftovers removes namespaces, links and containers of runs whose
// owner is gone.
func CleanupLeftovers(logf func(string, ...any)) {
	seen := map[string]bool{}
	if out, err := mustRun("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 0 {
				if id := runOf(f[0]); id != "" {
					seen[id] = true
				}
			}
		}
	}
	if out, err := mustRun("ip", "-o", "link", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 1 {
				if id := runOf(strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]); id != "" {
					seen[id] = true
				}
			}
		}
	}
	for id := range seen {
		if runAlive(id) {
			continue
		}
		logf("removing leftover namespaces of run %s", id)
		removeNetns(id)
		ReleaseRunID(id)
	}
	cleanupDockerLeftovers(logf)
}
