package transport

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The request structs of the SQS actions. Both protocols decode into them:
// JSON directly (member names of the botocore model), query parameters
// through queryToJSON. Go's encoding/json matches member names without
// regard to case, so CreateQueue's "tags" and TagQueue's "Tags" both work.

// optInt is an optional integer parameter. It accepts a JSON number or a
// string holding one (the query protocol sends strings); a value that is
// not an integer is kept in bad and reported by validation with the
// parameter's name.
type optInt struct {
	set bool
	v   int
	bad string
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *optInt) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*o = optInt{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		*o = optInt{set: true, bad: s}
		return nil
	}
	*o = optInt{set: true, v: n}
	return nil
}

// or returns the value, or def when the parameter is absent.
func (o optInt) or(def int) int {
	if !o.set {
		return def
	}
	return o.v
}

// attrValue is a message attribute value as the wire carries it.
type attrValue struct {
	DataType         string   `json:"DataType,omitempty"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

type createQueueInput struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string `json:"tags"`
}

type getQueueURLInput struct {
	QueueName              string
	QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
}

type listQueuesInput struct {
	QueueNamePrefix string
	NextToken       string
	MaxResults      optInt
}

type queueURLInput struct {
	QueueUrl string //nolint:revive // the model's member name
}

type getQueueAttributesInput struct {
	QueueUrl       string //nolint:revive
	AttributeNames []string
}

type setQueueAttributesInput struct {
	QueueUrl   string //nolint:revive
	Attributes map[string]string
}

type sendEntryInput struct {
	Id                      string //nolint:revive
	MessageBody             *string
	DelaySeconds            optInt
	MessageAttributes       map[string]attrValue
	MessageSystemAttributes map[string]attrValue
	MessageDeduplicationId  string //nolint:revive
	MessageGroupId          string //nolint:revive
}

type sendMessageInput struct {
	QueueUrl string //nolint:revive
	sendEntryInput
}

type sendMessageBatchInput struct {
	QueueUrl string //nolint:revive
	Entries  []sendEntryInput
}

type receiveMessageInput struct {
	QueueUrl                    string //nolint:revive
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         optInt
	VisibilityTimeout           optInt
	WaitTimeSeconds             optInt
	ReceiveRequestAttemptId     string //nolint:revive
}

type handleEntryInput struct {
	Id                string //nolint:revive
	ReceiptHandle     string
	VisibilityTimeout optInt
}

type deleteMessageInput struct {
	QueueUrl      string //nolint:revive
	ReceiptHandle string
}

type changeVisibilityInput struct {
	QueueUrl          string //nolint:revive
	ReceiptHandle     string
	VisibilityTimeout optInt
}

type handleBatchInput struct {
	QueueUrl string //nolint:revive
	Entries  []handleEntryInput
}

type listDLQSourcesInput struct {
	QueueUrl   string //nolint:revive
	NextToken  string
	MaxResults optInt
}

type tagQueueInput struct {
	QueueUrl string //nolint:revive
	Tags     map[string]string
}

type untagQueueInput struct {
	QueueUrl string //nolint:revive
	TagKeys  []string
}
