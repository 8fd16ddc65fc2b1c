package fsm

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Names of queue attributes.
const (
	AttrDelaySeconds                  = "DelaySeconds"
	AttrMaximumMessageSize            = "MaximumMessageSize"
	AttrMessageRetentionPeriod        = "MessageRetentionPeriod"
	AttrReceiveMessageWaitTimeSeconds = "ReceiveMessageWaitTimeSeconds"
	AttrVisibilityTimeout             = "VisibilityTimeout"
	AttrPolicy                        = "Policy"
	AttrRedrivePolicy                 = "RedrivePolicy"
	AttrRedriveAllowPolicy            = "RedriveAllowPolicy"
	AttrKmsMasterKeyID                = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds  = "KmsDataKeyReusePeriodSeconds"
	AttrSqsManagedSseEnabled          = "SqsManagedSseEnabled"
	AttrFifoQueue                     = "FifoQueue"
	AttrContentBasedDeduplication     = "ContentBasedDeduplication"
	AttrDeduplicationScope            = "DeduplicationScope"
	AttrFifoThroughputLimit           = "FifoThroughputLimit"

	AttrApproximateNumberOfMessages           = "ApproximateNumberOfMessages"
	AttrApproximateNumberOfMessagesNotVisible = "ApproximateNumberOfMessagesNotVisible"
	AttrApproximateNumberOfMessagesDelayed    = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp                      = "CreatedTimestamp"
	AttrLastModifiedTimestamp                 = "LastModifiedTimestamp"
	AttrQueueArn                              = "QueueArn"
)

// ReadOnlyAttributes are the attributes GetQueueAttributes computes.
var ReadOnlyAttributes = []string{
	AttrApproximateNumberOfMessages,
	AttrApproximateNumberOfMessagesNotVisible,
	AttrApproximateNumberOfMessagesDelayed,
	AttrCreatedTimestamp,
	AttrLastModifiedTimestamp,
	AttrQueueArn,
}

// intRange is the allowed range of an integer attribute.
type intRange struct{ min, max int }

var intAttributes = map[string]intRange{
	AttrDelaySeconds:                  {0, 900},
	AttrMaximumMessageSize:            {1024, 1048576},
	AttrMessageRetentionPeriod:        {60, 1209600},
	AttrReceiveMessageWaitTimeSeconds: {0, 20},
	AttrVisibilityTimeout:             {0, 43200},
	AttrKmsDataKeyReusePeriodSeconds:  {60, 86400},
}

// defaultAttributes are the values a new standard queue starts with.
var defaultAttributes = map[string]string{
	AttrDelaySeconds:                  "0",
	AttrMaximumMessageSize:            "1048576",
	AttrMessageRetentionPeriod:        "345600",
	AttrReceiveMessageWaitTimeSeconds: "0",
	AttrVisibilityTimeout:             "30",
}

// IsQueueAttributeName reports whether name is a queue attribute
// GetQueueAttributes knows (settable or read-only).
func IsQueueAttributeName(name string) bool {
	if _, ok := intAttributes[name]; ok {
		return true
	}
	switch name {
	case AttrPolicy, AttrRedrivePolicy, AttrRedriveAllowPolicy, AttrKmsMasterKeyID,
		AttrSqsManagedSseEnabled, AttrFifoQueue, AttrContentBasedDeduplication,
		AttrDeduplicationScope, AttrFifoThroughputLimit:
		return true
	}
	for _, n := range ReadOnlyAttributes {
		if n == name {
			return true
		}
	}
	return false
}

// redrivePolicy is the parsed RedrivePolicy attribute.
type redrivePolicy struct {
	DeadLetterTargetArn string
	MaxReceiveCount     int
}

