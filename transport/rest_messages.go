package transport

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// maxIdempotencyKeyLen bounds an idempotency key: the state machine keeps
// each one for 5 minutes.
const maxIdempotencyKeyLen = 128

// restAttr is a message attribute in the native API; binary_value is
// base64 in JSON.
type restAttr struct {
	DataType    string  `json:"data_type"`
	StringValue *string `json:"string_value,omitempty"`
	BinaryValue []byte  `json:"binary_value,omitempty"`
}

// restSendInput is one message to send.
type restSendInput struct {
	Body           *string             `json:"body"`
	DelaySeconds   optInt              `json:"delay_seconds"`
	Attributes     map[string]restAttr `json:"attributes"`
	IdempotencyKey string              `json:"idempotency_key"`
}

type restSendOutput struct {
	MessageID string `json:"message_id"`
	MD5OfBody string `json:"md5_of_body"`
}

type restBatchEntryInput struct {
	ID string `json:"id"`
	restSendInput
}

type restSendBatchInput struct {
	Messages []restBatchEntryInput `json:"messages"`
}

// restSendBatchResult is one entry's outcome: MessageID (and the MD5 of
// the body as stored) or Error.
type restSendBatchResult struct {
	ID        string     `json:"id"`
	MessageID string     `json:"message_id,omitempty"`
	MD5OfBody string     `json:"md5_of_body,omitempty"`
	Error     *restError `json:"error,omitempty"`
}

type restSendBatchOutput struct {
	Results []restSendBatchResult `json:"results"`
}

type restReceiveInput struct {
	Max               optInt `json:"max"`
	WaitSeconds       optInt `json:"wait_seconds"`
	VisibilityTimeout optInt `json:"visibility_timeout"`
}

type restMessage struct {
	MessageID     string              `json:"message_id"`
	ReceiptHandle string              `json:"receipt_handle"`
	Body          string              `json:"body"`
	MD5OfBody     string              `json:"md5_of_body"`
	Attributes    map[string]restAttr `json:"attributes"`
	ReceiveCount  int                 `json:"receive_count"`
	// SentTimestamp and FirstReceiveTimestamp are epoch milliseconds.
	SentTimestamp         int64 `json:"sent_timestamp"`
	FirstReceiveTimestamp int64 `json:"first_receive_timestamp"`
}

type restReceiveOutput struct {
	Messages []restMessage `json:"messages"`
}

type restDeleteInput struct {
	ReceiptHandles []string `json:"receipt_handles"`
}

type restDeleteResult struct {
	ReceiptHandle string     `json:"receipt_handle"`
	Error         *restError `json:"error,omitempty"`
}

type restDeleteOutput struct {
	Results []restDeleteResult `json:"results"`
}

type restVisibilityInput struct {
	ReceiptHandle     string `json:"receipt_handle"`
	VisibilityTimeout optInt `json:"visibility_timeout"`
}

// restSendEntry validates one message to send and converts it; the names
// in its errors are the native API's.
func restSendEntry(in *restSendInput, id string) (fsm.SendEntry, error) {
	if in.Body == nil || *in.Body == "" {
		return fsm.SendEntry{}, missing("body")
	}
	if err := validBody(in.Body); err != nil {
		return fsm.SendEntry{}, err
	}
	delay, err := intParam(in.DelaySeconds, "delay_seconds", 0, maxDelaySeconds, -1, rangeReason(0, maxDelaySeconds))
	if err != nil {
		return fsm.SendEntry{}, err
	}
	var attrs map[string]fsm.MessageAttribute
	if len(in.Attributes) > 0 {
		wire := make(map[string]attrValue, len(in.Attributes))
		for n, a := range in.Attributes {
			wire[n] = attrValue{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
		if attrs, _, err = messageAttributes(wire); err != nil {
			return fsm.SendEntry{}, err
		}
	}
	if err := validIdempotencyKey(in.IdempotencyKey); err != nil {
		return fsm.SendEntry{}, err
	}
	return fsm.SendEntry{
		ID:             id,
		Body:           *in.Body,
		DelaySeconds:   delay,
		Attributes:     attrs,
		IdempotencyKey: in.IdempotencyKey,
	}, nil
}

// validIdempotencyKey checks an optional idempotency key: up to 128
// printable ASCII characters, no spaces.
func validIdempotencyKey(k string) error {
	ok := len(k) <= maxIdempotencyKeyLen
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] > ' ' && k[i] <= '~'
	}
	if !ok {
		return invalidValue("idempotency_key", k, "It can contain up to 128 printable ASCII characters, without spaces.")
	}
	return nil
}

