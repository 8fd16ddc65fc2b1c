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
	"time"
)

const labelRun = "wharf-chaos.run"

// Docker is the container backend.
type Docker struct {
	id     string
	opts   Options
	subnet string // "10.78.X"
	mu     sync.Mutex
	blocks map[[2]string]bool
	paused map[string]bool
}

func (c *Docker) container(node string) string { return name(c.id, node) }
func (c *Docker) network() string              { return name(c.id, "net") }

// Backend is "docker".
func (c *Docker) Backend() string { return "docker" }

// IP is the container's address.
func (c *Docker) IP(node string) string { return fmt.Sprintf("%s.%d", c.subnet, nodeIndex(node)+1) }

// APIURL is the node's API base URL.
func (c *Docker) APIURL(node string) string { return fmt.Sprintf("http://%s:%d", c.IP(node), APIPort) }

// DataDir is the host directory bind-mounted as the container's /data.
func (c *Docker) DataDir(node string) string { return filepath.Join(c.opts.Dir, "data", node) }

// DockerUsable reports whether the daemon answers and image exists.
func DockerUsable(image string) error {
	if _, err := mustRun("docker", "version", "--format", "{{.Server.Version}}"); err != nil {
		return err
	}
	_, err := mustRun("docker", "image", "inspect", "--format", "{{.Id}}", image)
	return err
}

