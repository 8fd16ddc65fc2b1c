package fsm

// message is one stored message, kept small because a queue may hold
// millions: the fields every message has inline, the ID as 16 bytes when it
// is a canonical UUID (the leader stamps those), and everything most
// messages lack behind one pointer.
//
// Messages are immutable once in a tree: a change replaces the message with
// a modified copy, so trees cloned for a snapshot keep seeing the old
// value. The body, the attribute maps and the ext are shared between
// copies; an ext is never changed once attached (see editExt).
type message struct {
	Seq    uint64
	SentAt int64
	// VisibleAt is when the message can next be received (delay or
	// in-flight deadline); ExpiresAt ends its retention.
	VisibleAt int64
	ExpiresAt int64
	Body      string
	SenderID  string
	// uid is the ID when hasUID; otherwise the ID is ext.ID.
	uid          [16]byte
	ReceiveCount int32
	hasUID       bool
	// outOfOrder: the message expires before an earlier one of its
	// queue, so the queue's expiry tree holds it (see fileExpiry).
	outOfOrder bool
	ext        *messageExt
}

// messageExt holds what most queued messages do not have: attributes, FIFO
// fields, dead-letter origin, receive state, an ID that is not a UUID.
type messageExt struct {
	ID             string
	FirstReceiveAt int64
	LastReceiveAt  int64
	// ReceiptNonce belongs to the latest receive; only its handle deletes.
	ReceiptNonce        uint64
	Attributes          map[string]MessageAttribute
	SystemAttributes    map[string]MessageAttribute
	MessageGroupID      string
	DeduplicationID     string
	DeadLetterSourceArn string
}

// noExt stands for a nil ext in reads; it is never written.
var noExt messageExt

// x returns the message's ext for reading.
func (m *message) x() *messageExt {
	if m.ext == nil {
		return &noExt
	}
	return m.ext
}

// Readers of the fields kept in the ext.
func (m *message) groupID() string                    { return m.x().MessageGroupID }
func (m *message) deadLetterSource() string           { return m.x().DeadLetterSourceArn }
func (m *message) lastReceiveAt() int64               { return m.x().LastReceiveAt }
func (m *message) receiptNonce() uint64               { return m.x().ReceiptNonce }
func (m *message) attrs() map[string]MessageAttribute { return m.x().Attributes }

// id returns the message ID as the client sees it.
func (m *message) id() string {
	if m.hasUID {
		return formatUUID(m.uid)
	}
	return m.x().ID
}

// editExt gives m, a private copy not yet stored in any tree, an ext of
// its own to change, and returns it. Call trimExt when done.
func (m *message) editExt() *messageExt {
	e := new(messageExt)
	if m.ext != nil {
		*e = *m.ext
	}
	m.ext = e
	return e
}

// trimExt drops an ext that holds nothing, so a message that lost its
// rare fields (moved on by a task, say) is small again.
func (m *message) trimExt() {
	if m.ext != nil && m.ext.isZero() {
		m.ext = nil
	}
}

// setID stores id: as 16 bytes when it is a canonical (lower-case) UUID,
// which formats back to the same string, else as given in the ext. m must
// be a private copy, and its ext (if any) its own.
func (m *message) setID(id string) {
	if u, ok := parseUUID(id); ok {
		m.uid, m.hasUID = u, true
		if m.ext != nil {
			m.ext.ID = ""
		}
		return
	}
	m.uid, m.hasUID = [16]byte{}, false
	if id != "" {
		if m.ext == nil {
			m.ext = new(messageExt)
		}
		m.ext.ID = id
	} else if m.ext != nil {
		m.ext.ID = ""
	}
}

// newMessage builds a message that was never received.
func newMessage(id, body, sender string, attrs, sysAttrs map[string]MessageAttribute, group, dedupID string) *message {
	m := &message{Body: body, SenderID: sender}
	if len(attrs) > 0 || len(sysAttrs) > 0 || group != "" || dedupID != "" {
		m.ext = &messageExt{Attributes: attrs, SystemAttributes: sysAttrs, MessageGroupID: group, DeduplicationID: dedupID}
	}
	m.setID(id)
	return m
}

// resetReceives clears what earlier receives recorded, for a message that
// starts over in another queue; deadLetterSource is where it came from.
func (m *message) resetReceives(deadLetterSource string) {
	m.ReceiveCount = 0
	e := m.editExt()
	e.FirstReceiveAt, e.LastReceiveAt, e.ReceiptNonce = 0, 0, 0
	e.DeadLetterSourceArn = deadLetterSource
	m.trimExt()
}

// received returns the copy of m taken by a receive at now, invisible
// until visibleAt, under the given receipt nonce.
func (m *message) received(now, visibleAt int64, nonce uint64) *message {
	u := *m
	u.ReceiveCount++
	u.VisibleAt = visibleAt
	e := u.editExt()
	if e.FirstReceiveAt == 0 {
		e.FirstReceiveAt = now
	}
	e.LastReceiveAt = now
	e.ReceiptNonce = nonce
	return &u
}

// withVisibleAt returns a copy of m visible from t.
func (m *message) withVisibleAt(t int64) *message {
	u := *m
	u.VisibleAt = t
	return &u
}

func (m *message) inFlightAt(now int64) bool { return m.ReceiveCount > 0 && m.VisibleAt > now }

// size is the message's size as SQS counts it against MaximumMessageSize.
func (m *message) size() int {
	n := len(m.Body)
	for name, a := range m.attrs() {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// view is the message as a receive or a peek hands it out (no receipt
// handle or sequence number: the caller adds those it gives).
func (m *message) view() ReceivedMessage {
	e := m.x()
	return ReceivedMessage{
		MessageID:             m.id(),
		Body:                  m.Body,
		Attributes:            e.Attributes,
		SystemAttributes:      e.SystemAttributes,
		SenderID:              m.SenderID,
		SentTimestamp:         m.SentAt,
		FirstReceiveTimestamp: e.FirstReceiveAt,
		ReceiveCount:          int(m.ReceiveCount),
		MessageGroupID:        e.MessageGroupID,
		DeduplicationID:       e.DeduplicationID,
		DeadLetterSourceArn:   e.DeadLetterSourceArn,
	}
}

const hexDigits = "0123456789abcdef"

// uuidHexAt is where each of a UUID's 16 bytes sits in its 36-character
// form (two hex digits each, dashes between the groups).
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// parseUUID reads a canonical lower-case UUID (8-4-4-4-12 hex digits):
// exactly the strings formatUUID gives back unchanged.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	for i, at := range uuidHexAt {
		hi, lo := unhex(s[at]), unhex(s[at+1])
		if hi > 15 || lo > 15 {
			return u, false
		}
		u[i] = hi<<4 | lo
	}
	return u, true
}

// unhex returns a lower-case hex digit's value, or 255.
func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}

// formatUUID renders 16 bytes as a lower-case 8-4-4-4-12 UUID.
func formatUUID(u [16]byte) string {
	b := [36]byte{8: '-', 13: '-', 18: '-', 23: '-'}
	for i, at := range uuidHexAt {
		b[at], b[at+1] = hexDigits[u[i]>>4], hexDigits[u[i]&15]
	}
	return string(b[:])
}
