package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// A raft log entry is one command: a type byte, then the command. The
// table below is the one place that declares, for each type byte, the Go
// type it decodes to, how it is written and read, and how it is applied.
//
// Two encodings exist. The first commands were msgpack (the type byte,
// then a map of field names: the leader's time and the command); the hot
// commands (send, receive, delete, change visibility, publish and the
// batch that frames them) now have a compact binary form under new type
// bytes: the type byte, the leader's time as 8 fixed bytes, then the
// fields (wire.go). Entries already in logs keep their old type bytes and
// still decode; new entries of a type with a compact form use it.
//
// Type bytes are append only: never renumber or reuse one. A type with
// ignoreUnknown set may be skipped by a node that does not know it; any
// other unknown type stops the node rather than let replicas diverge.
const (
	typeCreateQueue        byte = 1
	typeDeleteQueue        byte = 2
	typeSetQueueAttributes byte = 3
	typeTagQueue           byte = 4
	typeUntagQueue         byte = 5
	typePurgeQueue         byte = 6
	typeSendMessages       byte = 7 // msgpack; read only since 30
	typeReceiveMessages    byte = 8 // msgpack; read only since 31
	typeDeleteMessages     byte = 9 // msgpack; read only since 32
	typeChangeVisibility   byte = 10
	typeSweep              byte = 11
	typeBatch              byte = 12 // msgpack; read only since 35

	typeCreateTopic               byte = 13
	typeDeleteTopic               byte = 14
	typeSetTopicAttributes        byte = 15
	typeTagTopic                  byte = 16
	typeUntagTopic                byte = 17
	typeSubscribe                 byte = 18
	typeConfirmSubscription       byte = 19
	typeUnsubscribe               byte = 20
	typeSetSubscriptionAttributes byte = 21
	typePublish                   byte = 22 // msgpack; read only since 34
	typeRecordDelivery            byte = 23
	typeSetSigningIdentity        byte = 24

	typeAddPermission    byte = 25
	typeRemovePermission byte = 26
	typeStartMoveTask    byte = 27
	typeMoveMessages     byte = 28
	typeCancelMoveTask   byte = 29

	typeSendMessagesCompact     byte = 30
	typeReceiveMessagesCompact  byte = 31
	typeDeleteMessagesCompact   byte = 32
	typeChangeVisibilityCompact byte = 33
	typePublishCompact          byte = 34
	typeBatchCompact            byte = 35

	ignoreUnknown byte = 0x80
)

// applyArgs is what every apply function may use besides its command.
type applyArgs struct {
	// id is unique to the command (its raft index and place in a batch)
	// and names what it creates.
	id   uint64
	now  int64
	wake *[]QueueKey
}

// commandSpec declares one command type.
type commandSpec struct {
	goType reflect.Type
	// encode writes the command's fields in the compact form; nil for a
	// msgpack command.
	encode func(w *wireWriter, cmd any)
	// decode reads the bytes after the type byte.
	decode func(body []byte) (now int64, cmd any, err error)
	// apply changes the state; nil for Batch, which applyEncoded unpacks.
	apply func(f *FSM, a applyArgs, cmd any) any
}