// NewDocker creates the network and the (stopped) containers of run id.
func NewDocker(ctx context.Context, id string, opts Options) (*Docker, error) {
	CleanupLeftovers(opts.Logf)
	c := &Docker{id: id, opts: opts, blocks: map[[2]string]bool{}, paused: map[string]bool{}}
	start := rand.IntN(240)
	var err error
	for i := 0; i < 20; i++ {
		c.subnet = fmt.Sprintf("10.78.%d", 1+(start+i)%240)
		_, err = run(ctx, "docker", "network", "create", "--driver", "bridge", "--subnet", c.subnet+".0/24",
			"--gateway", c.subnet+".254", "--label", labelRun+"="+id, c.network())
		if err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	ips := make([]string, len(Nodes))
	for i, n := range Nodes {
		ips[i] = c.IP(n)
	}
	for _, n := range Nodes {
		if err := os.MkdirAll(c.DataDir(n), 0o755); err != nil {
			c.Close()
			return nil, err
		}
		args := []string{"create", "--name", c.container(n), "--hostname", n, "--network", c.network(), "--ip", c.IP(n),
			"--label", labelRun + "=" + id, "-v", c.DataDir(n) + ":/data"}
		for _, e := range opts.Env {
			args = append(args, "-e", e)
		}
		args = append(args, opts.Image)
		args = append(args, serveArgs(n, "/data", "0.0.0.0", c.IP(n), ips)...)
		if _, err := run(ctx, "docker", args...); err != nil {
			c.Close()
			return nil, err
		}
	}
	opts.Logf("docker: containers %s-{n1,n2,n3} on network %s (%s.0/24)", prefix+id, c.network(), c.subnet)
	return c, nil
}

// Start starts a node's container and reapplies the blocks aimed at it
// (a restarted container gets a fresh network namespace).
func (c *Docker) Start(ctx context.Context, node string) error {
	if _, err := run(ctx, "docker", "start", c.container(node)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := range c.blocks {
		if b[1] == node {
			if err := c.iptables(node, "-A", "INPUT", "-s", c.IP(b[0]), "-j", "DROP"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Kill sends SIGKILL to the container and waits until it stopped.
func (c *Docker) Kill(node string) error {
	c.mu.Lock()
	paused := c.paused[node]
	c.mu.Unlock()
	if paused {
		c.Resume(node)
	}
	if _, err := mustRun("docker", "kill", "-s", "KILL", c.container(node)); err != nil && c.Running(node) {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for c.Running(node) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still running after docker kill", node)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// Pause freezes the container (cgroup freezer).
func (c *Docker) Pause(node string) error {
	_, err := mustRun("docker", "pause", c.container(node))
	if err == nil {
		c.mu.Lock()
		c.paused[node] = true
		c.mu.Unlock()
	}
	return err
}

// Resume thaws the container.
func (c *Docker) Resume(node string) error {
	_, err := mustRun("docker", "unpause", c.container(node))
	c.mu.Lock()
	delete(c.paused, node)
	c.mu.Unlock()
	return err
}

// Running reports whether the container runs (paused counts).
func (c *Docker) Running(node string) bool {
	out, err := mustRun("docker", "inspect", "-f", "{{.State.Running}}", c.container(node))
	return err == nil && strings.TrimSpace(out) == "true"
}

func (c *Docker) pid(node string) (string, error) {
	out, err := mustRun("docker", "inspect", "-f", "{{.State.Pid}}", c.container(node))
	if err != nil {
		return "", err
	}
	pid := strings.TrimSpace(out)
	if pid == "0" {
		return "", fmt.Errorf("%s is not running", node)
	}
	return pid, nil
}

// iptables runs iptables in the container's network namespace.
func (c *Docker) iptables(node string, args ...string) error {
	pid, err := c.pid(node)
	if err != nil {
		return err
	}
	_, err = mustRun("nsenter", append([]string{"-t", pid, "-n", "iptables", "-w"}, args...)...)
	return err
}

// Block drops packets from `from` at `to` (iptables in to's namespace).
func (c *Docker) Block(from, to string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks[[2]string{from, to}] {
		return nil
	}
	c.blocks[[2]string{from, to}] = true
	if !c.Running(to) {
		return nil // applied when it starts
	}
	return c.iptables(to, "-A", "INPUT", "-s", c.IP(from), "-j", "DROP")
}

// Heal flushes the rules of every running container.
func (c *Docker) Heal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, n := range Nodes {
		if !c.Running(n) {
			continue
		}
		if err := c.iptables(n, "-F", "INPUT"); err != nil && first == nil {
			first = err
		}
	}
	clear(c.blocks)
	return first
}

// Disconnect takes a container off the network (full isolation).
func (c *Docker) Disconnect(node string) error {
	_, err := mustRun("docker", "network", "disconnect", "-f", c.network(), c.container(node))
	return err
}

// Reconnect puts it back with its address.
func (c *Docker) Reconnect(node string) error {
	_, err := mustRun("docker", "network", "connect", "--ip", c.IP(node), c.network(), c.container(node))
	return err
}

// CollectLogs writes `docker logs` of every container into dir.
func (c *Docker) CollectLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range Nodes {
		out, err := mustRun("docker", "logs", "-t", c.container(n))
		if err != nil {
			out += "\n(docker logs failed: " + err.Error() + ")"
		}
		os.WriteFile(filepath.Join(dir, n+".log"), []byte(out), 0o644)
	}
	return nil
}

// Close removes the containers and the network.
func (c *Docker) Close() error {
	removeDocker(c.id)
	return nil
}

func removeDocker(id string) {
	out, _ := mustRun("docker", "ps", "-aq", "--filter", "label="+labelRun+"="+id)
	for _, cid := range strings.Fields(out) {
		mustRun("docker", "unpause", cid)
		mustRun("docker", "rm", "-f", cid)
	}
	out, _ = mustRun("docker", "network", "ls", "-q", "--filter", "label="+labelRun+"="+id)
	for _, nid := range strings.Fields(out) {
		mustRun("docker", "network", "rm", nid)
	}
}

// cleanupDockerLeftovers removes containers and networks of dead runs.
func cleanupDockerLeftovers(logf func(string, ...any)) {
	if _, err := mustRun("docker", "version", "--format", "{{.Server.Version}}"); err != nil {
		return
	}
	ids := map[string]bool{}
	for _, kind := range []string{"ps -a", "network ls"} {
		args := append(strings.Fields(kind), "--filter", "label="+labelRun, "--format", `{{.Label "`+labelRun+`"}}`)
		out, err := mustRun("docker", args...)
		if err != nil {
			continue
		}
		for _, id := range strings.Fields(out) {
			ids[id] = true
		}
	}
	for id := range ids {
		if !runAlive(id) {
			logf("removing leftover containers of run %s", id)
			removeDocker(id)
			ReleaseRunID(id)
		}
	}
}
