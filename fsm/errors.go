package fsm

import "fmt"

// Error is an SQS error with its AWS code, as the JSON protocol names it
// (the shape name, e.g. "QueueDoesNotExist"). transport maps each code to
// the query protocol's code and the HTTP status.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf makes an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The SQS error codes the state machine returns (JSON shape names).
const (
	CodeQueueDoesNotExist        = "QueueDoesNotExist"
	CodeQueueNameExists          = "QueueNameExists"
	CodeQueueDeletedRecently     = "QueueDeletedRecently"
	CodePurgeQueueInProgress     = "PurgeQueueInProgress"
	CodeInvalidAttributeName     = "InvalidAttributeName"
	CodeInvalidAttributeValue    = "InvalidAttributeValue"
	CodeInvalidParameterValue    = "InvalidParameterValueException"
	CodeMissingParameter         = "MissingRequiredParameterException"
	CodeReceiptHandleIsInvalid   = "ReceiptHandleIsInvalid"
	CodeMessageNotInflight       = "MessageNotInflight"
	CodeOverLimit                = "OverLimit"
	CodeInvalidMessageContents   = "InvalidMessageContents"
	CodeUnsupportedOperation     = "UnsupportedOperation"
	CodeTooManyEntriesInBatch    = "TooManyEntriesInBatchRequest"
	CodeEmptyBatchRequest        = "EmptyBatchRequest"
	CodeBatchEntryIdsNotDistinct = "BatchEntryIdsNotDistinct"
	CodeBatchRequestTooLong      = "BatchRequestTooLong"
	CodeInvalidBatchEntryID      = "InvalidBatchEntryId"
	CodeInvalidAddress           = "InvalidAddress"
	CodeRequestThrottled         = "RequestThrottled"
)

// queueNotFound is the error for a missing queue.
func queueNotFound() *Error {
	return Errorf(CodeQueueDoesNotExist, "The specified queue does not exist.")
}
