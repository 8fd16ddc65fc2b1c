package filterpolicy

import "strconv"

// Scope is a subscription's FilterPolicyScope: what its filter policy is
// matched against.
type Scope int

const (
	// MessageAttributes matches the policy against the message attributes
	// (FilterPolicyScope=MessageAttributes, the default).
	MessageAttributes Scope = iota
	// MessageBody matches the policy against the message body, which must
	// be a JSON object (FilterPolicyScope=MessageBody).
	MessageBody
)

// String returns the scope's name as the SNS API spells it.
func (s Scope) String() string {
	switch s {
	case MessageAttributes:
		return "MessageAttributes"
	case MessageBody:
		return "MessageBody"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// ParseScope reads a FilterPolicyScope attribute value. The error's text is
// what AWS gives after "Invalid parameter: FilterPolicyScope: ".
func ParseScope(s string) (Scope, error) {
	switch s {
	case "MessageAttributes":
		return MessageAttributes, nil
	case "MessageBody":
		return MessageBody, nil
	}
	return MessageAttributes, &Error{msg: "Invalid value [" + s + "]. Please use either MessageBody or MessageAttributes", field: "FilterPolicyScope"}
}
