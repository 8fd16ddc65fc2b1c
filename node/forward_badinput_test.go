package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rawRPC opens a command RPC connection by hand; with handshake it
// writes the magic and version and reads the answer.
func rawRPC(t *testing.T, addr string, handshake bool) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if handshake {
		if _, err := c.Write([]byte{rpcMagic, rpcVersion}); err != nil {
			t.Fatal(err)
		}
		var hs [2]byte
		if _, err := io.ReadFull(c, hs[:]); err != nil || hs != [2]byte{rpcMagic, rpcVersion} {
			t.Fatalf("handshake: %x %v", hs, err)
		}
	}
	return c
}

// closedByPeer reports whether the peer closes c (within 5 s) after
// whatever it was sent, without answering.
func closedByPeer(c net.Conn) error {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [64]byte
	n, err := c.Read(b[:])
	if err == nil {
		return errors.New("the server answered " + string(b[:n]))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the server kept the connection open")
	}
	return nil
}

// header is a frame header claiming length n.
func header(n uint32, kind byte) []byte {
	h := make([]byte, frameHeader)
	binary.BigEndian.PutUint32(h, n)
	binary.BigEndian.PutUint64(h[4:], 1)
	h[12] = kind
	return h
}

// Bad input on the command RPC port closes that connection with a log
// line and changes nothing; the node goes on serving raft and good RPC
// connections.
func TestRPCPortBadInput(t *testing.T) {
	c := newTestCluster(t, 1)
	c.nodes[0].Close()
	logs := &lockedBuffer{}
	c.cfgs[0].Logger = slog.New(slog.NewTextHandler(logs, nil))
	c.start(0)
	leader := c.leader()
	q := testQueue(t, leader, "bad")
	addr := leader.advRaft
	valid, _ := encodeRequest(1, opSend, 0, fsm.SendMessages{Queue: q, Entries: []fsm.SendEntry{{Body: "x", DelaySeconds: -1}}})
	before := leader.fsm.AppliedIndex()
	cases := []struct {
		name      string
		handshake bool
		send      []byte
		closeSend bool // half-close after sending (a truncated stream)
		log       string
	}{
		{name: "unknown version", send: []byte{rpcMagic, 9}, log: "bad handshake"},
		{name: "unknown kind", handshake: true, send: header(9, 99), log: "bad input"},
		{name: "reply kind from the dialer", handshake: true, send: header(9, kindReply), log: "bad input"},
		{name: "huge length", handshake: true, send: header(0xffffffff, opSend), log: "bad input"},
		{name: "short length", handshake: true, send: header(3, opSend), log: "bad input"},
		{name: "truncated header", handshake: true, send: valid[:6], closeSend: true, log: "bad input"},
		{name: "truncated body", handshake: true, send: valid[:len(valid)-2], closeSend: true, log: "bad input"},
		{name: "garbage request", handshake: true, send: append(header(9+4, opSend), 0, 0xff, 0xff, 0xff), log: "bad input"},
		{name: "garbage after a good frame", handshake: true, send: append(append([]byte(nil), valid[:len(valid)-1]...), 0xff, 0xff, 0xff, 0xff), log: "bad input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logged := strings.Count(logs.String(), tc.log)
			conn := rawRPC(t, addr, tc.handshake)
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			if tc.closeSend {
				_ = conn.(*net.TCPConn).CloseWrite()
			}
			if err := closedByPeer(conn); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, func() error {
				if strings.Count(logs.String(), tc.log) == logged {
					return errors.New("no new log line " + tc.log)
				}
				return nil
			})
		})
	}
	// Garbage that is not the RPC goes to raft, which drops it too.
	conn := rawRPC(t, addr, false)
	if _, err := conn.Write(bytes.Repeat([]byte{0xee}, 64)); err != nil {
		t.Fatal(err)
	}
	if err := closedByPeer(conn); err != nil {
		t.Fatal(err)
	}
	if after := leader.fsm.AppliedIndex(); after != before {
		t.Fatalf("bad input moved the applied index from %d to %d", before, after)
	}
	view, err := leader.GetQueue(context.Background(), q)
	if err != nil || view.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("queue after bad input: %v %v", err, view.Attributes)
	}
	// A good connection still works: a send forwarded by hand lands.
	good := rawRPC(t, addr, true)
	if _, err := good.Write(valid); err != nil {
		t.Fatal(err)
	}
	_ = good.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(good, hdr[:]); err != nil || hdr[12] != kindReply {
		t.Fatalf("reply header %x: %v", hdr, err)
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:4])-9)
	if _, err := io.ReadFull(good, body); err != nil {
		t.Fatal(err)
	}
	var res []fsm.SendResult
	if err := decodeReply(body, &res); err != nil || len(res) != 1 || res[0].MessageID == "" {
		t.Fatalf("reply: %v %+v", err, res)
	}
}
