package transport

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/wharfmq/wharf/fsm"
)

// maxSNSMessageBytes is SNS's message size limit (body and attributes).
const maxSNSMessageBytes = 256 * 1024

// maxSNSAttributes is the number of message attributes SNS accepts.
const maxSNSAttributes = 10

var batchEntryIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// publishTopic resolves the TopicArn (or TargetArn) of a publish.
func publishTopic(p url.Values) (fsm.TopicKey, error) {
	if p.Get("TopicArn") == "" && p.Get("TargetArn") != "" {
		return snsTopicKey(p, "TargetArn")
	}
	if p.Get("TopicArn") == "" && p.Get("PhoneNumber") != "" {
		return fsm.TopicKey{}, snsInvalid("PhoneNumber Reason: SMS is not supported by this server")
	}
	return snsTopicKey(p, "TopicArn")
}

// publishEntry reads and validates one message of Publish or of a
// PublishBatch entry (p holds the entry's own parameters).
func publishEntry(p url.Values) (fsm.PublishEntry, error) {
	e := fsm.PublishEntry{
		Message: p.Get("Message"), Subject: p.Get("Subject"),
		MessageGroupID: p.Get("MessageGroupId"), DeduplicationID: p.Get("MessageDeduplicationId"),
	}
	if e.Message == "" {
		return e, snsInvalid("Empty message")
	}
	if _, set := p["Subject"]; set && !validSubject(e.Subject) {
		return e, snsInvalid("Subject")
	}
	switch p.Get("MessageStructure") {
	case "":
	case "json":
		var byProto map[string]json.RawMessage
		if err := json.Unmarshal([]byte(e.Message), &byProto); err != nil {
			return e, snsInvalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := byProto["default"]; !ok {
			return e, snsInvalid("Message Structure - No default entry in JSON message body")
		}
		msgs := make(map[string]string, len(byProto))
		for k, raw := range byProto {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return e, snsInvalid("Message Structure - JSON message body failed to parse")
			}
			msgs[k] = v
		}
		e.Message = msgs["default"]
		for _, proto := range []string{"sqs", "http", "https"} {
			if v, ok := msgs[proto]; ok {
				if e.ProtocolMessages == nil {
					e.ProtocolMessages = map[string]string{}
				}
				e.ProtocolMessages[proto] = v
			}
		}
	default:
		return e, snsInvalid("MessageStructure")
	}
	attrs, err := snsMessageAttributes(p)
	if err != nil {
		return e, err
	}
	e.Attributes = attrs
	size := len(p.Get("Message"))
	for k, a := range attrs {
		size += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	if size > maxSNSMessageBytes {
		return e, snsInvalid("Message too long")
	}
	return e, nil
}

// validSubject is AWS's rule: under 100 characters of printable ASCII,
// not empty, no line breaks.
func validSubject(s string) bool {
	if s == "" || len(s) >= 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// snsMessageAttributes reads MessageAttributes.entry.N.{Name,Value.*}.
func snsMessageAttributes(p url.Values) (map[string]fsm.MessageAttribute, error) {
	entries := snsMembers(p, "MessageAttributes.entry")
	if len(entries) == 0 {
		return nil, nil
	}
	if len(entries) > maxSNSAttributes {
		return nil, snsInvalid("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(entries), maxSNSAttributes)
	}
	out := make(map[string]fsm.MessageAttribute, len(entries))
	for _, m := range entries {
		name := m.Get("Name")
		if name == "" {
			return nil, snsInvalid("MessageAttributes Reason: message attribute name can not be empty")
		}
		a := fsm.MessageAttribute{DataType: m.Get("Value.DataType")}
		invalid := func(format string, args ...any) error {
			return errf(fsm.CodeSNSInvalidParameterValue, format, args...)
		}
		kind, _, _ := strings.Cut(a.DataType, ".")
		switch {
		case a.DataType == "":
			return nil, invalid("The message attribute '%s' must contain non-empty message attribute type.", name)
		case a.DataType == "String.Array":
			a.StringValue = m.Get("Value.StringValue")
			var arr []any
			if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
				return nil, invalid("The message attribute '%s' with type 'String.Array' must use field 'String'.", name)
			}
		case kind == "String" || kind == "Number":
			a.StringValue = m.Get("Value.StringValue")
			if a.StringValue == "" {
				return nil, invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, kind)
			}
			if kind == "Number" {
				if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
					return nil, invalid("Could not cast message attribute '%s' value to number.", name)
				}
			}
		case kind == "Binary":
			b, err := base64.StdEncoding.DecodeString(m.Get("Value.BinaryValue"))
			if err != nil || len(b) == 0 {
				return nil, invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
			a.BinaryValue = b
		default:
			return nil, invalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		out[name] = a
	}
	return out, nil
}

func (s *Server) snsPublish(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := publishTopic(p)
	if err != nil {
		return nil, err
	}
	e, err := publishEntry(p)
	if err != nil {
		return nil, err
	}
	res, err := s.cfg.Backend.Publish(ctx, fsm.Publish{Topic: key, Entries: []fsm.PublishEntry{e}})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, errf(codeInternal, "The backend answered %d results for 1 message.", len(res))
	}
	if res[0].Err != nil {
		return nil, res[0].Err
	}
	return snsPublishResult{MessageId: res[0].MessageID, SequenceNumber: res[0].SequenceNumber}, nil
}

func (s *Server) snsPublishBatch(ctx context.Context, c *call, p url.Values) (any, error) {
	key, err := snsTopicKey(p, "TopicArn")
	if err != nil {
		return nil, err
	}
	members := snsMembers(p, "PublishBatchRequestEntries.member")
	switch {
	case len(members) == 0:
		return nil, errf("EmptyBatchRequest", "The batch request doesn't contain any entries.")
	case len(members) > 10:
		return nil, errf("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	out := snsPublishBatchResult{}
	var entries []fsm.PublishEntry
	seen := map[string]bool{}
	total := 0
	for _, m := range members {
		id := m.Get("Id")
		if !batchEntryIDPattern.MatchString(id) {
			return nil, errf("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[id] {
			return nil, errf("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		total += len(m.Get("Message"))
		e, err := publishEntry(m)
		if err != nil {
			ae := toAPIError(err)
			out.Failed.Member = append(out.Failed.Member, snsBatchFailure{Id: id, Code: snsInfo(ae.Code).query, Message: ae.Message, SenderFault: true})
			continue
		}
		e.ID = id
		entries = append(entries, e)
	}
	if total > maxSNSMessageBytes {
		return nil, errf("BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	if len(entries) > 0 {
		res, err := s.cfg.Backend.Publish(ctx, fsm.Publish{Topic: key, Entries: entries})
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if r.Err != nil {
				out.Failed.Member = append(out.Failed.Member, snsBatchFailure{Id: r.ID, Code: r.Err.Code, Message: r.Err.Message, SenderFault: true})
				continue
			}
			out.Successful.Member = append(out.Successful.Member, snsBatchSuccess{Id: r.ID, MessageId: r.MessageID, SequenceNumber: r.SequenceNumber})
		}
	}
	return out, nil
}
