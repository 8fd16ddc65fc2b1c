package transport

import (
	"encoding/json"
	"net/http"

	"github.com/wharfmq/wharf/fsm"
)

// codeMethodNotAllowed is a REST route called with a method it does not
// serve; on the wire it is UnknownOperationException with status 405.
const codeMethodNotAllowed = "MethodNotAllowed"

// restError is the one error shape of the native API.
type restError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// restErrorBody wraps a restError: {"error": {...}}.
type restErrorBody struct {
	Error restError `json:"error"`
}

// restWire returns how an error appears in the native API: its code, its
// HTTP status and whether retrying may succeed. Codes are the SQS JSON
// shape names; transport's internal retry codes all read
// ServiceUnavailable (InternalError for an unknown outcome).
func restWire(ae *apiError) (restError, int) {
	code, status := ae.Code, info(ae.Code).status
	if st, ok := snsStatus[ae.Code]; ok {
		status = st // the topic routes answer SNS's codes
	}
	switch ae.Code {
	case codeNotLeader, codeBadGateway:
		code = codeServiceUnavail
	case fsm.CodeQueueDoesNotExist, fsm.CodeSNSNotFound, "ResourceNotFound":
		status = http.StatusNotFound
	case fsm.CodeQueueNameExists, fsm.CodeQueueDeletedRecently, fsm.CodePurgeQueueInProgress:
		status = http.StatusConflict
	case fsm.CodeRequestThrottled:
		status = http.StatusTooManyRequests
	case codeUnknownOperation:
		status = http.StatusNotFound
	case codeMethodNotAllowed:
		code, status = codeUnknownOperation, http.StatusMethodNotAllowed
	default:
		// SQS answers a bad receipt handle (and an address it cannot
		// parse) with 404; here a 404 means only "no such queue or route".
		if status == http.StatusNotFound {
			status = http.StatusBadRequest
		}
	}
	retryable := status >= http.StatusInternalServerError || status == http.StatusTooManyRequests
	return restError{Code: code, Message: ae.Message, Retryable: retryable}, status
}

// writeRESTError writes e in the REST shape. writeError calls it for
// protoREST, after setting the request ID and X-Wharf-Not-Applied.
func writeRESTError(w http.ResponseWriter, e *apiError) {
	re, status := restWire(e)
	body, _ := json.Marshal(restErrorBody{Error: re})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// restEntryError is the error of one entry of a batch, in the same shape.
func restEntryError(err error) *restError {
	re, _ := restWire(toAPIError(err))
	return &re
}

// restRouteError is the error for a request no /v1 route serves.
func restRouteError(method, path string, status int) *apiError {
	switch {
	case status == http.StatusMethodNotAllowed:
		return errf(codeMethodNotAllowed, "The method %s is not allowed on %s.", method, path)
	case status >= http.StatusInternalServerError:
		return errf(codeInternal, "We encountered an internal error. Please try again.")
	}
	return errf(codeUnknownOperation, "No route %s %s.", method, path)
}
