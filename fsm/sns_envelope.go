package fsm

import (
	"time"

	snsenvelope "github.com/wharfmq/wharf/fsm/envelope"
)

// FormatTimestamp renders epoch milliseconds as SNS envelopes do.
func FormatTimestamp(ms int64) string { return snsenvelope.FormatTimestamp(time.UnixMilli(ms)) }

// Envelope is the document a notice becomes for its subscriber: the
// unsubscribe URL is set on notifications only.
func (n Notice) Envelope(topicArn, unsubscribeURL string) *snsenvelope.Envelope {
	e := &snsenvelope.Envelope{
		Type: n.Type, MessageID: n.MessageID, Token: n.Token, TopicArn: topicArn, Subject: n.Subject,
		Message: n.Message, SubscribeURL: n.SubscribeURL, Timestamp: FormatTimestamp(n.Timestamp),
		SignatureVersion: n.SignatureVersion, Signature: n.Signature, SigningCertURL: n.SigningCertURL,
		SequenceNumber: n.SequenceNumber,
	}
	if n.Type == snsenvelope.TypeNotification {
		e.UnsubscribeURL = unsubscribeURL
	}
	for k, a := range n.Attributes {
		if e.MessageAttributes == nil {
			e.MessageAttributes = make(map[string]snsenvelope.EnvelopeAttribute, len(n.Attributes))
		}
		if a.IsBinary() {
			e.MessageAttributes[k] = snsenvelope.BinaryAttribute(a.DataType, a.BinaryValue)
		} else {
			e.MessageAttributes[k] = snsenvelope.EnvelopeAttribute{Type: a.DataType, Value: a.StringValue}
		}
	}
	return e
}

// envelopeJSON is the SQS message body of a notice delivered without raw
// delivery.
func envelopeJSON(n Notice, topicArn, subArn string) string {
	b, err := n.Envelope(topicArn, unsubscribeURL(n.BaseURL, subArn)).MarshalJSON()
	if err != nil {
		// Only an unknown Type fails, and the FSM makes only known ones.
		panic(err)
	}
	return string(b)
}
