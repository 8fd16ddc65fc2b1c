package node

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func newTestLayer(t *testing.T) *streamLayer {
	t.Helper()
	l, err := newStreamLayer("127.0.0.1:0", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dialTCP(a raft.ServerAddress, d time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(a), d)
}

// Raft's connections come out of Accept with their first byte put back;
// command RPC connections go to the RPC server, or are refused (not
// dropped) while there is none.
func TestStreamLayerRoutesByFirstByte(t *testing.T) {
	l := newTestLayer(t)
	addr := l.ln.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("\x01raft rpc")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(got)
	if err != nil || string(b) != "\x01raft rpc" {
		t.Fatalf("raft read %q, %v", b, err)
	}
	got.Close()

	if _, err := dialRPC(dialTCP, addr, slog.Default()); !errors.Is(err, errRefused) {
		t.Fatalf("RPC before its server: %v, want refused", err)
	}
	served := make(chan net.Conn, 1)
	l.serveRPC(func(c net.Conn) { served <- c })
	rc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.Write([]byte{rpcMagic, rpcVersion})
	select {
	case sc := <-served:
		var v [1]byte
		if _, err := io.ReadFull(sc, v[:]); err != nil || v[0] != rpcVersion {
			t.Fatalf("the RPC server read %x, %v after the magic", v, err)
		}
		sc.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the RPC connection was not handed to its server")
	}
	l.Close()
	if _, err := l.Accept(); !errors.Is(err, errLayerClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}

// A node of an older build serves raft's own transport on its raft port,
// which drops a command RPC connection unanswered: the dialer learns that
// the leader lacks the RPC (and transport forwards HTTP to it instead).
func TestOlderBuildIsDetected(t *testing.T) {
	old, err := raft.NewTCPTransport("127.0.0.1:0", nil, 1, time.Second, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := dialRPC(dialTCP, string(old.LocalAddr()), slog.Default()); !errors.Is(err, errNoRPC) {
		t.Fatalf("dial of an older build: %v, want errNoRPC", err)
	}
}
