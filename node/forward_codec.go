package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// The command RPC's binary encoding. Requests travel in the compact form
// the log uses for their command (fsm.AppendEncoded, fsm.Decode; a receive
// adds its wait first). Results have their own form here: fields in
// declaration order, integers as varints, strings and byte slices with a
// uvarint length, maps and slices with a uvarint count. A field added to
// a result type needs its line here and a new rpcVersion
// (TestWireKeepsEveryField fails until it has one).
//
// msgpack is not used: go-msgpack decodes the values of a map of structs
// into one reused struct, so the []byte fields of map[string]
// MessageAttribute values come back sharing one array (the last value's).

// wireWriter appends encoded values to a buffer.
type wireWriter struct{ b []byte }

func (w *wireWriter) uvarint(u uint64) { w.b = binary.AppendUvarint(w.b, u) }
func (w *wireWriter) varint(i int64)   { w.b = binary.AppendVarint(w.b, i) }
func (w *wireWriter) int(i int)        { w.varint(int64(i)) }

func (w *wireWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wireWriter) bytes(p []byte) {
	w.uvarint(uint64(len(p)))
	w.b = append(w.b, p...)
}

func (w *wireWriter) attributes(m map[string]fsm.MessageAttribute) {
	w.uvarint(uint64(len(m)))
	for k, a := range m {
		w.str(k)
		w.str(a.DataType)
		w.str(a.StringValue)
		w.bytes(a.BinaryValue)
	}
}

func (w *wireWriter) fsmError(e *fsm.Error) {
	if e == nil {
		w.b = append(w.b, 0)
		return
	}
	w.b = append(w.b, 1)
	w.str(e.Code)
	w.str(e.Message)
}

// errShort: the input ended inside a value, or a count or length is
// larger than what is left of it.
var errShort = errors.New("value past the end of the frame")

// wireReader reads encoded values; the first error sticks and every read
// after it returns zero values.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *wireReader) uvarint() uint64 {
	u, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return u
}

func (r *wireReader) varint() int64 {
	i, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return i
}

func (r *wireReader) int() int {
	i := r.varint()
	if i > math.MaxInt32 || i < math.MinInt32 {
		r.fail(fmt.Errorf("integer %d out of range", i))
		return 0
	}
	return int(i)
}

// take returns the next n bytes.
func (r *wireReader) take(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *wireReader) str() string { return string(r.take(r.uvarint())) }

func (r *wireReader) bytes() []byte {
	p := r.take(r.uvarint())
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

// count reads a count of items taking at least min bytes each, so a count
// never allocates more than the frame could hold.
func (r *wireReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail(errShort)
		return 0
	}
	return int(n)
}

func (r *wireReader) attributes() map[string]fsm.MessageAttribute {
	n := r.count(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]fsm.MessageAttribute, n)
	for i := 0; i < n && r.err == nil; i++ {
		k := r.str()
		m[k] = fsm.MessageAttribute{DataType: r.str(), StringValue: r.str(), BinaryValue: r.bytes()}
	}
	return m
}

func (r *wireReader) fsmError() *fsm.Error {
	switch p := r.take(1); {
	case len(p) == 0:
		return nil
	case p[0] == 0:
		return nil
	case p[0] == 1:
		return &fsm.Error{Code: r.str(), Message: r.str()}
	}
	r.fail(errors.New("bad error marker"))
	return nil
}

// writeValue encodes one request or result.
func writeValue(w *wireWriter, v any) error {
	switch v := v.(type) {
	case fsm.SendMessages, fsm.DeleteMessages, fsm.ChangeVisibility, fsm.Publish:
		return writeCommand(w, v)
	case receiveCall:
		w.varint(int64(v.Wait))
		return writeCommand(w, v.Req)
	case []fsm.SendResult:
		writeSendResults(w, v)
	case []fsm.ReceivedMessage:
		writeReceived(w, v)
	case []fsm.EntryResult:
		writeEntryResults(w, v)
	case []fsm.PublishResult:
		writePublishResults(w, v)
	default:
		return fmt.Errorf("node: no wire form for %T", v)
	}
	return nil
}

