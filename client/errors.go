package client

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error answered by a Wharf node (or, with Status 0, the
// failure to reach one). Code is the SQS error code, e.g.
// "QueueDoesNotExist"; Retryable says whether the same call may succeed
// later. The client has already retried retryable errors when it returns
// one.
type Error struct {
	Code      string
	Message   string
	Retryable bool
	// Status is the HTTP status; 0 when no node answered (connection
	// refused, reset, timed out).
	Status int

	err error // the transport error when Status is 0
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "wharf: " + e.Code + ": " + e.Message
	}
	return fmt.Sprintf("wharf: %s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// Unwrap returns the transport error behind a connection failure.
func (e *Error) Unwrap() error { return e.err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, client.ErrQueueDoesNotExist) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != "" && t.Code == e.Code
}

// Sentinels for errors.Is. Only their Code matters.
var (
	ErrQueueDoesNotExist      = &Error{Code: "QueueDoesNotExist"}
	ErrQueueNameExists        = &Error{Code: "QueueNameExists"}
	ErrQueueDeletedRecently   = &Error{Code: "QueueDeletedRecently"}
	ErrPurgeQueueInProgress   = &Error{Code: "PurgeQueueInProgress"}
	ErrReceiptHandleIsInvalid = &Error{Code: "ReceiptHandleIsInvalid"}
	ErrMessageNotInflight     = &Error{Code: "MessageNotInflight"}
	ErrInvalidParameterValue  = &Error{Code: "InvalidParameterValueException"}
	ErrInvalidAttributeName   = &Error{Code: "InvalidAttributeName"}
	ErrInvalidAttributeValue  = &Error{Code: "InvalidAttributeValue"}
	ErrOverLimit              = &Error{Code: "OverLimit"}
	ErrRequestThrottled       = &Error{Code: "RequestThrottled"}
	// ErrServiceUnavailable matches a 503 from a node and a failure to
	// reach any node.
	ErrServiceUnavailable = &Error{Code: "ServiceUnavailable"}
	ErrInternal           = &Error{Code: "InternalError"}
	// ErrNotFound matches a topic or subscription that does not exist
	// (SNS's code NotFound), and any 404 answer whose code has no
	// sentinel of its own (an unknown cluster member, for one).
	ErrNotFound = &Error{Code: "NotFound"}
	// ErrInvalidParameter is SNS's code for bad input on the topic calls
	// (a bad topic name, endpoint, filter policy, message...).
	ErrInvalidParameter = &Error{Code: "InvalidParameter"}
)

// IsRetryable reports whether err (or an error it wraps) is a retryable
// *Error: the cluster was unavailable and the client's retries ran out.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// IsNotFound reports whether err says that the queue, topic,
// subscription or cluster member does not exist.
func IsNotFound(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case ErrQueueDoesNotExist.Code, ErrNotFound.Code, "ResourceNotFoundException", "ResourceNotFound":
		return true
	}
	return false
}

// wireError is the body of every error answer.
type wireError struct {
	Error *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
	} `json:"error"`
}

// errorFromResponse builds the *Error of a non-2xx answer.
func errorFromResponse(status int, body []byte, decode func([]byte, any) error) *Error {
	var w wireError
	if decode(body, &w) == nil && w.Error != nil && w.Error.Code != "" {
		return &Error{
			Code:      w.Error.Code,
			Message:   w.Error.Message,
			Retryable: w.Error.Retryable || status >= 500 || status == http.StatusTooManyRequests || w.Error.Code == ErrRequestThrottled.Code,
			Status:    status,
		}
	}
	// Not the contract's shape: a proxy, or a route this node lacks.
	e := &Error{Status: status, Retryable: status >= 500 || status == http.StatusTooManyRequests}
	switch {
	case status == http.StatusServiceUnavailable, status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		e.Code = ErrServiceUnavailable.Code
	case status >= 500:
		e.Code = ErrInternal.Code
	case status == http.StatusNotFound:
		e.Code = ErrNotFound.Code
	default:
		e.Code = fmt.Sprintf("HTTP%d", status)
	}
	msg := string(body)
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	e.Message = msg
	return e
}

// entryError builds the *Error of one failed batch entry. Its Status is the
// one the error answers alone: 404 for a missing queue or topic, 429 throttled, 503
// for other retryable errors, 400 otherwise.
func entryError(w *wireEntry) *Error {
	e := &Error{Code: w.Code, Message: w.Message, Retryable: w.Retryable, Status: http.StatusBadRequest}
	switch {
	case w.Code == ErrQueueDoesNotExist.Code, w.Code == ErrNotFound.Code:
		e.Status = http.StatusNotFound
	case w.Code == ErrRequestThrottled.Code:
		e.Status, e.Retryable = http.StatusTooManyRequests, true
	case w.Retryable:
		e.Status = http.StatusServiceUnavailable
	}
	return e
}

// handleError is the error of one receipt handle that Delete could not
// delete.
type handleError struct {
	handle string
	err    *Error
}

func (h *handleError) Error() string {
	return fmt.Sprintf("wharf: deleting %s: %s: %s", short(h.handle), h.err.Code, h.err.Message)
}

func (h *handleError) Unwrap() error { return h.err }
