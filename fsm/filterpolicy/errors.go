package filterpolicy

// Error is a filter policy AWS refuses. Error() is the text AWS gives after
// "Invalid parameter: FilterPolicy: "; AWSMessage gives the whole message.
//
// AWS appends a parser location to the messages that come from its JSON
// rule compiler ("\n at [Source: ...; line: 1, column: N]"); this package
// does not reproduce that suffix.
type Error struct {
	msg string
	// field is the parameter AWS names before the message: "FilterPolicy"
	// for almost every error, "" for the one SNS raises without it (nested
	// policy in MessageAttributes scope), "FilterPolicyScope" for ParseScope.
	field    string
	internal bool
}

func (e *Error) Error() string { return e.msg }

// AWSMessage returns the whole message AWS sends with the error:
// "Invalid parameter: FilterPolicy: ..." for SetSubscriptionAttributes and
// "Invalid parameter: Attributes Reason: FilterPolicy: ..." for Subscribe.
func (e *Error) AWSMessage(subscribe bool) string {
	s := "Invalid parameter: "
	if subscribe {
		s += "Attributes Reason: "
	}
	if e.field != "" {
		s += e.field + ": "
	}
	return s + e.msg
}

// Internal reports whether AWS answers this policy with an InternalFailure
// (HTTP 500) rather than an InvalidParameter error: it does for an exact
// number outside -1e9..1e9.
func (e *Error) Internal() bool { return e.internal }

func policyError(msg string) *Error { return &Error{msg: msg, field: "FilterPolicy"} }

// The messages AWS gives, after "Invalid parameter: FilterPolicy: ", for the
// policy-wide constraints SNS checks itself.
const (
	msgParseJSON      = "failed to parse JSON."
	msgTooLong        = "Filter policy is too long"
	msgNotObject      = "Filter is not an object"
	msgTooManyKeys    = "Filter policy can not have more than 5 keys"
	msgTooComplex     = "Filter policy is too complex"
	msgNestedAttrs    = "Filter policy scope MessageAttributes does not support nested filter policy"
	msgEmptyObject    = "Empty objects are not allowed"
	msgEmptyArray     = "Empty arrays are not allowed"
	msgMatchValue     = "Match value must be String, number, true, false, or null"
	msgOneKey         = "Only one key allowed in match expression"
	msgNoExprName     = "Match expression name not found"
	msgTooManyNumeric = "Too many elements in numeric expression"
	msgNumberRange    = "Value must be between -1.0E9 and 1.0E9, inclusive"
	msgInternal       = "Internal Error"
)
