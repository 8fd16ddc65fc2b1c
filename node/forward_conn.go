package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// The dialing side of the command RPC: one connection to the leader,
// shared by every forwarded call. Frames carry the call's ID, so many
// calls are in flight at once; the frameWriter coalesces the frames queued
// meanwhile into one write, a reader goroutine hands each reply to its
// caller.

const (
	// rpcDialTimeout bounds connecting to the leader's raft port.
	rpcDialTimeout = time.Second
	// rpcHandshakeTimeout bounds the wait for the server's answering
	// magic; a node without the RPC closes the connection at once.
	rpcHandshakeTimeout = 2 * time.Second
	// rpcWriteTimeout bounds one write: a peer that reads nothing for
	// that long (paused, partitioned) fails the connection.
	rpcWriteTimeout = 10 * time.Second
	// rpcRetireGrace is how long a connection to a former leader stays
	// open for the answers of its calls in flight.
	rpcRetireGrace = 3 * time.Second
)

var (
	// errNotSent: the call never reached the connection (it failed or
	// was retired first); nothing was applied, the call may be retried.
	errNotSent = errors.New("node: forwarded call not sent")
	// errNoRPC: the peer closed the connection instead of answering the
	// handshake (a node of a build without the command RPC).
	errNoRPC = errors.New("node: the leader does not serve the command RPC")
	// errRefused: the peer serves the command RPC but not now (it is
	// starting or stopping); nothing was sent.
	errRefused = errors.New("node: the leader refused the command RPC connection")
)

// pendingCall is a request waiting for its reply.
type pendingCall struct {
	id    uint64
	reply chan []byte // the reply's body, delivered once
	// sent and dropped are guarded by rpcConn.mu: sent once the writer
	// took the frame (it may have reached the peer), dropped once the
	// caller gave up before that (the writer skips it).
	sent, dropped bool
}

// rpcConn is a connection to a peer's command RPC server.
type rpcConn struct {
	target string
	nc     net.Conn
	log    *slog.Logger
	w      *frameWriter
	done   chan struct{} // closed when the connection ends
	ids    atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]*pendingCall
	err     error
	retired bool
}

// dialRPC connects to target's raft port and opens the command RPC.
func dialRPC(dial func(raft.ServerAddress, time.Duration) (net.Conn, error), target string, log *slog.Logger) (*rpcConn, error) {
	nc, err := dial(raft.ServerAddress(target), rpcDialTimeout)
	if err != nil {
		return nil, err
	}
	if err := clientHandshake(nc); err != nil {
		nc.Close()
		return nil, err
	}
	c := &rpcConn{target: target, nc: nc, log: log, done: make(chan struct{}), pending: make(map[uint64]*pendingCall)}
	c.w = newFrameWriter(nc, c.admit, c.fail)
	go c.readLoop()
	return c, nil
}

// clientHandshake writes the magic and version and reads the server's.
func clientHandshake(nc net.Conn) error {
	_ = nc.SetDeadline(time.Now().Add(rpcHandshakeTimeout))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write([]byte{rpcMagic, rpcVersion}); err != nil {
		return err
	}
	var hs [2]byte
	if _, err := io.ReadFull(nc, hs[:]); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("node: command RPC handshake: %w", err)
		}
		return errNoRPC // closed or reset: raft rejected the magic byte
	}
	switch {
	case hs[0] == rpcMagic && hs[1] == rpcVersion:
		return nil
	case hs[0] == rpcMagic && hs[1] == rpcRefused:
		return errRefused
	}
	return fmt.Errorf("%w: handshake %x", errNoRPC, hs)
}

// usable reports whether new calls may use the connection.
func (c *rpcConn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil && !c.retired
}

