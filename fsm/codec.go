package fsm

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// Command type bytes. Append only: never renumber or reuse a value. A type
// with ignoreUnknown set may be skipped by a node that does not know it;
// any other unknown type stops the node rather than let replicas diverge.
const (
	typeCreateQueue        byte = 1
	typeDeleteQueue        byte = 2
	typeSetQueueAttributes byte = 3
	typeTagQueue           byte = 4
	typeUntagQueue         byte = 5
	typePurgeQueue         byte = 6
	typeSendMessages       byte = 7
	typeReceiveMessages    byte = 8
	typeDeleteMessages     byte = 9
	typeChangeVisibility   byte = 10
	typeSweep              byte = 11
	typeBatch              byte = 12

	typeCreateTopic               byte = 13
	typeDeleteTopic               byte = 14
	typeSetTopicAttributes        byte = 15
	typeTagTopic                  byte = 16
	typeUntagTopic                byte = 17
	typeSubscribe                 byte = 18
	typeConfirmSubscription       byte = 19
	typeUnsubscribe               byte = 20
	typeSetSubscriptionAttributes byte = 21
	typePublish                   byte = 22
	typeRecordDelivery            byte = 23
	typeSetSigningIdentity        byte = 24

	typeAddPermission    byte = 25
	typeRemovePermission byte = 26
	typeStartMoveTask    byte = 27
	typeMoveMessages     byte = 28
	typeCancelMoveTask   byte = 29

	ignoreUnknown byte = 0x80
)

// msgpackHandle encodes commands and snapshots. Canonical sorts map keys,
// so the same state always encodes to the same bytes.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.Canonical = true
	h.RawToString = true
	h.WriteExt = true
	return h
}()

// envelope is the encoded form of every command: the leader's clock and
// the command itself.
type envelope[T any] struct {
	Now int64
	Cmd T
}

// Encode turns a command into a raft log entry: one type byte, then the
// msgpack encoding of the leader's time (epoch milliseconds) and the command.
func Encode(now int64, cmd any) ([]byte, error) {
	var t byte
	switch cmd.(type) {
	case CreateQueue:
		t = typeCreateQueue
	case DeleteQueue:
		t = typeDeleteQueue
	case SetQueueAttributes:
		t = typeSetQueueAttributes
	case TagQueue:
		t = typeTagQueue
	case UntagQueue:
		t = typeUntagQueue
	case PurgeQueue:
		t = typePurgeQueue
	case SendMessages:
		t = typeSendMessages
	case ReceiveMessages:
		t = typeReceiveMessages
	case DeleteMessages:
		t = typeDeleteMessages
	case ChangeVisibility:
		t = typeChangeVisibility
	case Sweep:
		t = typeSweep
	case Batch:
		t = typeBatch
	case CreateTopic:
		t = typeCreateTopic
	case DeleteTopic:
		t = typeDeleteTopic
	case SetTopicAttributes:
		t = typeSetTopicAttributes
	case TagTopic:
		t = typeTagTopic
	case UntagTopic:
		t = typeUntagTopic
	case Subscribe:
		t = typeSubscribe
	case ConfirmSubscription:
		t = typeConfirmSubscription
	case Unsubscribe:
		t = typeUnsubscribe
	case SetSubscriptionAttributes:
		t = typeSetSubscriptionAttributes
	case Publish:
		t = typePublish
	case RecordDelivery:
		t = typeRecordDelivery
	case SetSigningIdentity:
		t = typeSetSigningIdentity
	case AddPermission:
		t = typeAddPermission
	case RemovePermission:
		t = typeRemovePermission
	case StartMoveTask:
		t = typeStartMoveTask
	case MoveMessages:
		t = typeMoveMessages
	case CancelMoveTask:
		t = typeCancelMoveTask
	default:
		return nil, fmt.Errorf("fsm: cannot encode command of type %T", cmd)
	}
	var buf bytes.Buffer
	buf.Grow(256)
	buf.WriteByte(t)
	if err := codec.NewEncoder(&buf, msgpackHandle).Encode(envelope[any]{Now: now, Cmd: cmd}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeAs[T any](data []byte) (int64, any, error) {
	var e envelope[T]
	if err := codec.NewDecoderBytes(data, msgpackHandle).Decode(&e); err != nil {
		return 0, nil, err
	}
	return e.Now, e.Cmd, nil
}

// errUnknownIgnorable marks a command type this version does not know but
// may skip.
var errUnknownIgnorable = fmt.Errorf("fsm: unknown ignorable command")

// Decode is the inverse of Encode.
func Decode(data []byte) (now int64, cmd any, err error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("fsm: empty command")
	}
	body := data[1:]
	switch data[0] {
	case typeCreateQueue:
		return decodeAs[CreateQueue](body)
	case typeDeleteQueue:
		return decodeAs[DeleteQueue](body)
	case typeSetQueueAttributes:
		return decodeAs[SetQueueAttributes](body)
	case typeTagQueue:
		return decodeAs[TagQueue](body)
	case typeUntagQueue:
		return decodeAs[UntagQueue](body)
	case typePurgeQueue:
		return decodeAs[PurgeQueue](body)
	case typeSendMessages:
		return decodeAs[SendMessages](body)
	case typeReceiveMessages:
		return decodeAs[ReceiveMessages](body)
	case typeDeleteMessages:
		return decodeAs[DeleteMessages](body)
	case typeChangeVisibility:
		return decodeAs[ChangeVisibility](body)
	case typeSweep:
		return decodeAs[Sweep](body)
	case typeBatch:
		return decodeAs[Batch](body)
	case typeCreateTopic:
		return decodeAs[CreateTopic](body)
	case typeDeleteTopic:
		return decodeAs[DeleteTopic](body)
	case typeSetTopicAttributes:
		return decodeAs[SetTopicAttributes](body)
	case typeTagTopic:
		return decodeAs[TagTopic](body)
	case typeUntagTopic:
		return decodeAs[UntagTopic](body)
	case typeSubscribe:
		return decodeAs[Subscribe](body)
	case typeConfirmSubscription:
		return decodeAs[ConfirmSubscription](body)
	case typeUnsubscribe:
		return decodeAs[Unsubscribe](body)
	case typeSetSubscriptionAttributes:
		return decodeAs[SetSubscriptionAttributes](body)
	case typePublish:
		return decodeAs[Publish](body)
	case typeRecordDelivery:
		return decodeAs[RecordDelivery](body)
	case typeSetSigningIdentity:
		return decodeAs[SetSigningIdentity](body)
	case typeAddPermission:
		return decodeAs[AddPermission](body)
	case typeRemovePermission:
		return decodeAs[RemovePermission](body)
	case typeStartMoveTask:
		return decodeAs[StartMoveTask](body)
	case typeMoveMessages:
		return decodeAs[MoveMessages](body)
	case typeCancelMoveTask:
		return decodeAs[CancelMoveTask](body)
	}
	if data[0]&ignoreUnknown != 0 {
		return 0, nil, errUnknownIgnorable
	}
	return 0, nil, fmt.Errorf("fsm: unknown command type %d", data[0])
}