// normalizeAttributes checks the values of attributes to be set on a queue
// and returns them in canonical form (integers without leading zeros,
// RedrivePolicy re-encoded). An empty RedrivePolicy or Policy value removes
// the attribute. lookup finds a queue by ARN, to check dead-letter targets.
func normalizeAttributes(self QueueKey, attrs map[string]string, creating bool, lookup func(arn string) *queue) (map[string]string, *Error) {
	out := make(map[string]string, len(attrs))
	for name, value := range attrs {
		if r, ok := intAttributes[name]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < r.min || n > r.max {
				return nil, Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
			}
			out[name] = strconv.Itoa(n)
			continue
		}
		switch name {
		case AttrPolicy, AttrKmsMasterKeyID:
			if name == AttrPolicy && value != "" && !json.Valid([]byte(value)) {
				return nil, Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter Policy.")
			}
			out[name] = value
		case AttrSqsManagedSseEnabled:
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
			}
			out[name] = strconv.FormatBool(b)
		case AttrRedrivePolicy:
			if value == "" {
				out[name] = ""
				continue
			}
			rp, err := parseRedrivePolicy(value)
			if err != nil {
				return nil, err
			}
			dlq := lookup(rp.DeadLetterTargetArn)
			if dlq == nil || dlq.Key == self {
				return nil, Errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", value)
			}
			if isFifoName(dlq.Key.Name) != isFifoName(self.Name) {
				return nil, Errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", value)
			}
			if !dlq.allowsRedriveFrom(self.ARN()) {
				return nil, Errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Queue %s does not allow this queue to redrive messages to it.", value, rp.DeadLetterTargetArn)
			}
			b, _ := json.Marshal(struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
				MaxReceiveCount     int    `json:"maxReceiveCount"`
			}{rp.DeadLetterTargetArn, rp.MaxReceiveCount})
			out[name] = string(b)
		case AttrRedriveAllowPolicy:
			if value == "" {
				out[name] = ""
				continue
			}
			norm, err := normalizeRedriveAllowPolicy(value)
			if err != nil {
				return nil, err
			}
			out[name] = norm
		case AttrFifoQueue:
			if !creating {
				return nil, Errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
			}
			b, err := strconv.ParseBool(value)
			if err != nil || b != isFifoName(self.Name) {
				if b || err != nil {
					return nil, Errorf(CodeInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
				}
				return nil, Errorf(CodeInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
			}
			out[name] = strconv.FormatBool(b)
		case AttrContentBasedDeduplication, AttrDeduplicationScope, AttrFifoThroughputLimit:
			if !isFifoName(self.Name) {
				return nil, Errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
			}
			valid := map[string][]string{
				AttrDeduplicationScope:  {"messageGroup", "queue"},
				AttrFifoThroughputLimit: {"perQueue", "perMessageGroupId"},
			}[name]
			if name == AttrContentBasedDeduplication {
				b, err := strconv.ParseBool(value)
				if err != nil {
					return nil, Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
				}
				value = strconv.FormatBool(b)
			} else if !slices.Contains(valid, value) {
				return nil, Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter %s.", name)
			}
			out[name] = value
		default:
			return nil, Errorf(CodeInvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	return out, nil
}

// isFifoName reports whether a queue name is a FIFO queue's.
func isFifoName(name string) bool { return strings.HasSuffix(name, ".fifo") }

// fifoDefaults are the attributes a new FIFO queue starts with besides
// defaultAttributes.
var fifoDefaults = map[string]string{
	AttrFifoQueue:                 "true",
	AttrContentBasedDeduplication: "false",
	AttrDeduplicationScope:        "queue",
	AttrFifoThroughputLimit:       "perQueue",
}

// checkFifoAttributes checks the constraint between a FIFO queue's
// attributes once merged.
func checkFifoAttributes(attrs map[string]string) *Error {
	if attrs[AttrFifoThroughputLimit] == "perMessageGroupId" && attrs[AttrDeduplicationScope] != "messageGroup" {
		return Errorf(CodeInvalidAttributeValue, "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.")
	}
	return nil
}

// parseRedrivePolicy parses and checks a RedrivePolicy value. AWS accepts
// maxReceiveCount as a number or a string of digits.
func parseRedrivePolicy(value string) (redrivePolicy, *Error) {
	invalid := func(reason string) *Error {
		return Errorf(CodeInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", value, reason)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return redrivePolicy{}, invalid("Redrive policy is not a valid JSON map.")
	}
	var rp redrivePolicy
	if err := json.Unmarshal(raw["deadLetterTargetArn"], &rp.DeadLetterTargetArn); err != nil || rp.DeadLetterTargetArn == "" {
		return rp, invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	mrc, ok := raw["maxReceiveCount"]
	if !ok {
		return rp, invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	var n json.Number
	s := strings.Trim(string(mrc), `"`)
	n = json.Number(s)
	v, err := n.Int64()
	if err != nil || v < 1 || v > 1000 {
		return rp, invalid("Invalid value for maxReceiveCount: " + s + ", valid values are from 1 to 1000 both inclusive.")
	}
	for k := range raw {
		if k != "deadLetterTargetArn" && k != "maxReceiveCount" {
			return rp, invalid("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
		}
	}
	rp.MaxReceiveCount = int(v)
	return rp, nil
}

// redriveAllowPolicy is the parsed RedriveAllowPolicy attribute.
type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

func normalizeRedriveAllowPolicy(value string) (string, *Error) {
	invalid := func(reason string) *Error {
		return Errorf(CodeInvalidParameterValue, "Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", value, reason)
	}
	var p redriveAllowPolicy
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return "", invalid("Invalid JSON.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return "", invalid("sourceQueueArns may be given only when redrivePermission is byQueue.")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return "", invalid("byQueue requires 1 to 10 sourceQueueArns.")
		}
	default:
		return "", invalid("redrivePermission must be one of allowAll, denyAll, byQueue.")
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}

// parseQueueARN splits arn:aws:sqs:region:account:name.
func parseQueueARN(arn string) (QueueKey, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return QueueKey{}, false
	}
	return QueueKey{Region: parts[3], Account: parts[4], Name: parts[5]}, true
}