// roundTrip sends one request and waits for its reply, decoded into
// result. It returns errNotSent when nothing reached the peer and
// ErrIndeterminate when the request was sent but its answer is lost.
func (c *rpcConn) roundTrip(ctx context.Context, op byte, req, result any) error {
	id := c.ids.Add(1)
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	data, err := encodeRequest(id, op, timeout, req)
	if err != nil {
		return err
	}
	pc := &pendingCall{id: id, reply: make(chan []byte, 1)}
	if ctx.Err() != nil || !c.register(pc) {
		return errNotSent
	}
	if err := c.w.send(outFrame{data: data, call: pc}); err != nil {
		return c.lost(pc)
	}
	select {
	case body := <-pc.reply:
		return c.decode(body, result)
	case <-c.done:
		select {
		case body := <-pc.reply:
			return c.decode(body, result)
		default:
		}
		return c.lost(pc)
	case <-ctx.Done():
		select {
		case body := <-pc.reply:
			return c.decode(body, result)
		default:
		}
		return c.abandon(ctx, pc)
	}
}

// register records a call; false when the connection takes no more.
func (c *rpcConn) register(pc *pendingCall) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.retired {
		return false
	}
	c.pending[pc.id] = pc
	return true
}

// forget removes a call and reports whether its request was sent.
func (c *rpcConn) forget(pc *pendingCall) (sent bool) {
	c.mu.Lock()
	delete(c.pending, pc.id)
	pc.dropped = true
	sent = pc.sent
	idle := c.retired && len(c.pending) == 0
	c.mu.Unlock()
	if idle {
		c.close()
	}
	return sent
}

// lost is the outcome of a call whose connection ended first.
func (c *rpcConn) lost(pc *pendingCall) error {
	if c.forget(pc) {
		return ErrIndeterminate
	}
	return errNotSent
}

// abandon gives up on a call whose caller is gone: the server is told to
// stop it (a long poll, say), and a sent request's outcome is unknown.
func (c *rpcConn) abandon(ctx context.Context, pc *pendingCall) error {
	if !c.forget(pc) {
		return ctx.Err()
	}
	_ = c.w.send(outFrame{data: encodeCancel(pc.id)})
	return ErrIndeterminate
}

// decode reads a reply. A reply that cannot be read is a protocol
// violation: the connection is failed and the outcome unknown.
func (c *rpcConn) decode(body []byte, result any) error {
	err := decodeReply(body, result)
	if errors.Is(err, errBadFrame) {
		c.fail(err)
		return ErrIndeterminate
	}
	return err
}

// admit lets the writer send a call's frame unless its caller gave up,
// and marks it sent.
func (c *rpcConn) admit(pc *pendingCall) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pc.dropped || c.err != nil {
		return false
	}
	pc.sent = true
	return true
}

// readLoop hands each reply to its call until the connection ends.
func (c *rpcConn) readLoop() {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		f, err := readFrame(br)
		if err == nil && f.kind != kindReply {
			err = fmt.Errorf("%w: kind %d from the server", errBadFrame, f.kind)
		}
		if err != nil {
			c.fail(err)
			return
		}
		c.deliver(f)
	}
}

// deliver hands a reply to its call; a reply to an abandoned call is
// dropped.
func (c *rpcConn) deliver(f frame) {
	c.mu.Lock()
	pc := c.pending[f.id]
	delete(c.pending, f.id)
	idle := c.retired && len(c.pending) == 0
	c.mu.Unlock()
	if pc != nil {
		pc.reply <- f.body
	}
	if idle {
		c.close()
	}
}

// fail ends the connection with err; calls in flight learn it from done.
func (c *rpcConn) fail(err error) {
	c.mu.Lock()
	first := c.err == nil
	if first {
		c.err = err
	}
	c.mu.Unlock()
	if !first {
		return
	}
	c.nc.Close()
	close(c.done)
	if errors.Is(err, errBadFrame) {
		c.log.Warn("command RPC: bad frame from the leader, connection closed", "leader", c.target, "err", err)
	} else if !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		c.log.Debug("command RPC connection ended", "leader", c.target, "err", err)
	}
}

// close ends the connection.
func (c *rpcConn) close() { c.fail(net.ErrClosed) }

// retire takes no new calls and closes the connection once its calls in
// flight are answered, or after rpcRetireGrace.
func (c *rpcConn) retire() {
	c.mu.Lock()
	c.retired = true
	idle := len(c.pending) == 0
	c.mu.Unlock()
	if idle {
		c.close()
		return
	}
	t := time.AfterFunc(rpcRetireGrace, c.close)
	go func() {
		<-c.done
		t.Stop()
	}()
}
