package node

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The raft port carries two protocols. hashicorp/raft's NetworkTransport
// starts every connection with an RPC type byte (0 to 4 in raft v1.7);
// Wharf's command RPC (forward*.go) starts its connections with rpcMagic.
// streamLayer accepts on the one listener, peeks at the first byte of each
// connection and hands raft's connections to raft with that byte put back,
// and Wharf's to the command RPC server. Raft's own dials are unchanged, so
// a node of an older build still talks raft with this one.

// rpcMagic opens a connection of Wharf's command RPC on the raft port.
const rpcMagic byte = 'W'

// rpcRefused, answered after rpcMagic in place of the RPC version,
// refuses a connection: the server is starting or stopping.
const rpcRefused byte = 0

// firstByteTimeout bounds the wait for the first byte of an accepted
// connection. Raft sends its RPC type as soon as it has dialed.
const firstByteTimeout = 10 * time.Second

// errLayerClosed is returned by Accept once the layer is closed.
var errLayerClosed = errors.New("node: raft stream layer closed")

// streamLayer is the raft.StreamLayer of the raft port, shared with the
// command RPC.
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	log       *slog.Logger

	raftConns chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once

	mu sync.Mutex
	// rpc serves accepted command RPC connections; nil until set, and
	// such connections are closed meanwhile.
	rpc func(net.Conn)
}

// newStreamLayer listens on bind. The advertised address must be one
// peers can dial (not 0.0.0.0), as raft's own TCP layer requires.
func newStreamLayer(bind string, advertise *net.TCPAddr, log *slog.Logger) (*streamLayer, error) {
	if advertise.IP == nil || advertise.IP.IsUnspecified() {
		return nil, errors.New("local bind address is not advertisable")
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &streamLayer{ln: ln, advertise: advertise, log: log,
		raftConns: make(chan net.Conn), closed: make(chan struct{})}
	go l.acceptLoop()
	return l, nil
}

// serveRPC sets the handler of command RPC connections. It takes
// ownership of each connection it is given.
func (l *streamLayer) serveRPC(h func(net.Conn)) {
	l.mu.Lock()
	l.rpc = h
	l.mu.Unlock()
}

// Accept returns the next raft connection.
func (l *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.raftConns:
		return c, nil
	case <-l.closed:
		return nil, errLayerClosed
	}
}

// Close stops accepting; connections already handed out stay open.
func (l *streamLayer) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.closed)
		err = l.ln.Close()
	})
	return err
}

// Addr is the advertised address.
func (l *streamLayer) Addr() net.Addr { return l.advertise }

// Dial connects to a peer's raft port, for raft (unchanged) and for the
// command RPC (which then writes rpcMagic).
func (l *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(address), timeout)
}

// acceptLoop accepts connections until the layer closes and routes each
// one in its own goroutine, so a silent client delays nobody.
func (l *streamLayer) acceptLoop() {
	delay := time.Duration(0)
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.closed:
				return
			default:
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.log.Warn("raft port: accept failed", "err", err, "retry_in", delay)
			select {
			case <-l.closed:
				return
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		go l.route(c)
	}
}

// route reads a connection's first byte and hands it to raft or to the
// command RPC server.
func (l *streamLayer) route(c net.Conn) {
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(firstByteTimeout))
	if _, err := c.Read(first[:]); err != nil {
		l.log.Debug("raft port: connection closed before its first byte", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	if first[0] == rpcMagic {
		l.mu.Lock()
		h := l.rpc
		l.mu.Unlock()
		if h == nil {
			// Refused, not dropped: the dialer must not take this node
			// for one without the RPC. Its version byte is read first,
			// so the close does not reset the connection under the answer.
			var version [1]byte
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, _ = c.Read(version[:])
			_, _ = c.Write([]byte{rpcMagic, rpcRefused})
			c.Close()
			return
		}
		h(c)
		return
	}
	select {
	case l.raftConns <- &prefixConn{Conn: c, first: first[0], pending: true}:
	case <-l.closed:
		c.Close()
	}
}

// prefixConn is a connection whose first byte was read already: Read
// returns it before the rest of the stream.
type prefixConn struct {
	net.Conn
	first   byte
	pending bool
}

// Read implements net.Conn. The peeked byte comes back alone, so a read
// never blocks while it has a byte to deliver.
func (c *prefixConn) Read(p []byte) (int, error) {
	if c.pending && len(p) > 0 {
		p[0] = c.first
		c.pending = false
		return 1, nil
	}
	return c.Conn.Read(p)
}
