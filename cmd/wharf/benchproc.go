package main

// Child processes of `wharf bench`: the cluster's nodes and the two
// references run as children of the benchmark, each in a process group of
// its own, and are killed with it.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchChild is a child process of the benchmark. It runs in its own
// process group (a Ctrl-C at the terminal reaches only the benchmark,
// which then kills its children) and gets SIGKILL if the benchmark dies
// first.
type benchChild struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}
	err     error // the exit status, once done is closed
}

// startChild starts bin with args; stdout and stderr receive its output.
func startChild(name, bin string, args []string, stdout, stderr io.Writer) (*benchChild, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c := &benchChild{name: name, cmd: cmd, done: make(chan struct{})}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// pid is the child's process ID.
func (c *benchChild) pid() int { return c.cmd.Process.Pid }

// exited reports whether the child has exited.
func (c *benchChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the child's process group.
func (c *benchChild) signal(sig syscall.Signal) {
	if !c.exited() {
		_ = syscall.Kill(-c.pid(), sig)
	}
}

// wait waits up to timeout for the child to exit and reports whether it
// did.
func (c *benchChild) wait(timeout time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// kill kills the child's process group and waits for the child.
func (c *benchChild) kill() {
	c.signal(syscall.SIGKILL)
	<-c.done
}

// children is the set of live children, killed together at the end.
type children struct {
	mu   sync.Mutex
	list []*benchChild
}

func (cs *children) add(c *benchChild) {
	cs.mu.Lock()
	cs.list = append(cs.list, c)
	cs.mu.Unlock()
}

// killAll kills every child still running.
func (cs *children) killAll() {
	cs.mu.Lock()
	list := cs.list
	cs.list = nil
	cs.mu.Unlock()
	for _, c := range list {
		c.kill()
	}
}

// freePorts returns n distinct loopback ports free for both TCP and UDP
// (memberlist uses both on the gossip port). The ports are held until all
// are chosen, so they differ, then released for the children to bind.
func freePorts(n int) ([]int, error) {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		closers = append(closers, l)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken for UDP: draw another
		}
		closers = append(closers, u)
		ports = append(ports, port)
	}
	return ports, nil
}

// procCPU is the CPU time (user + system) the process has used so far,
// from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields count from after its closing one. utime and stime are fields
	// 14 and 15, in clock ticks of 1/100 s (USER_HZ on Linux).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// tailFile returns the last n lines of a file, for error messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
