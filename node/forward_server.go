package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// The serving side of the command RPC, on the leader. Each request runs in
// its own goroutine and calls the node's own method with a context marked
// as forwarded, so a node that is no longer the leader answers
// ErrNotLeader (nothing applied) instead of forwarding it again.

// rpcMaxInFlight bounds the requests one connection runs at once; past it
// the server reads no more frames from that connection.
const rpcMaxInFlight = 4096

// forwardedKey marks the context of a request another node forwarded.
type forwardedKey struct{}

// fromPeer reports whether ctx is that of a forwarded request.
func fromPeer(ctx context.Context) bool {
	return ctx.Value(forwardedKey{}) != nil
}

// serverConn is one accepted command RPC connection.
type serverConn struct {
	n      *Node
	nc     net.Conn
	w      *frameWriter
	done   chan struct{}
	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	calls    map[uint64]context.CancelFunc
	failOnce sync.Once
}

// serveRPCConn serves a connection whose magic byte was read.
func (f *forwarder) serveRPCConn(nc net.Conn) {
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), forwardedKey{}, true))
	sc := &serverConn{n: f.n, nc: nc, done: make(chan struct{}),
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, rpcMaxInFlight), calls: make(map[uint64]context.CancelFunc)}
	sc.w = newFrameWriter(nc, nil, sc.fail)
	tracked := f.track(sc)
	if err := serverHandshake(nc, tracked); err != nil || !tracked {
		if err != nil {
			f.n.log.Warn("command RPC: bad handshake, connection closed", "remote", nc.RemoteAddr().String(), "err", err)
		}
		cancel()
		nc.Close()
		if tracked {
			f.untrack(sc)
		}
		return
	}
	defer f.untrack(sc)
	sc.readLoop()
	sc.wg.Wait()
}

// serverHandshake reads the dialer's version and answers the magic and
// the version, or rpcRefused when the server does not take the connection.
func serverHandshake(nc net.Conn, accept bool) error {
	_ = nc.SetDeadline(time.Now().Add(rpcHandshakeTimeout))
	defer nc.SetDeadline(time.Time{})
	var v [1]byte
	if _, err := io.ReadFull(nc, v[:]); err != nil {
		return err
	}
	if v[0] != rpcVersion {
		return fmt.Errorf("unknown version %d", v[0])
	}
	answer := rpcVersion
	if !accept {
		answer = rpcRefused
	}
	_, err := nc.Write([]byte{rpcMagic, answer})
	return err
}

// readLoop reads requests until the connection ends or breaks the
// protocol; each request runs in a goroutine of its own.
func (sc *serverConn) readLoop() {
	br := bufio.NewReaderSize(sc.nc, 64<<10)
	for {
		f, err := readFrame(br)
		if err != nil {
			sc.fail(err)
			return
		}
		switch {
		case f.kind == kindCancel:
			sc.cancelCall(f.id)
		case opNames[f.kind] != "":
			select {
			case sc.sem <- struct{}{}:
			case <-sc.done:
				return
			}
			sc.start(f)
		default:
			sc.fail(fmt.Errorf("%w: kind %d", errBadFrame, f.kind))
			return
		}
	}
}

// start runs one request in its own goroutine.
func (sc *serverConn) start(f frame) {
	ctx, cancel := context.WithCancel(sc.ctx)
	sc.mu.Lock()
	if old, dup := sc.calls[f.id]; dup {
		old() // a reused ID: the older call loses its cancel
	}
	sc.calls[f.id] = cancel
	sc.mu.Unlock()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		defer func() { <-sc.sem }()
		defer sc.endCall(f.id, cancel)
		result, err := sc.n.serveForwarded(ctx, f.kind, f.body)
		if errors.Is(err, errBadFrame) {
			sc.fail(err)
			return
		}
		sc.reply(f.id, result, err)
	}()
}

// reply queues the answer of a request.
func (sc *serverConn) reply(id uint64, result any, err error) {
	data, encErr := encodeReply(id, result, err)
	if encErr != nil {
		sc.n.log.Error("command RPC: encoding a reply", "err", encErr)
		data, _ = encodeReply(id, nil, ErrIndeterminate)
	}
	_ = sc.w.send(outFrame{data: data}) // a failed write fails the connection
}

// cancelCall stops a request its caller gave up on.
func (sc *serverConn) cancelCall(id uint64) {
	sc.mu.Lock()
	cancel := sc.calls[id]
	sc.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// endCall forgets a finished request.
func (sc *serverConn) endCall(id uint64, cancel context.CancelFunc) {
	cancel()
	sc.mu.Lock()
	delete(sc.calls, id)
	sc.mu.Unlock()
}

// fail ends the connection: requests in flight are cancelled. A protocol
// violation is logged.
func (sc *serverConn) fail(err error) {
	sc.failOnce.Do(func() {
		sc.nc.Close()
		sc.cancel()
		close(sc.done)
		if errors.Is(err, errBadFrame) {
			sc.n.log.Warn("command RPC: bad input, connection closed", "remote", sc.nc.RemoteAddr().String(), "err", err)
		}
	})
}

// serveForwarded decodes a request and runs it. A request that cannot be
// decoded returns an errBadFrame error and runs nothing.
func (n *Node) serveForwarded(ctx context.Context, op byte, body []byte) (any, error) {
	switch op {
	case opSend:
		return serveOp(ctx, body, n.SendMessages)
	case opReceive:
		return serveOp(ctx, body, func(ctx context.Context, c receiveCall) ([]fsm.ReceivedMessage, error) {
			return n.ReceiveMessages(ctx, c.Req, c.Wait)
		})
	case opDelete:
		return serveOp(ctx, body, n.DeleteMessages)
	case opChangeVisibility:
		return serveOp(ctx, body, n.ChangeVisibility)
	case opPublish:
		return serveOp(ctx, body, n.Publish)
	}
	return nil, fmt.Errorf("%w: op %d", errBadFrame, op)
}

// serveOp decodes a request of type Req and calls run with it, within the
// request's timeout. A node that is not the leader runs nothing.
func serveOp[Req, Res any](ctx context.Context, body []byte, run func(context.Context, Req) (Res, error)) (any, error) {
	var req Req
	timeout, err := decodeRequest(body, &req)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return run(ctx, req)
}