// commandTable maps every type byte this version knows to its spec.
var commandTable = map[byte]*commandSpec{
	typeCreateQueue: msgpackCommand(func(f *FSM, a applyArgs, c CreateQueue) any { return f.createQueue(a.id, a.now, c) }),
	typeDeleteQueue: msgpackCommand(func(f *FSM, a applyArgs, c DeleteQueue) any { return f.deleteQueue(a.now, c, a.wake) }),
	typeSetQueueAttributes: msgpackCommand(func(f *FSM, a applyArgs, c SetQueueAttributes) any {
		return f.setQueueAttributes(a.now, c, a.wake)
	}),
	typeTagQueue:   msgpackCommand(func(f *FSM, a applyArgs, c TagQueue) any { return f.tagQueue(a.now, c) }),
	typeUntagQueue: msgpackCommand(func(f *FSM, a applyArgs, c UntagQueue) any { return f.untagQueue(a.now, c) }),
	typePurgeQueue: msgpackCommand(func(f *FSM, a applyArgs, c PurgeQueue) any { return f.purgeQueue(a.now, c) }),
	typeSweep: msgpackCommand(func(f *FSM, a applyArgs, _ Sweep) any {
		f.sweep(a.now, a.wake)
		return nil
	}),

	typeSendMessages:            msgpackCommand(applySend),
	typeSendMessagesCompact:     compactCommand(writeSend, readSend, applySend),
	typeReceiveMessages:         msgpackCommand(applyReceive),
	typeReceiveMessagesCompact:  compactCommand(writeReceive, readReceive, applyReceive),
	typeDeleteMessages:          msgpackCommand(applyDelete),
	typeDeleteMessagesCompact:   compactCommand(writeDelete, readDelete, applyDelete),
	typeChangeVisibility:        msgpackCommand(applyChangeVisibility),
	typeChangeVisibilityCompact: compactCommand(writeChangeVisibility, readChangeVisibility, applyChangeVisibility),
	typeBatch:                   msgpackCommand[Batch](nil),
	typeBatchCompact:            compactCommand(writeBatch, readBatch, nil),

	typeCreateTopic:        msgpackCommand(func(f *FSM, a applyArgs, c CreateTopic) any { return f.createTopic(a.now, c) }),
	typeDeleteTopic:        msgpackCommand(func(f *FSM, _ applyArgs, c DeleteTopic) any { return f.deleteTopic(c) }),
	typeSetTopicAttributes: msgpackCommand(func(f *FSM, _ applyArgs, c SetTopicAttributes) any { return f.setTopicAttributes(c) }),
	typeTagTopic:           msgpackCommand(func(f *FSM, _ applyArgs, c TagTopic) any { return f.tagTopic(c) }),
	typeUntagTopic:         msgpackCommand(func(f *FSM, _ applyArgs, c UntagTopic) any { return f.untagTopic(c) }),
	typeSubscribe:          msgpackCommand(func(f *FSM, a applyArgs, c Subscribe) any { return f.subscribe(a.now, c) }),
	typeConfirmSubscription: msgpackCommand(func(f *FSM, _ applyArgs, c ConfirmSubscription) any {
		return f.confirmSubscription(c)
	}),
	typeUnsubscribe: msgpackCommand(func(f *FSM, _ applyArgs, c Unsubscribe) any { return f.unsubscribe(c) }),
	typeSetSubscriptionAttributes: msgpackCommand(func(f *FSM, _ applyArgs, c SetSubscriptionAttributes) any {
		return f.setSubscriptionAttributes(c)
	}),
	typePublish:        msgpackCommand(applyPublish),
	typePublishCompact: compactCommand(writePublish, readPublish, applyPublish),
	typeRecordDelivery: msgpackCommand(func(f *FSM, a applyArgs, c RecordDelivery) any {
		return f.recordDelivery(a.now, c, a.wake)
	}),
	typeSetSigningIdentity: msgpackCommand(func(f *FSM, _ applyArgs, c SetSigningIdentity) any { return f.setSigningIdentity(c) }),

	typeAddPermission:    msgpackCommand(func(f *FSM, a applyArgs, c AddPermission) any { return f.addPermission(a.now, c) }),
	typeRemovePermission: msgpackCommand(func(f *FSM, a applyArgs, c RemovePermission) any { return f.removePermission(a.now, c) }),
	typeStartMoveTask:    msgpackCommand(func(f *FSM, a applyArgs, c StartMoveTask) any { return f.startMoveTask(a.now, c) }),
	typeMoveMessages:     msgpackCommand(func(f *FSM, a applyArgs, c MoveMessages) any { return f.moveMessages(a.now, c, a.wake) }),
	typeCancelMoveTask:   msgpackCommand(func(f *FSM, a applyArgs, c CancelMoveTask) any { return f.cancelMoveTask(a.now, c) }),
}

func applySend(f *FSM, a applyArgs, c SendMessages) any { return f.sendMessages(a.now, c, a.wake) }
func applyReceive(f *FSM, a applyArgs, c ReceiveMessages) any {
	return f.receiveMessages(a.now, c, a.wake)
}
func applyDelete(f *FSM, a applyArgs, c DeleteMessages) any {
	return f.deleteMessages(a.now, c, a.wake)
}
func applyChangeVisibility(f *FSM, a applyArgs, c ChangeVisibility) any {
	return f.changeVisibility(a.now, c, a.wake)
}
func applyPublish(f *FSM, a applyArgs, c Publish) any { return f.publish(a.now, c, a.wake) }

// commandByType is commandTable as an array, for the lookup of every apply.
var commandByType = func() (a [256]*commandSpec) {
	for t, spec := range commandTable {
		a[t] = spec
	}
	return a
}()

// encodeAs maps each command's Go type to the type byte new entries of it
// are written with: its compact form when it has one.
var encodeAs = func() map[reflect.Type]byte {
	m := make(map[reflect.Type]byte)
	for t, spec := range commandTable {
		prev, seen := m[spec.goType]
		switch {
		case !seen, spec.encode != nil && commandTable[prev].encode == nil:
			m[spec.goType] = t
		case spec.encode == nil && commandTable[prev].encode != nil:
		default:
			panic(fmt.Sprintf("fsm: types %d and %d both encode %v", prev, t, spec.goType))
		}
	}
	return m
}()

