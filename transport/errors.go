package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wharfmq/wharf/fsm"
	"github.com/wharfmq/wharf/node"
)

// apiError is an error answered to the client. Code is the JSON protocol's
// shape name (as in fsm.Error); codeInfo maps it to the query code, the
// HTTP status and the JSON __type.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errf makes an apiError with a formatted message.
func errf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Codes used by transport besides the fsm ones.
const (
	codeUnknownOperation = "UnknownOperationException"
	codeMissingAction    = "MissingAction"
	codeSerialization    = "SerializationException"
	codeMalformedQuery   = "MalformedQueryString"
	codeServiceUnavail   = "ServiceUnavailable"
	codeInternal         = "InternalError"
	codeBadGateway       = "BadGateway"
	// codeNotLeader is ServiceUnavailable on the wire, answered when this
	// node is not the leader: nothing was applied (see headerNotApplied).
	codeNotLeader = "NotLeader"

	codeInvalidParam = fsm.CodeInvalidParameterValue
	codeMissingParam = fsm.CodeMissingParameter
)

// codeInfo is how one error code appears on the wire.
type codeInfo struct {
	query  string // query protocol Code and x-amzn-query-error value
	status int
	// jsonType is the full JSON __type; "" means com.amazonaws.sqs#<Code>.
	jsonType string
}

const sqsPrefix = "AWS.SimpleQueueService."

// codes maps JSON shape names to their query code and HTTP status, as the
// service model's awsQueryError traits give them (reference §1.4; the
// model, not the reference table, has InvalidAddress and
// ReceiptHandleIsInvalid at 404 and RequestThrottled at 403). Codes missing
// here (InvalidAttributeName, InvalidMessageContents...) keep their name
// and answer 400.
var codes = map[string]codeInfo{
	fsm.CodeQueueDoesNotExist:        {query: sqsPrefix + "NonExistentQueue", status: 400},
	fsm.CodeQueueNameExists:          {query: "QueueAlreadyExists", status: 400},
	fsm.CodeQueueDeletedRecently:     {query: sqsPrefix + "QueueDeletedRecently", status: 400},
	fsm.CodePurgeQueueInProgress:     {query: sqsPrefix + "PurgeQueueInProgress", status: 403},
	fsm.CodeMessageNotInflight:       {query: sqsPrefix + "MessageNotInflight", status: 400},
	fsm.CodeBatchEntryIdsNotDistinct: {query: sqsPrefix + "BatchEntryIdsNotDistinct", status: 400},
	fsm.CodeBatchRequestTooLong:      {query: sqsPrefix + "BatchRequestTooLong", status: 400},
	fsm.CodeEmptyBatchRequest:        {query: sqsPrefix + "EmptyBatchRequest", status: 400},
	fsm.CodeInvalidBatchEntryID:      {query: sqsPrefix + "InvalidBatchEntryId", status: 400},
	fsm.CodeTooManyEntriesInBatch:    {query: sqsPrefix + "TooManyEntriesInBatchRequest", status: 400},
	fsm.CodeUnsupportedOperation:     {query: sqsPrefix + "UnsupportedOperation", status: 400},
	fsm.CodeInvalidParameterValue:    {query: "InvalidParameterValue", status: 400},
	fsm.CodeMissingParameter:         {query: "MissingParameter", status: 400},
	"AccessDeniedException":          {query: "AccessDenied", status: 403},
	fsm.CodeOverLimit:                {query: "OverLimit", status: 403},
	"ResourceNotFoundException":      {query: "ResourceNotFoundException", status: 404},
	fsm.CodeInvalidAddress:           {query: "InvalidAddress", status: 404},
	fsm.CodeReceiptHandleIsInvalid:   {query: "ReceiptHandleIsInvalid", status: 404},
	fsm.CodeRequestThrottled:         {query: "RequestThrottled", status: 403},
	"InvalidSecurity":                {query: "InvalidSecurity", status: 403},
	"KmsAccessDenied":                {query: "KMS.AccessDeniedException", status: 400},
	"KmsDisabled":                    {query: "KMS.DisabledException", status: 400},
	"KmsInvalidKeyUsage":             {query: "KMS.InvalidKeyUsageException", status: 400},
	"KmsInvalidState":                {query: "KMS.InvalidStateException", status: 400},
	"KmsNotFound":                    {query: "KMS.NotFoundException", status: 400},
	"KmsOptInRequired":               {query: "KMS.OptInRequired", status: 403},
	"KmsThrottled":                   {query: "KMS.ThrottlingException", status: 400},
	codeUnknownOperation:             {query: "InvalidAction", status: 400, jsonType: "com.amazon.coral.service#UnknownOperationException"},
	codeSerialization:                {query: "MalformedInput", status: 400, jsonType: "com.amazon.coral.service#SerializationException"},
	codeMissingAction:                {query: "MissingAction", status: 400},
	codeMalformedQuery:               {query: "MalformedQueryString", status: 400},
	codeServiceUnavail:               {query: "ServiceUnavailable", status: 503},
	codeInternal:                     {query: "InternalError", status: 500, jsonType: "com.amazon.coral.service#InternalFailure"},
	codeBadGateway:                   {query: "ServiceUnavailable", status: 502, jsonType: "com.amazonaws.sqs#ServiceUnavailable"},
	codeNotLeader:                    {query: "ServiceUnavailable", status: 503, jsonType: "com.amazonaws.sqs#ServiceUnavailable"},
}

// info returns the wire form of an error code.
func info(code string) codeInfo {
	ci, ok := codes[code]
	if !ok {
		ci = codeInfo{query: code, status: 400}
	}
	if ci.jsonType == "" {
		ci.jsonType = "com.amazonaws.sqs#" + code
	}
	return ci
}

// queryCode returns the query protocol's name of a JSON code; batch
// results carry these in Failed[].Code.
func queryCode(code string) string { return info(code).query }

// toAPIError turns any error from decoding, validation or the backend into
// the error to answer. Retry errors become 5xx, never 4xx.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *fsm.Error
	if errors.As(err, &fe) {
		return &apiError{Code: fe.Code, Message: fe.Message}
	}
	switch {
	case errors.Is(err, node.ErrIndeterminate):
		return errf(codeInternal, "%s", err.Error())
	case errors.Is(err, node.ErrNotLeader), errors.Is(err, node.ErrNoLeader):
		return errf(codeNotLeader, "The service is unavailable, retry the request: %s", err.Error())
	case errors.Is(err, node.ErrShuttingDown),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errf(codeServiceUnavail, "The service is unavailable, retry the request: %s", err.Error())
	}
	return errf(codeInternal, "We encountered an internal error. Please try again.")
}

// isServerError reports whether an error is the service's fault (a 5xx).
func (e *apiError) isServerError() bool { return info(e.Code).status >= http.StatusInternalServerError }

// missing is the error for an absent required parameter.
func missing(name string) *apiError {
	return errf(codeMissingParam, "The request must contain the parameter %s.", name)
}

// invalidValue is AWS's error for a parameter value out of its range.
func invalidValue(name string, value any, reason string) *apiError {
	return errf(codeInvalidParam, "Value %v for parameter %s is invalid. Reason: %s", value, name, reason)
}
