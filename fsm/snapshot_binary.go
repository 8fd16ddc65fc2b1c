package fsm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// The binary parts of a format-4 snapshot. Numbers are varints; times are
// written as differences (a message's send time from the previous
// message's, its other times from its send time), which keeps them to a
// byte or two; strings and byte strings are a uvarint length and the
// bytes. A message starts with a flags byte naming the optional parts.
const (
	msgUID        = 1 << iota // the ID is 16 UUID bytes (else a string)
	msgSameSender             // the sender is the previous message's
	msgReceived               // first/last receive times and nonce follow
	msgAttrs                  // message attributes follow the body
	msgSysAttrs               // system attributes follow
	msgGroup                  // MessageGroupId follows
	msgDedup                  // MessageDeduplicationId follows
	msgDeadLetter             // the dead-letter source ARN follows
)

// Limits that keep a corrupt snapshot from asking for absurd allocations.
const (
	maxSnapString = 64 << 20
	maxSnapFrame  = 1 << 30
	maxSnapAttrs  = 1 << 16
)

// snapshotHandle encodes the msgpack records of a binary snapshot: the
// settings of msgpackHandle plus a codec of its own for MessageAttribute
// (in receive attempts and outbox notices). The reflective decoder reuses
// one value for the entries of a map of structs, so a field that omitempty
// left out took the previous entry's value: a binary attribute got the
// StringValue of the attribute before it, and a restored replica would
// differ from the one it was taken from. Written whole, every field is set
// on read.
var snapshotHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.Canonical = true
	h.RawToString = true
	h.WriteExt = true
	if err := h.SetBytesExt(reflect.TypeOf(MessageAttribute{}), 1, attributeExt{}); err != nil {
		panic(err)
	}
	return h
}()

// attributeExt writes a MessageAttribute as its three fields.
type attributeExt struct{}

// WriteExt encodes a MessageAttribute.
func (attributeExt) WriteExt(v any) []byte {
	var a MessageAttribute
	switch x := v.(type) {
	case *MessageAttribute:
		a = *x
	case MessageAttribute:
		a = x
	}
	b := appendStr(nil, a.DataType)
	b = appendStr(b, a.StringValue)
	b = binary.AppendUvarint(b, uint64(len(a.BinaryValue)))
	return append(b, a.BinaryValue...)
}

// ReadExt decodes what WriteExt wrote, setting every field.
func (attributeExt) ReadExt(dst any, src []byte) {
	r := &snapReader{r: bufio.NewReader(bytes.NewReader(src))}
	a := MessageAttribute{DataType: r.str(), StringValue: r.str(), BinaryValue: r.bytes()}
	if r.err != nil {
		panic(fmt.Errorf("message attribute: %w", r.err))
	}
	*dst.(*MessageAttribute) = a
}

// snapPrev is what a message's encoding is relative to: the previous
// message of its queue.
type snapPrev struct {
	seq    uint64
	sentAt int64
	sender string
}

// snapWriter writes a snapshot stream; the first error sticks and later
// writes do nothing.
type snapWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func newSnapWriter(w io.Writer) *snapWriter {
	return &snapWriter{w: bufio.NewWriterSize(w, 1<<16), buf: make([]byte, 0, 1024)}
}

func (w *snapWriter) raw(p []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(p)
	}
}

func (w *snapWriter) uvarint(v uint64) { w.raw(binary.AppendUvarint(w.buf[:0], v)) }

// frame writes v as msgpack behind its length.
func (w *snapWriter) frame(v any) {
	var b []byte
	if err := codec.NewEncoderBytes(&b, snapshotHandle).Encode(v); err != nil && w.err == nil {
		w.err = err
	}
	w.uvarint(uint64(len(b)))
	w.raw(b)
}

func (w *snapWriter) flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendAttrs writes attributes sorted by name.
func appendAttrs(b []byte, attrs map[string]MessageAttribute) []byte {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		a := attrs[k]
		b = appendStr(b, k)
		b = appendStr(b, a.DataType)
		b = appendStr(b, a.StringValue)
		b = binary.AppendUvarint(b, uint64(len(a.BinaryValue)))
		b = append(b, a.BinaryValue...)
	}
	return b
}

// messageFlags names the optional parts of m's encoding.
func messageFlags(m *message, e *messageExt, prev *snapPrev) byte {
	var f byte
	set := func(bit byte, on bool) {
		if on {
			f |= bit
		}
	}
	set(msgUID, m.hasUID)
	set(msgSameSender, m.SenderID == prev.sender)
	set(msgReceived, e.FirstReceiveAt != 0 || e.LastReceiveAt != 0 || e.ReceiptNonce != 0)
	set(msgAttrs, len(e.Attributes) > 0)
	set(msgSysAttrs, len(e.SystemAttributes) > 0)
	set(msgGroup, e.MessageGroupID != "")
	set(msgDedup, e.DeduplicationID != "")
	set(msgDeadLetter, e.DeadLetterSourceArn != "")
	return f
}

