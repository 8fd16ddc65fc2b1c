package transport

import (
	"context"

	"github.com/wharfmq/wharf/fsm"
)

// visibilityReason is AWS's wording for a VisibilityTimeout out of range.
const visibilityReason = "VisibilityTimeout must be an integer between 0 and 43200."

// deleteMessage answers DeleteMessage.
func (s *Server) deleteMessage(ctx context.Context, c *call, in *deleteMessageInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, missing("ReceiptHandle")
	}
	res, err := s.cfg.Backend.DeleteMessages(ctx, fsm.DeleteMessages{Queue: key, Entries: []fsm.HandleEntry{{ReceiptHandle: in.ReceiptHandle}}})
	return nil, singleResult(res, err)
}

// changeMessageVisibility answers ChangeMessageVisibility.
func (s *Server) changeMessageVisibility(ctx context.Context, c *call, in *changeVisibilityInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, missing("ReceiptHandle")
	}
	if !in.VisibilityTimeout.set {
		return nil, missing("VisibilityTimeout")
	}
	vis, err := intParam(in.VisibilityTimeout, "VisibilityTimeout", 0, maxVisibility, 0, visibilityReason)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Backend.ChangeVisibility(ctx, fsm.ChangeVisibility{Queue: key, Entries: []fsm.HandleEntry{{ReceiptHandle: in.ReceiptHandle, VisibilityTimeout: vis}}})
	return nil, singleResult(res, err)
}

// singleResult is the outcome of a one-entry delete or visibility change.
func singleResult(res []fsm.EntryResult, err error) error {
	switch {
	case err != nil:
		return err
	case len(res) != 1:
		return errf(codeInternal, "The backend answered %d results for 1 entry.", len(res))
	case res[0].Err != nil:
		return res[0].Err
	}
	return nil
}

// deleteMessageBatch answers DeleteMessageBatch.
func (s *Server) deleteMessageBatch(ctx context.Context, c *call, in *handleBatchInput) (any, error) {
	ids, b, entries, key, err := handleBatch(c, in, false)
	if err != nil {
		return nil, err
	}
	var results []fsm.EntryResult
	if len(entries) > 0 {
		results, err = s.cfg.Backend.DeleteMessages(ctx, fsm.DeleteMessages{Queue: key, Entries: entries})
	} else {
		_, err = s.cfg.Backend.DeleteMessages(ctx, fsm.DeleteMessages{Queue: key}) // checks the queue
	}
	ok, err := b.settle(ids, results, err)
	if err != nil {
		return nil, err
	}
	res := deleteBatchResult{Successful: []idEntry{}, Failed: b.failures()}
	for _, id := range ok {
		res.Successful = append(res.Successful, idEntry{Id: id})
	}
	return res, nil
}

// changeMessageVisibilityBatch answers ChangeMessageVisibilityBatch.
func (s *Server) changeMessageVisibilityBatch(ctx context.Context, c *call, in *handleBatchInput) (any, error) {
	ids, b, entries, key, err := handleBatch(c, in, true)
	if err != nil {
		return nil, err
	}
	var results []fsm.EntryResult
	if len(entries) > 0 {
		results, err = s.cfg.Backend.ChangeVisibility(ctx, fsm.ChangeVisibility{Queue: key, Entries: entries})
	} else {
		_, err = s.cfg.Backend.ChangeVisibility(ctx, fsm.ChangeVisibility{Queue: key}) // checks the queue
	}
	ok, err := b.settle(ids, results, err)
	if err != nil {
		return nil, err
	}
	res := changeBatchResult{Successful: []idEntry{}, Failed: b.failures()}
	for _, id := range ok {
		res.Successful = append(res.Successful, idEntry{Id: id})
	}
	return res, nil
}

// handleBatch validates a delete or visibility batch: whole-request rules
// fail the call, an invalid entry fails alone. It returns the entries to
// hand to the backend.
func handleBatch(c *call, in *handleBatchInput, withVisibility bool) ([]string, *batch, []fsm.HandleEntry, fsm.QueueKey, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, nil, nil, key, err
	}
	ids := make([]string, len(in.Entries))
	for i := range in.Entries {
		ids[i] = in.Entries[i].Id
	}
	if err := checkBatch(ids); err != nil {
		return nil, nil, nil, key, err
	}
	b := newBatch(len(ids))
	var entries []fsm.HandleEntry
	for i, e := range in.Entries {
		if e.ReceiptHandle == "" {
			b.fail(i, e.Id, missing("ReceiptHandle"))
			continue
		}
		vis := 0
		if withVisibility {
			if !e.VisibilityTimeout.set {
				b.fail(i, e.Id, missing("VisibilityTimeout"))
				continue
			}
			v, err := intParam(e.VisibilityTimeout, "VisibilityTimeout", 0, maxVisibility, 0, visibilityReason)
			if err != nil {
				b.fail(i, e.Id, err)
				continue
			}
			vis = v
		}
		b.pending = append(b.pending, i)
		entries = append(entries, fsm.HandleEntry{ID: e.Id, ReceiptHandle: e.ReceiptHandle, VisibilityTimeout: vis})
	}
	return ids, b, entries, key, nil
}

// settle records the backend's per-entry results of the pending entries
// and returns the IDs that succeeded, in request order.
func (b *batch) settle(ids []string, results []fsm.EntryResult, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	if len(results) != len(b.pending) {
		return nil, errf(codeInternal, "The backend answered %d results for %d entries.", len(results), len(b.pending))
	}
	var ok []string
	for j, i := range b.pending {
		if results[j].Err != nil {
			b.fail(i, ids[i], results[j].Err)
			continue
		}
		ok = append(ok, ids[i])
	}
	return ok, nil
}
