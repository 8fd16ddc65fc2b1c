package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// maxFifoIDLen bounds MessageGroupId and MessageDeduplicationId.
const maxFifoIDLen = 128

// validFifoID checks a MessageGroupId or MessageDeduplicationId: up to 128
// characters of alphanumerics and punctuation.
func validFifoID(name, v string) error {
	ok := len(v) <= maxFifoIDLen
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] > ' ' && v[i] <= '~'
	}
	if !ok {
		return errf(codeInvalidParam, "Value %s for parameter %s is invalid. Reason: It can contain up to 128 alphanumeric and punctuation characters.", v, name)
	}
	return nil
}

// sendEntry validates one message to send and converts it.
func sendEntry(in *sendEntryInput) (fsm.SendEntry, error) {
	if err := validBody(in.MessageBody); err != nil {
		return fsm.SendEntry{}, err
	}
	delay, err := intParam(in.DelaySeconds, "DelaySeconds", 0, maxDelaySeconds, -1,
		"DelaySeconds must be >= 0 and <= 900.")
	if err != nil {
		return fsm.SendEntry{}, err
	}
	attrs, _, err := messageAttributes(in.MessageAttributes)
	if err != nil {
		return fsm.SendEntry{}, err
	}
	sys, _, err := systemAttributes(in.MessageSystemAttributes)
	if err != nil {
		return fsm.SendEntry{}, err
	}
	if err := validFifoID("MessageGroupId", in.MessageGroupId); err != nil {
		return fsm.SendEntry{}, err
	}
	if err := validFifoID("MessageDeduplicationId", in.MessageDeduplicationId); err != nil {
		return fsm.SendEntry{}, err
	}
	return fsm.SendEntry{
		ID:               in.Id,
		Body:             *in.MessageBody,
		DelaySeconds:     delay,
		Attributes:       attrs,
		SystemAttributes: sys,
		MessageGroupID:   in.MessageGroupId,
		DeduplicationID:  in.MessageDeduplicationId,
	}, nil
}

// rawEntrySize is what an entry counts toward a batch's 1 MiB: its body
// and its attributes' names, types and values.
func rawEntrySize(in *sendEntryInput) int {
	n := 0
	if in.MessageBody != nil {
		n += len(*in.MessageBody)
	}
	for _, m := range []map[string]attrValue{in.MessageAttributes, in.MessageSystemAttributes} {
		for name, v := range m {
			n += len(name) + len(v.DataType) + len(v.BinaryValue)
			if v.StringValue != nil {
				n += len(*v.StringValue)
			}
		}
	}
	return n
}

// sent describes a stored message: its ID and the checksums of what was
// sent, as SendMessage and SendMessageBatch answer them.
func sent(e *fsm.SendEntry, r *fsm.SendResult) sendResult {
	return sendResult{
		MD5OfMessageBody:             md5Hex(e.Body),
		MD5OfMessageAttributes:       md5OfAttributes(e.Attributes),
		MD5OfMessageSystemAttributes: md5OfAttributes(e.SystemAttributes),
		MessageId:                    r.MessageID,
		SequenceNumber:               r.SequenceNumber,
	}
}

// sendMessage answers SendMessage.
func (s *Server) sendMessage(ctx context.Context, c *call, in *sendMessageInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	in.Id = ""
	entry, err := sendEntry(&in.sendEntryInput)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key, SenderID: c.senderID(), Entries: []fsm.SendEntry{entry}})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, errf(codeInternal, "The backend answered %d results for 1 message.", len(res))
	}
	if res[0].Err != nil {
		return nil, res[0].Err
	}
	return sent(&entry, &res[0]), nil
}

// sendMessageBatch answers SendMessageBatch: whole-request rules fail the
// call; an invalid entry fails alone, in Failed.
func (s *Server) sendMessageBatch(ctx context.Context, c *call, in *sendMessageBatchInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
		total += rawEntrySize(&in.Entries[i])
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	if total > maxBatchBytes {
		return nil, errf(fsm.CodeBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total)
	}
	b := newBatch(len(in.Entries))
	var entries []fsm.SendEntry
	for i := range in.Entries {
		e, err := sendEntry(&in.Entries[i])
		if err != nil {
			b.fail(i, ids[i], err)
			continue
		}
		b.pending = append(b.pending, i)
		entries = append(entries, e)
	}
	res := sendBatchResult{Successful: []sendBatchEntry{}, Failed: []batchError{}}
	if len(entries) > 0 {
		results, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key, SenderID: c.senderID(), Entries: entries})
		if err != nil {
			return nil, err
		}
		if len(results) != len(entries) {
			return nil, errf(codeInternal, "The backend answered %d results for %d messages.", len(results), len(entries))
		}
		for j, i := range b.pending {
			if results[j].Err != nil {
				b.fail(i, ids[i], results[j].Err)
				continue
			}
			res.Successful = append(res.Successful, sendBatchEntry{Id: ids[i], sendResult: sent(&entries[j], &results[j])})
		}
	} else if _, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key}); err != nil {
		return nil, err // every entry failed: still report a missing queue
	}
	res.Failed = b.failures()
	return res, nil
}