// message writes m, relative to the previous message of its queue, and
// makes m the previous one.
func (w *snapWriter) message(m *message, prev *snapPrev) {
	e := m.x()
	flags := messageFlags(m, e, prev)
	b := append(w.buf[:0], flags)
	b = binary.AppendUvarint(b, m.Seq-prev.seq)
	if m.hasUID {
		b = append(b, m.uid[:]...)
	} else {
		b = appendStr(b, e.ID)
	}
	if flags&msgSameSender == 0 {
		b = appendStr(b, m.SenderID)
	}
	b = binary.AppendVarint(b, m.SentAt-prev.sentAt)
	b = binary.AppendVarint(b, m.VisibleAt-m.SentAt)
	b = binary.AppendVarint(b, m.ExpiresAt-m.SentAt)
	b = binary.AppendUvarint(b, uint64(m.ReceiveCount))
	if flags&msgReceived != 0 {
		b = binary.AppendVarint(b, e.FirstReceiveAt-m.SentAt)
		b = binary.AppendVarint(b, e.LastReceiveAt-m.SentAt)
		b = binary.LittleEndian.AppendUint64(b, e.ReceiptNonce)
	}
	b = appendStr(b, m.Body)
	if flags&msgAttrs != 0 {
		b = appendAttrs(b, e.Attributes)
	}
	if flags&msgSysAttrs != 0 {
		b = appendAttrs(b, e.SystemAttributes)
	}
	for _, s := range []struct {
		bit byte
		v   string
	}{{msgGroup, e.MessageGroupID}, {msgDedup, e.DeduplicationID}, {msgDeadLetter, e.DeadLetterSourceArn}} {
		if flags&s.bit != 0 {
			b = appendStr(b, s.v)
		}
	}
	w.raw(b)
	w.buf = b[:0]
	*prev = snapPrev{seq: m.Seq, sentAt: m.SentAt, sender: m.SenderID}
}

// dedupEntry writes one remembered key; its expiry is relative to the
// snapshot's time.
func (w *snapWriter) dedupEntry(e *dedupEntry, now int64) {
	b := appendStr(w.buf[:0], e.Key)
	b = appendStr(b, e.MessageID)
	b = binary.AppendUvarint(b, e.Seq)
	b = binary.AppendVarint(b, e.ExpiresAt-now)
	w.raw(b)
	w.buf = b[:0]
}

// snapReader reads a snapshot stream; the first error sticks and later
// reads return zero values.
type snapReader struct {
	r       *bufio.Reader
	err     error
	scratch []byte
}

func (r *snapReader) fail(err error) {
	if r.err == nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
	}
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.fail(err)
	}
	return v
}

func (r *snapReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(r.r)
	if err != nil {
		r.fail(err)
	}
	return v
}

func (r *snapReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	c, err := r.r.ReadByte()
	if err != nil {
		r.fail(err)
	}
	return c
}

// fill reads exactly len(p) bytes.
func (r *snapReader) fill(p []byte) {
	if r.err != nil {
		return
	}
	if _, err := io.ReadFull(r.r, p); err != nil {
		r.fail(err)
	}
}