// msgpackCommand declares a command stored as msgpack.
func msgpackCommand[T any](apply func(*FSM, applyArgs, T) any) *commandSpec {
	s := &commandSpec{goType: reflect.TypeFor[T](), decode: decodeMsgpack[T]}
	if apply != nil {
		s.apply = func(f *FSM, a applyArgs, cmd any) any { return apply(f, a, cmd.(T)) }
	}
	return s
}

// compactCommand declares a command stored in the compact binary form.
func compactCommand[T any](write func(*wireWriter, T), read func(*wireReader) T, apply func(*FSM, applyArgs, T) any) *commandSpec {
	s := &commandSpec{
		goType: reflect.TypeFor[T](),
		encode: func(w *wireWriter, cmd any) { write(w, cmd.(T)) },
		decode: func(body []byte) (int64, any, error) {
			if len(body) < 8 {
				return 0, nil, errShortCommand
			}
			r := wireReader{b: body[8:]}
			cmd := read(&r)
			if err := r.end(); err != nil {
				return 0, nil, err
			}
			return int64(binary.LittleEndian.Uint64(body)), cmd, nil
		},
	}
	if apply != nil {
		s.apply = func(f *FSM, a applyArgs, cmd any) any { return apply(f, a, cmd.(T)) }
	}
	return s
}

// msgpackHandle encodes the msgpack commands and snapshots. Canonical
// sorts map keys, so the same state always encodes to the same bytes.
//
// Beware: decoding a map of structs reuses one value for every entry, so
// a field an entry omits keeps the previous entry's value (a string
// attribute after a binary one decodes with the binary one's
// BinaryValue). Old entries must still decode exactly as they did, so
// this stays; the compact form does not have the flaw.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.Canonical = true
	h.RawToString = true
	h.WriteExt = true
	return h
}()

// envelope is the msgpack form of a command: the leader's clock and the
// command itself.
type envelope[T any] struct {
	Now int64
	Cmd T
}

func decodeMsgpack[T any](data []byte) (int64, any, error) {
	var e envelope[T]
	if err := codec.NewDecoderBytes(data, msgpackHandle).Decode(&e); err != nil {
		return 0, nil, err
	}
	return e.Now, e.Cmd, nil
}

// Encode turns a command into a raft log entry stamped with the leader's
// time (epoch milliseconds).
func Encode(now int64, cmd any) ([]byte, error) {
	return AppendEncoded(make([]byte, 0, 128), now, cmd)
}

// AppendEncoded appends what Encode returns to dst (the command RPC
// frames commands with it).
func AppendEncoded(dst []byte, now int64, cmd any) ([]byte, error) {
	t, ok := encodeAs[reflect.TypeOf(cmd)]
	if !ok {
		return nil, fmt.Errorf("fsm: cannot encode command of type %T", cmd)
	}
	spec := commandTable[t]
	if spec.encode == nil {
		buf := bytes.NewBuffer(dst)
		buf.WriteByte(t)
		if err := codec.NewEncoder(buf, msgpackHandle).Encode(envelope[any]{Now: now, Cmd: cmd}); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	w := wireWriter{b: dst}
	w.byte1(t)
	w.u64(uint64(now))
	spec.encode(&w, cmd)
	return w.b, nil
}

// EncodeBatch frames commands already encoded by Encode into one entry,
// without encoding them again.
func EncodeBatch(now int64, cmds [][]byte) []byte {
	size := 1 + 8 + binary.MaxVarintLen64
	for _, c := range cmds {
		size += binary.MaxVarintLen64 + len(c)
	}
	w := wireWriter{b: make([]byte, 0, size)}
	w.byte1(typeBatchCompact)
	w.u64(uint64(now))
	writeBatch(&w, Batch{Commands: cmds})
	return w.b
}

// errUnknownIgnorable marks a command type this version does not know but
// may skip.
var errUnknownIgnorable = fmt.Errorf("fsm: unknown ignorable command")

// Decode is the inverse of Encode (and of EncodeBatch: a Batch whose
// commands share the entry's memory).
func Decode(data []byte) (now int64, cmd any, err error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("fsm: empty command")
	}
	if spec := commandByType[data[0]]; spec != nil {
		return spec.decode(data[1:])
	}
	if data[0]&ignoreUnknown != 0 {
		return 0, nil, errUnknownIgnorable
	}
	return 0, nil, fmt.Errorf("fsm: unknown command type %d", data[0])
}
