package node

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// newMessageID returns a fresh SQS message ID: a random (version 4) UUID.
func newMessageID() string { return RandomUUID() }

// RandomUUID returns a version 4 UUID drawn from math/rand/v2, whose
// generator is ChaCha8 seeded by the OS: unpredictable enough for IDs,
// and without the system call per ID of crypto/rand.
func RandomUUID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

// newNonce returns a receipt nonce. math/rand/v2's global source is
// ChaCha8 seeded from the OS, so nonces are not guessable.
func newNonce() uint64 { return rand.Uint64() }

// nowMillis is the leader's clock, stamped into commands.
func nowMillis() int64 { return time.Now().UnixMilli() }
