package client

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// The native API's JSON shapes (docs/rest-api.md). The client keeps its
// own copies: it imports nothing from the server's packages.

type wireQueue struct {
	Name       string            `json:"name"`
	URL        string            `json:"url"`
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type wireCreateQueue struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type wireSetAttributes struct {
	Attributes map[string]string `json:"attributes"`
}

type wireSend struct {
	ID             string                   `json:"id,omitempty"`
	Body           string                   `json:"body"`
	DelaySeconds   *int                     `json:"delay_seconds,omitempty"`
	Attributes     map[string]wireAttribute `json:"attributes,omitempty"`
	IdempotencyKey string                   `json:"idempotency_key,omitempty"`
}

type wireAttribute struct {
	DataType    string  `json:"data_type"`
	StringValue *string `json:"string_value,omitempty"`
	BinaryValue []byte  `json:"binary_value,omitempty"`
}

type wireSendResult struct {
	ID        string     `json:"id"`
	MessageID string     `json:"message_id"`
	MD5OfBody string     `json:"md5_of_body"`
	Error     *wireEntry `json:"error"`
}

// wireEntryResult is the answer for one message sent or published,
// alone or as an entry of a batch (which sets ID, and Error when the
// entry failed).
type wireEntryResult struct {
	ID             string     `json:"id"`
	MessageID      string     `json:"message_id"`
	MD5OfBody      string     `json:"md5_of_body"`
	SequenceNumber string     `json:"sequence_number"`
	Error          *wireEntry `json:"error"`
}

type wireEntryResults struct {
	Results []wireEntryResult `json:"results"`
}

type wireEntry struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

type wireBatch struct {
	Messages []wireSend `json:"messages"`
}

type wireBatchResults struct {
	Results []wireSendResult `json:"results"`
}

type wireReceive struct {
	Max               int  `json:"max,omitempty"`
	WaitSeconds       *int `json:"wait_seconds,omitempty"`
	VisibilityTimeout *int `json:"visibility_timeout,omitempty"`
}

type wireMessage struct {
	MessageID             string                   `json:"message_id"`
	ReceiptHandle         string                   `json:"receipt_handle"`
	Body                  string                   `json:"body"`
	MD5OfBody             string                   `json:"md5_of_body"`
	Attributes            map[string]wireAttribute `json:"attributes"`
	ReceiveCount          int                      `json:"receive_count"`
	SentTimestamp         flexTime                 `json:"sent_timestamp"`
	FirstReceiveTimestamp flexTime                 `json:"first_receive_timestamp"`
}

type wireMessages struct {
	Messages []wireMessage `json:"messages"`
}

type wireDelete struct {
	ReceiptHandles []string `json:"receipt_handles"`
}

type wireDeleteResults struct {
	Results []struct {
		ReceiptHandle string     `json:"receipt_handle"`
		Error         *wireEntry `json:"error"`
	} `json:"results"`
}

type wireVisibility struct {
	ReceiptHandle     string `json:"receipt_handle"`
	VisibilityTimeout int    `json:"visibility_timeout"`
}

type wireTransfer struct {
	To string `json:"to,omitempty"`
}

type wireMembers struct {
	Members []Member `json:"members"`
}

// flexTime reads a timestamp given as epoch milliseconds (a number or a
// numeric string, as SQS does) or as RFC 3339 text.
type flexTime time.Time

func (t *flexTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			*t = flexTime(time.UnixMilli(ms))
			return nil
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		*t = flexTime(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	if ms > 0 {
		*t = flexTime(time.UnixMilli(int64(ms)))
	}
	return nil
}

// MarshalJSON writes epoch milliseconds (0 for the zero time).
func (t flexTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("0"), nil
	}
	return strconv.AppendInt(nil, time.Time(t).UnixMilli(), 10), nil
}

type wireCreateTopic struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type wireSubscribe struct {
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

type wireSubscriptions struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

type wireConfirm struct {
	Token string `json:"token"`
}

type wirePublish struct {
	ID               string                   `json:"id,omitempty"`
	Message          string                   `json:"message"`
	Subject          *string                  `json:"subject,omitempty"`
	MessageStructure string                   `json:"message_structure,omitempty"`
	Attributes       map[string]wireAttribute `json:"attributes,omitempty"`
	MessageGroupID   string                   `json:"message_group_id,omitempty"`
	DeduplicationID  string                   `json:"message_deduplication_id,omitempty"`
	IdempotencyKey   string                   `json:"idempotency_key,omitempty"`
}

type wirePublishResult struct {
	ID             string     `json:"id"`
	MessageID      string     `json:"message_id"`
	SequenceNumber string     `json:"sequence_number"`
	Error          *wireEntry `json:"error"`
}

type wirePublishBatch struct {
	Messages []wirePublish `json:"messages"`
}

type wirePublishBatchResults struct {
	Results []wirePublishResult `json:"results"`
}
