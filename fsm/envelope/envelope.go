package envelope

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Envelope types, the values of Envelope.Type and x-amz-sns-message-type.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// TimestampLayout is the layout of Envelope.Timestamp: UTC with
// milliseconds, as in "2012-05-02T00:54:06.655Z".
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// Envelope is the JSON document SNS POSTs to HTTP/S endpoints and writes as
// the SQS message body when raw delivery is off. Fields that do not apply
// to Type are ignored by MarshalJSON and StringToSign.
type Envelope struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	// SequenceNumber is set for FIFO topics; AWS then leaves out the
	// signature fields, so callers do not sign FIFO envelopes.
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	// Token and SubscribeURL belong to the two confirmation types.
	Token    string `json:"Token,omitempty"`
	TopicArn string `json:"TopicArn"`
	// Subject is Notification only and absent when empty.
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion,omitempty"`
	Signature        string `json:"Signature,omitempty"`
	SigningCertURL   string `json:"SigningCertURL,omitempty"`
	// UnsubscribeURL and MessageAttributes are Notification only.
	UnsubscribeURL    string                       `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]EnvelopeAttribute `json:"MessageAttributes,omitempty"`
}

// EnvelopeAttribute is one message attribute as the envelope carries it:
// the attribute's data type (String, Number, Binary or a custom
// "Number.x") and its value, base64 for Binary types.
type EnvelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// BinaryAttribute returns the envelope form of a binary attribute: the
// value base64 encoded, as AWS writes it.
func BinaryAttribute(dataType string, value []byte) EnvelopeAttribute {
	return EnvelopeAttribute{Type: dataType, Value: base64.StdEncoding.EncodeToString(value)}
}

// FormatTimestamp renders t for Envelope.Timestamp.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(TimestampLayout)
}

// SubscriptionConfirmationMessage is the Message of the
// SubscriptionConfirmation AWS sends for topicArn.
func SubscriptionConfirmationMessage(topicArn string) string {
	return "You have chosen to subscribe to the topic " + topicArn +
		".\nTo confirm the subscription, visit the SubscribeURL included in this message."
}

// UnsubscribeConfirmationMessage is the Message of the
// UnsubscribeConfirmation AWS sends for subscriptionArn.
func UnsubscribeConfirmationMessage(subscriptionArn string) string {
	return "You have chosen to deactivate subscription " + subscriptionArn +
		".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
}

// IsConfirmation reports whether typ is one of the two confirmation types.
func IsConfirmation(typ string) bool {
	return typ == TypeSubscriptionConfirmation || typ == TypeUnsubscribeConfirmation
}

// MarshalJSON renders the envelope exactly as AWS does: two-space
// indentation, " : " between name and value, AWS's field order (Type,
// MessageId, SequenceNumber, Token, TopicArn, Subject, Message,
// SubscribeURL, Timestamp, SignatureVersion, Signature, SigningCertURL,
// UnsubscribeURL, MessageAttributes), empty optional fields left out,
// attributes one compact object per line sorted by name, and no HTML
// escaping. Call it directly for the wire body: encoding/json.Marshal
// re-compacts and HTML-escapes what a Marshaler returns.
func (e *Envelope) MarshalJSON() ([]byte, error) {
	notification := e.Type == TypeNotification
	confirmation := IsConfirmation(e.Type)
	if !notification && !confirmation {
		return nil, fmt.Errorf("push: unknown envelope Type %q", e.Type)
	}
	w := newJSONWriter()
	w.raw("{")
	w.field("Type", e.Type)
	w.field("MessageId", e.MessageID)
	if notification {
		w.optional("SequenceNumber", e.SequenceNumber)
	}
	if confirmation {
		w.optional("Token", e.Token)
	}
	w.field("TopicArn", e.TopicArn)
	if notification {
		w.optional("Subject", e.Subject)
	}
	w.field("Message", e.Message)
	if confirmation {
		w.optional("SubscribeURL", e.SubscribeURL)
	}
	w.field("Timestamp", e.Timestamp)
	w.optional("SignatureVersion", e.SignatureVersion)
	w.optional("Signature", e.Signature)
	w.optional("SigningCertURL", e.SigningCertURL)
	if notification {
		w.optional("UnsubscribeURL", e.UnsubscribeURL)
		if len(e.MessageAttributes) > 0 {
			w.attributes(e.MessageAttributes)
		}
	}
	w.raw("\n}")
	return w.buf.Bytes(), nil
}

// jsonWriter builds the envelope text; strings go through encoding/json
// with HTML escaping off so quoting matches the standard exactly.
type jsonWriter struct {
	buf    bytes.Buffer
	enc    *json.Encoder
	fields int
}

func newJSONWriter() *jsonWriter {
	w := &jsonWriter{}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	return w
}

func (w *jsonWriter) raw(s string) { w.buf.WriteString(s) }

// str writes s as a JSON string. Encoding a string cannot fail; Encode
// appends a newline, which is cut.
func (w *jsonWriter) str(s string) {
	_ = w.enc.Encode(s)
	w.buf.Truncate(w.buf.Len() - 1)
}

func (w *jsonWriter) name(name string) {
	if w.fields > 0 {
		w.raw(",")
	}
	w.fields++
	w.raw("\n  ")
	w.str(name)
	w.raw(" : ")
}

func (w *jsonWriter) field(name, value string) {
	w.name(name)
	w.str(value)
}

func (w *jsonWriter) optional(name, value string) {
	if value != "" {
		w.field(name, value)
	}
}

func (w *jsonWriter) attributes(attrs map[string]EnvelopeAttribute) {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	w.name("MessageAttributes")
	w.raw("{")
	for i, n := range names {
		if i > 0 {
			w.raw(",")
		}
		w.raw("\n    ")
		w.str(n)
		w.raw(` : {"Type":`)
		w.str(attrs[n].Type)
		w.raw(`,"Value":`)
		w.str(attrs[n].Value)
		w.raw("}")
	}
	w.raw("\n  }")
}