// restEntrySize is what a message counts toward a batch's 1 MiB.
func restEntrySize(in *restSendInput) int {
	n := 0
	if in.Body != nil {
		n += len(*in.Body)
	}
	for name, a := range in.Attributes {
		n += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
	}
	return n
}

// restSend serves POST /v1/queues/{name}/messages.
func (s *Server) restSend(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restSendInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	entry, err := restSendEntry(&in, "")
	if err != nil {
		return 0, nil, err
	}
	res, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key, SenderID: r.c.senderID(), Entries: []fsm.SendEntry{entry}})
	if err != nil {
		return 0, nil, err
	}
	if len(res) != 1 {
		return 0, nil, errf(codeInternal, "The backend answered %d results for 1 message.", len(res))
	}
	if res[0].Err != nil {
		return 0, nil, res[0].Err
	}
	return http.StatusCreated, restSendOutput{MessageID: res[0].MessageID, MD5OfBody: md5Hex(entry.Body)}, nil
}

// restSendBatch serves POST /v1/queues/{name}/messages/batch: the rules of
// the whole batch (1-10 distinct valid IDs, 1 MiB) fail the call; an
// invalid message fails alone, in its result.
func (s *Server) restSendBatch(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restSendBatchInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	ids := make([]string, len(in.Messages))
	total := 0
	for i := range in.Messages {
		ids[i] = in.Messages[i].ID
		total += restEntrySize(&in.Messages[i].restSendInput)
	}
	if err := checkBatch(ids); err != nil {
		return 0, nil, err
	}
	if total > maxBatchBytes {
		return 0, nil, errf(fsm.CodeBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total)
	}
	out := restSendBatchOutput{Results: make([]restSendBatchResult, len(ids))}
	var entries []fsm.SendEntry
	var pending []int
	for i := range in.Messages {
		out.Results[i].ID = ids[i]
		e, err := restSendEntry(&in.Messages[i].restSendInput, ids[i])
		if err != nil {
			out.Results[i].Error = restEntryError(err)
			continue
		}
		pending = append(pending, i)
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		// Every entry failed: still report a missing queue.
		if _, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key}); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	}
	results, err := s.cfg.Backend.SendMessages(ctx, fsm.SendMessages{Queue: key, SenderID: r.c.senderID(), Entries: entries})
	if err != nil {
		return 0, nil, err
	}
	if len(results) != len(entries) {
		return 0, nil, errf(codeInternal, "The backend answered %d results for %d messages.", len(results), len(entries))
	}
	for j, i := range pending {
		if results[j].Err != nil {
			out.Results[i].Error = restEntryError(results[j].Err)
			continue
		}
		out.Results[i].MessageID = results[j].MessageID
		out.Results[i].MD5OfBody = md5Hex(entries[j].Body)
	}
	return http.StatusOK, out, nil
}

// restReceive serves POST /v1/queues/{name}/messages/receive, with long
// polling: wait_seconds absent means the queue's
// ReceiveMessageWaitTimeSeconds.
func (s *Server) restReceive(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restReceiveInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	maxN, err := intParam(in.Max, "max", 1, maxReceiveMessages, 1, rangeReason(1, maxReceiveMessages))
	if err != nil {
		return 0, nil, err
	}
	wait, err := intParam(in.WaitSeconds, "wait_seconds", 0, maxWaitSeconds, -1, rangeReason(0, maxWaitSeconds))
	if err != nil {
		return 0, nil, err
	}
	vis, err := intParam(in.VisibilityTimeout, "visibility_timeout", 0, maxVisibility, -1, rangeReason(0, maxVisibility))
	if err != nil {
		return 0, nil, err
	}
	msgs, err := s.cfg.Backend.ReceiveMessages(ctx,
		fsm.ReceiveMessages{Queue: key, Max: maxN, VisibilityTimeout: vis},
		time.Duration(wait)*time.Second)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restMessages(msgs), nil
}

