package node

import (
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// newMessageID returns a fresh SQS message ID (a random UUID).
func newMessageID() string { return uuid.NewString() }

// newNonce returns a receipt nonce. math/rand/v2's global source is
// ChaCha8 seeded from the OS, so nonces are not guessable.
func newNonce() uint64 { return rand.Uint64() }

// nowMillis is the leader's clock, stamped into commands.
func nowMillis() int64 { return time.Now().UnixMilli() }
