package fsm

import (
	"encoding/base64"
	"encoding/binary"
)

// A receipt handle names one receive of one message: the queue's
// incarnation, the message's sequence number, the receive count and the
// leader's nonce for that receive. Only the latest receive's handle
// deletes; an older one is accepted and does nothing, as in SQS.
type receipt struct {
	QueueID      uint64
	Seq          uint64
	ReceiveCount uint32
	Nonce        uint64
}

const receiptVersion = 1

const receiptLen = 1 + 8 + 8 + 4 + 8

func (r receipt) encode() string {
	var b [receiptLen]byte
	b[0] = receiptVersion
	binary.BigEndian.PutUint64(b[1:], r.QueueID)
	binary.BigEndian.PutUint64(b[9:], r.Seq)
	binary.BigEndian.PutUint32(b[17:], r.ReceiveCount)
	binary.BigEndian.PutUint64(b[21:], r.Nonce)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeReceipt(s string) (receipt, bool) {
	if base64.RawURLEncoding.DecodedLen(len(s)) != receiptLen {
		return receipt{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != receiptLen || b[0] != receiptVersion {
		return receipt{}, false
	}
	return receipt{
		QueueID:      binary.BigEndian.Uint64(b[1:]),
		Seq:          binary.BigEndian.Uint64(b[9:]),
		ReceiveCount: binary.BigEndian.Uint32(b[17:]),
		Nonce:        binary.BigEndian.Uint64(b[21:]),
	}, true
}

// messageNonce derives the nonce of one message within a receive, so the
// messages of one receive get different handles.
func messageNonce(receiveNonce uint64, i int) uint64 {
	return receiveNonce ^ (uint64(i+1) * 0x9E3779B97F4A7C15)
}