func (r *snapReader) u64() uint64 {
	var b [8]byte
	r.fill(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// length reads a length of at most max.
func (r *snapReader) length(max uint64) int {
	n := r.uvarint()
	if n > max {
		r.fail(fmt.Errorf("length %d over the limit %d", n, max))
		return 0
	}
	return int(n)
}

// str reads a string: from the read buffer when it fits (one copy), else
// through a scratch buffer.
func (r *snapReader) str() string {
	n := r.length(maxSnapString)
	if n == 0 || r.err != nil {
		return ""
	}
	if n <= r.r.Size() {
		p, err := r.r.Peek(n)
		if err != nil {
			r.fail(err)
			return ""
		}
		s := string(p)
		_, _ = r.r.Discard(n)
		return s
	}
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	r.fill(r.scratch[:n])
	return string(r.scratch[:n])
}

// bytes reads a byte string; empty is nil.
func (r *snapReader) bytes() []byte {
	n := r.length(maxSnapString)
	if n == 0 || r.err != nil {
		return nil
	}
	p := make([]byte, n)
	r.fill(p)
	return p
}

// frame reads a length-prefixed msgpack value into v.
func (r *snapReader) frame(v any) {
	n := r.length(maxSnapFrame)
	if r.err != nil {
		return
	}
	// Grow with the data actually there, not with what the length claims.
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r.r, int64(n)); err != nil {
		r.fail(err)
		return
	}
	if err := codec.NewDecoderBytes(buf.Bytes(), snapshotHandle).Decode(v); err != nil {
		r.fail(err)
	}
}

func (r *snapReader) attrs() map[string]MessageAttribute {
	n := r.length(maxSnapAttrs)
	if n == 0 || r.err != nil {
		return nil
	}
	m := make(map[string]MessageAttribute, min(n, 16))
	for i := 0; i < n && r.err == nil; i++ {
		name := r.str()
		m[name] = MessageAttribute{DataType: r.str(), StringValue: r.str(), BinaryValue: r.bytes()}
	}
	if len(m) != n && r.err == nil {
		r.fail(errors.New("repeated attribute name"))
	}
	return m
}

// isZero reports whether e holds nothing.
func (e *messageExt) isZero() bool {
	return e.ID == "" && e.FirstReceiveAt == 0 && e.LastReceiveAt == 0 && e.ReceiptNonce == 0 &&
		len(e.Attributes) == 0 && len(e.SystemAttributes) == 0 && e.MessageGroupID == "" &&
		e.DeduplicationID == "" && e.DeadLetterSourceArn == ""
}

// message reads one message of q written after prev, and makes it the
// previous one.
func (r *snapReader) message(q *queue, prev *snapPrev) *message {
	flags := r.byte1()
	delta := r.uvarint()
	if delta == 0 && r.err == nil {
		r.fail(errors.New("message sequence not increasing"))
	}
	m := &message{Seq: prev.seq + delta}
	var e messageExt
	if flags&msgUID != 0 {
		r.fill(m.uid[:])
		m.hasUID = true
	} else {
		e.ID = r.str()
	}
	if flags&msgSameSender != 0 {
		m.SenderID = prev.sender
	} else {
		m.SenderID = q.internSender(r.str())
	}
	m.SentAt = prev.sentAt + r.varint()
	m.VisibleAt = m.SentAt + r.varint()
	m.ExpiresAt = m.SentAt + r.varint()
	rc := r.uvarint()
	if rc > math.MaxInt32 {
		r.fail(fmt.Errorf("receive count %d", rc))
	}
	m.ReceiveCount = int32(rc)
	if flags&msgReceived != 0 {
		e.FirstReceiveAt = m.SentAt + r.varint()
		e.LastReceiveAt = m.SentAt + r.varint()
		e.ReceiptNonce = r.u64()
	}
	m.Body = r.str()
	if flags&msgAttrs != 0 {
		e.Attributes = r.attrs()
	}
	if flags&msgSysAttrs != 0 {
		e.SystemAttributes = r.attrs()
	}
	if flags&msgGroup != 0 {
		e.MessageGroupID = r.str()
	}
	if flags&msgDedup != 0 {
		e.DeduplicationID = r.str()
	}
	if flags&msgDeadLetter != 0 {
		e.DeadLetterSourceArn = r.str()
	}
	if !e.isZero() {
		m.ext = new(messageExt)
		*m.ext = e
	}
	*prev = snapPrev{seq: m.Seq, sentAt: m.SentAt, sender: m.SenderID}
	return m
}

func (r *snapReader) dedupEntry(now int64) *dedupEntry {
	e := &dedupEntry{Key: r.str(), MessageID: r.str(), Seq: r.uvarint()}
	e.ExpiresAt = now + r.varint()
	return e
}

func (r *snapReader) dedupEntries(n int, now int64) []*dedupEntry {
	var out []*dedupEntry
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.dedupEntry(now))
	}
	return out
}

// readBinarySnapshot reads a snapshot of format 4.
func readBinarySnapshot(br *bufio.Reader) (*restoredState, error) {
	r := &snapReader{r: br}
	magic := make([]byte, len(snapshotMagic))
	r.fill(magic)
	if v := r.uvarint(); r.err == nil && v != snapshotFormat {
		return nil, fmt.Errorf("fsm: unknown snapshot format %d", v)
	}
	st := &restoredState{}
	h := &st.header
	if r.frame(h); r.err != nil {
		return nil, errSnapshot("header", r.err)
	}
	st.queues = make(map[QueueKey]*queue, min(max(h.Queues, 0), 1024))
	for i := 0; i < h.Queues; i++ {
		var head queueHead
		if r.frame(&head); r.err != nil {
			return nil, errSnapshot("queue", r.err)
		}
		q := newRestoredQueue(head.Meta, r.dedupEntries(head.Dedup, h.Now), head.Attempts)
		var prev snapPrev
		for j := 0; j < head.Messages && r.err == nil; j++ {
			q.insert(r.message(q, &prev), h.Now)
		}
		if r.err != nil {
			return nil, errSnapshot(fmt.Sprintf("queue %s", head.Meta.Key.Name), r.err)
		}
		st.queues[head.Meta.Key] = q
	}
	r.frame(&st.sns)
	st.sns.TopicDedup = make([][]*dedupEntry, len(st.sns.Topics))
	for i := range st.sns.Topics {
		st.sns.TopicDedup[i] = r.dedupEntries(r.length(math.MaxInt32), h.Now)
	}
	if r.err != nil {
		return nil, errSnapshot("SNS state", r.err)
	}
	if r.frame(&st.tasks); r.err != nil {
		return nil, errSnapshot("move tasks", r.err)
	}
	return st, nil
}
