// Package fsm is Wharf's replicated state machine: queues, messages and the
// commands that change them, with snapshot and restore.
//
// It is pure and deterministic. Apply never reads the clock, draws random
// numbers or decides anything by Go map iteration order: the leader stamps
// the time, message IDs and receipt nonces into each command before it is
// proposed, and every node that applies the same log holds byte-identical
// state (snapshots are compared in tests).
//
// Every command is declared once, in the table of commands.go: its type
// byte (append only), Go type, decoder and apply function. The hot
// commands have a compact binary form (codec.go, wire.go); the others, and
// entries written by earlier builds, are msgpack.
//
// Wire protocols, MD5 checksums and request syntax belong to transport; this
// package checks what depends on state (does the queue exist, does a
// receipt handle match) and the values of queue attributes.
package fsm
