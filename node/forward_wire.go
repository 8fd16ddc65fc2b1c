package node

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// The command RPC's wire format. A connection opens with rpcMagic and
// rpcVersion from the dialer; the server answers the same two bytes before
// anything else, or rpcRefused in place of the version while it is
// starting or stopping (a node of an older build hands the connection to
// raft, which closes it: the dialer learns the leader lacks the RPC). Then
// both
// sides exchange frames:
//
//	uint32 length   big endian: of what follows, 9 to maxFrame bytes
//	uint64 id       the request's ID, chosen by the dialer
//	uint8  kind     a request op, kindCancel or kindReply
//	body
//
// A request's body is its timeout in milliseconds (uvarint, 0: none)
// followed by the request; a reply's body is a status byte followed by
// the result (status ok), the *fsm.Error's code and message
// (statusFSMError) or an error text (statusOther). Requests and results
// are in the binary form of forward_codec.go.

// rpcVersion is the version of the frames below.
const rpcVersion byte = 1

// frameHeader is the length, id and kind of a frame.
const frameHeader = 4 + 8 + 1

// maxFrame bounds a frame's length: a receive of 10 messages of 1 MiB
// and their attributes, with room to spare.
const maxFrame = 16 << 20

// The kinds of frames. The request ops name the node method they call.
const (
	opSend             byte = 1
	opReceive          byte = 2
	opDelete           byte = 3
	opChangeVisibility byte = 4
	opPublish          byte = 5
	kindCancel         byte = 16 // the dialer gave up on a request
	kindReply          byte = 32
)

// opNames name the ops in logs and metrics.
var opNames = map[byte]string{
	opSend: "send", opReceive: "receive", opDelete: "delete",
	opChangeVisibility: "change_visibility", opPublish: "publish",
}

// The status byte of a reply. The sentinel errors of the service
// operations (and context errors) travel as their own status, so errors.Is
// matches them on the forwarding node.
const (
	statusOK byte = iota
	statusFSMError
	statusNotLeader
	statusNoLeader
	statusIndeterminate
	statusShuttingDown
	statusCanceled
	statusDeadline
	statusOther
)

// sentinels maps the status of a sentinel error to the error.
var sentinels = map[byte]error{
	statusNotLeader:     ErrNotLeader,
	statusNoLeader:      ErrNoLeader,
	statusIndeterminate: ErrIndeterminate,
	statusShuttingDown:  ErrShuttingDown,
	statusCanceled:      context.Canceled,
	statusDeadline:      context.DeadlineExceeded,
}

// errBadFrame is a protocol violation: the connection is closed.
var errBadFrame = errors.New("bad frame")

// frame is one frame read from a connection.
type frame struct {
	id   uint64
	kind byte
	body []byte
}

// receiveCall is the request of opReceive.
type receiveCall struct {
	Req  fsm.ReceiveMessages
	Wait time.Duration
}

// readFrame reads one frame. A clean end of the stream between frames is
// io.EOF; anything else that is not a whole, well-sized frame is an error.
func readFrame(r *bufio.Reader) (frame, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return frame{}, fmt.Errorf("%w: truncated header", errBadFrame)
		}
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(h[:4])
	if n < frameHeader-4 || n > maxFrame {
		return frame{}, fmt.Errorf("%w: length %d", errBadFrame, n)
	}
	f := frame{id: binary.BigEndian.Uint64(h[4:12]), kind: h[12]}
	body, err := readBody(r, int(n)-(frameHeader-4))
	if err != nil {
		return frame{}, fmt.Errorf("%w: truncated body: %v", errBadFrame, err)
	}
	f.body = body
	return f, nil
}

// readBody reads n bytes. Past 64 KiB the buffer doubles as the bytes
// arrive, so a length prefix alone never allocates maxFrame.
func readBody(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, min(n, 64<<10))
	read := 0
	for {
		if _, err := io.ReadFull(r, buf[read:]); err != nil {
			return nil, err
		}
		read = len(buf)
		if read == n {
			return buf, nil
		}
		buf = append(buf, make([]byte, min(n-read, read))...)
	}
}

// newFrame starts a frame; finish fills in its length.
func newFrame(id uint64, kind byte, sizeHint int) *wireWriter {
	w := &wireWriter{b: make([]byte, frameHeader, frameHeader+sizeHint)}
	binary.BigEndian.PutUint64(w.b[4:12], id)
	w.b[12] = kind
	return w
}

// finish sets the frame's length and returns its bytes.
func (w *wireWriter) finish() ([]byte, error) {
	if len(w.b)-4 > maxFrame {
		return nil, fmt.Errorf("node: forwarded frame of %d bytes exceeds %d", len(w.b), maxFrame)
	}
	binary.BigEndian.PutUint32(w.b[:4], uint32(len(w.b)-4))
	return w.b, nil
}

// encodeRequest builds a request frame.
func encodeRequest(id uint64, op byte, timeout time.Duration, req any) ([]byte, error) {
	w := newFrame(id, op, 256)
	w.uvarint(uint64(max(timeout.Milliseconds(), 0)))
	if err := writeValue(w, req); err != nil {
		return nil, err
	}
	return w.finish()
}

// decodeRequest reads a request body: its timeout and the request.
func decodeRequest(body []byte, req any) (time.Duration, error) {
	ms, n := binary.Uvarint(body)
	if n <= 0 || ms > uint64(time.Hour/time.Millisecond) {
		return 0, fmt.Errorf("%w: request timeout", errBadFrame)
	}
	if err := readValue(body[n:], req); err != nil {
		return 0, fmt.Errorf("%w: request: %v", errBadFrame, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// encodeReply builds the reply frame of a result or an error.
func encodeReply(id uint64, result any, err error) ([]byte, error) {
	w := newFrame(id, kindReply, 256)
	var fe *fsm.Error
	switch {
	case err == nil:
		w.b = append(w.b, statusOK)
		if e := writeValue(w, result); e != nil {
			return nil, e
		}
	case errors.As(err, &fe):
		w.b = append(w.b, statusFSMError)
		w.str(fe.Code)
		w.str(fe.Message)
	default:
		status := statusOther
		for s, sentinel := range sentinels {
			if errors.Is(err, sentinel) {
				status = s
			}
		}
		w.b = append(w.b, status)
		if status == statusOther {
			w.b = append(w.b, err.Error()...)
		}
	}
	return w.finish()
}

// decodeReply reads a reply body into result, or returns its error.
func decodeReply(body []byte, result any) error {
	if len(body) == 0 {
		return fmt.Errorf("%w: empty reply", errBadFrame)
	}
	status, rest := body[0], body[1:]
	switch status {
	case statusOK:
		if err := readValue(rest, result); err != nil {
			return fmt.Errorf("%w: reply: %v", errBadFrame, err)
		}
		return nil
	case statusFSMError:
		r := &wireReader{b: rest}
		fe := &fsm.Error{Code: r.str(), Message: r.str()}
		if r.err != nil || len(r.b) > 0 {
			return fmt.Errorf("%w: reply error", errBadFrame)
		}
		return fe
	case statusOther:
		return errors.New(string(rest))
	}
	if err, ok := sentinels[status]; ok {
		return err
	}
	return fmt.Errorf("%w: reply status %d", errBadFrame, status)
}

// encodeCancel builds the frame that gives up on a request.
func encodeCancel(id uint64) []byte {
	out, _ := newFrame(id, kindCancel, 0).finish()
	return out
}