// readValue decodes one request or result into v, a pointer to its type.
func readValue(b []byte, v any) error {
	r := &wireReader{b: b}
	switch v := v.(type) {
	case *fsm.SendMessages:
		*v, r.err = readCommand[fsm.SendMessages](r)
	case *receiveCall:
		wait := time.Duration(r.varint())
		req, err := readCommand[fsm.ReceiveMessages](r)
		*v, r.err = receiveCall{Req: req, Wait: wait}, errors.Join(r.err, err)
	case *fsm.DeleteMessages:
		*v, r.err = readCommand[fsm.DeleteMessages](r)
	case *fsm.ChangeVisibility:
		*v, r.err = readCommand[fsm.ChangeVisibility](r)
	case *fsm.Publish:
		*v, r.err = readCommand[fsm.Publish](r)
	case *[]fsm.SendResult:
		*v = readSendResults(r)
	case *[]fsm.ReceivedMessage:
		*v = readReceived(r)
	case *[]fsm.EntryResult:
		*v = readEntryResults(r)
	case *[]fsm.PublishResult:
		*v = readPublishResults(r)
	default:
		return fmt.Errorf("node: no wire form for %T", v)
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the value", len(r.b))
	}
	return r.err
}

// writeCommand writes a request in the command's own compact form (the
// one the log uses; the leader stamps the time when it proposes).
func writeCommand(w *wireWriter, cmd any) error {
	b, err := fsm.AppendEncoded(w.b, 0, cmd)
	if err != nil {
		return err
	}
	w.b = b
	return nil
}

// readCommand reads the rest of r as a command of type T.
func readCommand[T any](r *wireReader) (T, error) {
	var zero T
	if r.err != nil {
		return zero, r.err
	}
	_, cmd, err := fsm.Decode(r.b)
	r.b = nil
	if err != nil {
		return zero, err
	}
	c, ok := cmd.(T)
	if !ok {
		return zero, fmt.Errorf("a %T where a %T was expected", cmd, zero)
	}
	return c, nil
}

func writeSendResults(w *wireWriter, res []fsm.SendResult) {
	w.uvarint(uint64(len(res)))
	for _, s := range res {
		w.str(s.ID)
		w.str(s.MessageID)
		w.str(s.SequenceNumber)
		w.fsmError(s.Err)
	}
}

func readSendResults(r *wireReader) []fsm.SendResult {
	out := make([]fsm.SendResult, r.count(4))
	for i := range out {
		out[i] = fsm.SendResult{ID: r.str(), MessageID: r.str(), SequenceNumber: r.str(), Err: r.fsmError()}
	}
	return out
}

func writeReceived(w *wireWriter, msgs []fsm.ReceivedMessage) {
	w.uvarint(uint64(len(msgs)))
	for _, m := range msgs {
		w.str(m.MessageID)
		w.str(m.ReceiptHandle)
		w.str(m.Body)
		w.attributes(m.Attributes)
		w.attributes(m.SystemAttributes)
		w.str(m.SenderID)
		w.varint(m.SentTimestamp)
		w.varint(m.FirstReceiveTimestamp)
		w.int(m.ReceiveCount)
		w.str(m.MessageGroupID)
		w.str(m.DeduplicationID)
		w.str(m.SequenceNumber)
		w.str(m.DeadLetterSourceArn)
	}
}

func readReceived(r *wireReader) []fsm.ReceivedMessage {
	out := make([]fsm.ReceivedMessage, r.count(13))
	for i := range out {
		out[i] = fsm.ReceivedMessage{
			MessageID: r.str(), ReceiptHandle: r.str(), Body: r.str(),
			Attributes: r.attributes(), SystemAttributes: r.attributes(), SenderID: r.str(),
			SentTimestamp: r.varint(), FirstReceiveTimestamp: r.varint(), ReceiveCount: r.int(),
			MessageGroupID: r.str(), DeduplicationID: r.str(), SequenceNumber: r.str(),
			DeadLetterSourceArn: r.str(),
		}
	}
	return out
}

func writeEntryResults(w *wireWriter, res []fsm.EntryResult) {
	w.uvarint(uint64(len(res)))
	for _, e := range res {
		w.str(e.ID)
		w.fsmError(e.Err)
	}
}

func readEntryResults(r *wireReader) []fsm.EntryResult {
	out := make([]fsm.EntryResult, r.count(2))
	for i := range out {
		out[i] = fsm.EntryResult{ID: r.str(), Err: r.fsmError()}
	}
	return out
}

func writePublishResults(w *wireWriter, res []fsm.PublishResult) {
	w.uvarint(uint64(len(res)))
	for _, p := range res {
		w.str(p.ID)
		w.str(p.MessageID)
		w.str(p.SequenceNumber)
		w.fsmError(p.Err)
	}
}

func readPublishResults(r *wireReader) []fsm.PublishResult {
	out := make([]fsm.PublishResult, r.count(4))
	for i := range out {
		out[i] = fsm.PublishResult{ID: r.str(), MessageID: r.str(), SequenceNumber: r.str(), Err: r.fsmError()}
	}
	return out
}
