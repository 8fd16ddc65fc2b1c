package transport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfmq/wharf/fsm"
)

// Limits of the SQS API that transport checks (reference §1.3). The
// backend checks state, attribute values and queue-size limits.
const (
	maxQueueNameLen    = 80
	maxBatchEntries    = 10
	maxBatchIDLen      = 80
	maxBatchBytes      = 1 << 20
	maxMessageAttrs    = 10
	maxAttrNameLen     = 256
	maxAttrTypeLen     = 256
	maxDelaySeconds    = 900
	maxVisibility      = 43200
	maxWaitSeconds     = 20
	maxReceiveMessages = 10
	maxListResults     = 1000
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
)

// intParam checks an optional integer parameter against [lo, hi] and
// returns it, or def when absent.
func intParam(o optInt, name string, lo, hi, def int, reason string) (int, error) {
	if !o.set {
		return def, nil
	}
	if o.bad != "" || o.v < lo || o.v > hi {
		v := any(o.v)
		if o.bad != "" {
			v = o.bad
		}
		return 0, invalidValue(name, v, reason)
	}
	return o.v, nil
}

// isNameChar reports whether b may appear in a queue name or batch entry ID.
func isNameChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// validQueueName checks a name given to CreateQueue: 1-80 characters of
// [A-Za-z0-9_-], with an optional ".fifo" suffix that counts.
func validQueueName(name string) error {
	if name == "" {
		return missing("QueueName")
	}
	base := strings.TrimSuffix(name, ".fifo")
	ok := len(name) <= maxQueueNameLen && base != ""
	for i := 0; ok && i < len(base); i++ {
		ok = isNameChar(base[i])
	}
	if !ok {
		return errf(codeInvalidParam, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	return nil
}

// validBatchID checks a batch entry ID: 1-80 characters of [A-Za-z0-9_-].
func validBatchID(id string) bool {
	if id == "" || len(id) > maxBatchIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isNameChar(id[i]) {
			return false
		}
	}
	return true
}

// checkBatch applies the whole-request rules of a batch call to its IDs.
func checkBatch(ids []string) error {
	if len(ids) == 0 {
		return errf(fsm.CodeEmptyBatchRequest, "There should be at least one SendMessageBatchRequestEntry in the request.")
	}
	if len(ids) > maxBatchEntries {
		return errf(fsm.CodeTooManyEntriesInBatch, "Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return missing("Id")
		}
		if !validBatchID(id) {
			return errf(fsm.CodeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return errf(fsm.CodeBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

// isXMLChar reports whether r is allowed in a message: #x9 #xA #xD
// #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// validXMLText reports whether s is valid UTF-8 made of allowed characters.
func validXMLText(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if !isXMLChar(r) {
			return false
		}
		i += size
	}
	return true
}

// validBody checks a message body.
func validBody(body *string) error {
	if body == nil {
		return missing("MessageBody")
	}
	if *body == "" {
		return errf(codeInvalidParam, "The request must contain the parameter MessageBody.")
	}
	if !validXMLText(*body) {
		return errf(fsm.CodeInvalidMessageContents, "Invalid binary character in the message body. Only the characters #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are allowed.")
	}
	return nil
}

// validAttrName checks a message attribute name.
func validAttrName(name string) error {
	bad := func(reason string) error {
		return errf(codeInvalidParam, "Message (user) attribute name '%s' is invalid. Reason: %s", name, reason)
	}
	if name == "" {
		return errf(codeInvalidParam, "Message (user) attribute name must not be empty.")
	}
	if len(name) > maxAttrNameLen {
		return bad("Message attribute name must be at most 256 characters long.")
	}
	for i := 0; i < len(name); i++ {
		if !isNameChar(name[i]) && name[i] != '.' {
			return bad("Only alphanumeric characters, hyphens, underscores and periods are allowed.")
		}
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return bad("The name must not start or end with a period, nor contain two periods in a row.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("The name must not start with the reserved prefixes AWS. or Amazon.")
	}
	return nil
}

// attrBaseType returns String, Number or Binary for a valid DataType
// (with its optional ".label"), or "".
func attrBaseType(dt string) string {
	base, label, hasLabel := strings.Cut(dt, ".")
	if hasLabel && label == "" || len(dt) > maxAttrTypeLen {
		return ""
	}
	switch base {
	case "String", "Number", "Binary":
		return base
	}
	return ""
}

// validNumber checks an SQS Number: a decimal with up to 38 significant
// digits, between -10^128 and 10^126.
func validNumber(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 || t == "" {
		return false
	}
	digits := 0
	for _, r := range t {
		if r >= '0' && r <= '9' {
			digits++
		} else if r != '.' && r != 'e' && r != 'E' && r != '+' && r != '-' {
			return false
		}
	}
	if digits == 0 {
		return false
	}
	mant, _, _ := strings.Cut(strings.ToLower(t), "e")
	sig := strings.TrimLeft(strings.Replace(mant, ".", "", 1), "0")
	sig = strings.TrimRight(sig, "0")
	if len(sig) > 38 {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return false
	}
	a := math.Abs(f)
	return !math.IsInf(f, 0) && a <= 1e126 && (a == 0 || a >= 1e-128)
}

// messageAttributes validates message attributes and converts them; it
// also returns their size as AWS counts it toward the message size.
func messageAttributes(in map[string]attrValue) (map[string]fsm.MessageAttribute, int, error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	if len(in) > maxMessageAttrs {
		return nil, 0, errf(codeInvalidParam, "Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxMessageAttrs)
	}
	out := make(map[string]fsm.MessageAttribute, len(in))
	size := 0
	for name, v := range in {
		if err := validAttrName(name); err != nil {
			return nil, 0, err
		}
		a, err := attribute(name, v)
		if err != nil {
			return nil, 0, err
		}
		out[name] = a
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return out, size, nil
}

// attribute validates one attribute value against its DataType.
func attribute(name string, v attrValue) (fsm.MessageAttribute, error) {
	if v.DataType == "" {
		return fsm.MessageAttribute{}, errf(codeInvalidParam, "The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	base := attrBaseType(v.DataType)
	if base == "" {
		return fsm.MessageAttribute{}, errf(codeInvalidParam, "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	empty := func() error {
		return errf(codeInvalidParam, "The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
	}
	if base == "Binary" {
		if v.StringValue != nil {
			return fsm.MessageAttribute{}, errf(codeInvalidParam, "The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
		}
		if len(v.BinaryValue) == 0 {
			return fsm.MessageAttribute{}, empty()
		}
		return fsm.MessageAttribute{DataType: v.DataType, BinaryValue: v.BinaryValue}, nil
	}
	if v.BinaryValue != nil {
		return fsm.MessageAttribute{}, errf(codeInvalidParam, "The message attribute '%s' with type '%s' must use field 'String'.", name, base)
	}
	if v.StringValue == nil || *v.StringValue == "" {
		return fsm.MessageAttribute{}, empty()
	}
	s := *v.StringValue
	if !validXMLText(s) {
		return fsm.MessageAttribute{}, errf(fsm.CodeInvalidMessageContents, "The message attribute '%s' contains characters outside the allowed set.", name)
	}
	if base == "Number" && !validNumber(s) {
		return fsm.MessageAttribute{}, errf(codeInvalidParam, "Can't cast the value of message (user) attribute '%s' to a number.", name)
	}
	return fsm.MessageAttribute{DataType: v.DataType, StringValue: s}, nil
}

// systemAttributes validates the message system attributes of a send:
// only AWSTraceHeader, a String.
func systemAttributes(in map[string]attrValue) (map[string]fsm.MessageAttribute, int, error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	out := make(map[string]fsm.MessageAttribute, len(in))
	size := 0
	for name, v := range in {
		if name != "AWSTraceHeader" {
			return nil, 0, errf(codeInvalidParam, "Message system attribute name '%s' is invalid.", name)
		}
		if v.DataType != "String" {
			return nil, 0, errf(codeInvalidParam, "The message system attribute '%s' must have the type 'String'.", name)
		}
		a, err := attribute(name, v)
		if err != nil {
			return nil, 0, err
		}
		out[name] = a
		size += len(name) + len(a.DataType) + len(a.StringValue)
	}
	return out, size, nil
}

// validTags checks tag keys and values.
func validTags(tags map[string]string) error {
	for k, v := range tags {
		if err := validTagKey(k); err != nil {
			return err
		}
		if len(v) > maxTagValueLen || !validXMLText(v) {
			return errf(codeInvalidParam, "Tag value for key '%s' is invalid: at most %d characters.", k, maxTagValueLen)
		}
	}
	return nil
}

// validTagKey checks one tag key: 1-128 characters, no "aws:" prefix.
func validTagKey(k string) error {
	switch {
	case k == "" || len(k) > maxTagKeyLen || !validXMLText(k):
		return errf(codeInvalidParam, "Tag key '%s' is invalid: 1 to %d characters.", k, maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return errf(codeInvalidParam, "Tag key '%s' is invalid: the aws: prefix is reserved.", k)
	}
	return nil
}

// rangeReason is AWS's wording for a value out of [lo, hi].
func rangeReason(lo, hi int) string {
	return fmt.Sprintf("Must be between %d and %d, if provided.", lo, hi)
}