// restPeek answers GET /v1/queues/{name}/messages?max=N: up to N visible
// messages, oldest first, read without receiving them (no receipt handle,
// no change of visibility or receive count).
func (s *Server) restPeek(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	maxN := 10
	if v := r.ec.QueryParam("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, nil, errf(codeInvalidParam, "Value %s for parameter max is invalid. Reason: Must be between 1 and 100, if provided.", v)
		}
		maxN = n
	}
	msgs, err := s.cfg.Backend.PeekMessages(ctx, key, maxN)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, restMessages(msgs), nil
}

// restMessages is the answer of a receive or a peek.
func restMessages(msgs []fsm.ReceivedMessage) restReceiveOutput {
	out := restReceiveOutput{Messages: make([]restMessage, 0, len(msgs))}
	for i := range msgs {
		out.Messages = append(out.Messages, restReceived(&msgs[i]))
	}
	return out
}

// restReceived is one received message with all its attributes.
func restReceived(m *fsm.ReceivedMessage) restMessage {
	out := restMessage{
		MessageID:             m.MessageID,
		ReceiptHandle:         m.ReceiptHandle,
		Body:                  m.Body,
		MD5OfBody:             md5Hex(m.Body),
		Attributes:            make(map[string]restAttr, len(m.Attributes)),
		ReceiveCount:          m.ReceiveCount,
		SentTimestamp:         m.SentTimestamp,
		FirstReceiveTimestamp: m.FirstReceiveTimestamp,
	}
	for n, a := range m.Attributes {
		v := restAttr{DataType: a.DataType}
		if a.IsBinary() {
			v.BinaryValue = a.BinaryValue
		} else {
			sv := a.StringValue
			v.StringValue = &sv
		}
		out.Attributes[n] = v
	}
	return out
}

// restDeleteMessages serves POST /v1/queues/{name}/messages/delete: 1-10
// receipt handles, one result each, in request order.
func (s *Server) restDeleteMessages(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restDeleteInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	switch n := len(in.ReceiptHandles); {
	case n == 0:
		return 0, nil, errf(fsm.CodeEmptyBatchRequest, "There should be at least one receipt handle in the request.")
	case n > maxBatchEntries:
		return 0, nil, errf(fsm.CodeTooManyEntriesInBatch, "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, n)
	}
	out := restDeleteOutput{Results: make([]restDeleteResult, len(in.ReceiptHandles))}
	var entries []fsm.HandleEntry
	var pending []int
	for i, h := range in.ReceiptHandles {
		out.Results[i].ReceiptHandle = h
		if h == "" {
			out.Results[i].Error = restEntryError(missing("receipt_handle"))
			continue
		}
		pending = append(pending, i)
		entries = append(entries, fsm.HandleEntry{ID: strconv.Itoa(i), ReceiptHandle: h})
	}
	if len(entries) == 0 {
		if _, err := s.cfg.Backend.DeleteMessages(ctx, fsm.DeleteMessages{Queue: key}); err != nil { // checks the queue
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	}
	results, err := s.cfg.Backend.DeleteMessages(ctx, fsm.DeleteMessages{Queue: key, Entries: entries})
	if err != nil {
		return 0, nil, err
	}
	if len(results) != len(entries) {
		return 0, nil, errf(codeInternal, "The backend answered %d results for %d entries.", len(results), len(entries))
	}
	for j, i := range pending {
		if results[j].Err != nil {
			out.Results[i].Error = restEntryError(results[j].Err)
		}
	}
	return http.StatusOK, out, nil
}

// restChangeVisibility serves POST /v1/queues/{name}/messages/visibility.
func (s *Server) restChangeVisibility(ctx context.Context, r *restRequest) (int, any, error) {
	key, err := r.queueKey()
	if err != nil {
		return 0, nil, err
	}
	var in restVisibilityInput
	if err := r.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.ReceiptHandle == "" {
		return 0, nil, missing("receipt_handle")
	}
	if !in.VisibilityTimeout.set {
		return 0, nil, missing("visibility_timeout")
	}
	vis, err := intParam(in.VisibilityTimeout, "visibility_timeout", 0, maxVisibility, 0, rangeReason(0, maxVisibility))
	if err != nil {
		return 0, nil, err
	}
	res, err := s.cfg.Backend.ChangeVisibility(ctx, fsm.ChangeVisibility{Queue: key, Entries: []fsm.HandleEntry{{ReceiptHandle: in.ReceiptHandle, VisibilityTimeout: vis}}})
	if err := singleResult(res, err); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
