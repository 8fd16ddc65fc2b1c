package fsm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"time"
)

// FormatTimestamp renders epoch milliseconds as SNS envelopes do:
// ISO-8601 UTC with milliseconds.
func FormatTimestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// envelopeJSON is the JSON document of a notice as a subscriber receives
// it (an SQS subscriber's message body, an HTTP/S endpoint's POST body).
func envelopeJSON(n Notice, topicArn, subArn string) string {
	return string(EnvelopeJSON(n, topicArn, unsubscribeURL(n.BaseURL, subArn)))
}

// EnvelopeJSON renders a notice as SNS does, fields in AWS's order; the
// unsubscribe URL is used by notifications only.
func EnvelopeJSON(n Notice, topicArn, unsubscribeURL string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(k, v string) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, v)
	}
	field("Type", n.Type)
	field("MessageId", n.MessageID)
	if n.Type != "Notification" {
		field("Token", n.Token)
	}
	field("TopicArn", topicArn)
	if n.Subject != "" {
		field("Subject", n.Subject)
	}
	field("Message", n.Message)
	if n.Type != "Notification" {
		field("SubscribeURL", n.SubscribeURL)
	}
	field("Timestamp", FormatTimestamp(n.Timestamp))
	field("SignatureVersion", n.SignatureVersion)
	field("Signature", n.Signature)
	field("SigningCertURL", n.SigningCertURL)
	if n.Type == "Notification" {
		field("UnsubscribeURL", unsubscribeURL)
		if len(n.Attributes) > 0 {
			b.WriteString(`,"MessageAttributes":{`)
			names := make([]string, 0, len(n.Attributes))
			for k := range n.Attributes {
				names = append(names, k)
			}
			sort.Strings(names)
			for i, k := range names {
				a := n.Attributes[k]
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSONString(&b, k)
				b.WriteString(`:{"Type":`)
				writeJSONString(&b, a.DataType)
				b.WriteString(`,"Value":`)
				if a.IsBinary() {
					writeJSONString(&b, base64.StdEncoding.EncodeToString(a.BinaryValue))
				} else {
					writeJSONString(&b, a.StringValue)
				}
				b.WriteByte('}')
			}
			b.WriteByte('}')
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeJSONString writes s as a JSON string without HTML escaping (SNS
// leaves <, > and & as they are).
func writeJSONString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
}

// StringToSign is the canonical text an SNS signature covers: key/value
// lines in AWS's fixed order, Subject only when present.
func StringToSign(n Notice, topicArn string) string {
	var b bytes.Buffer
	line := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	line("Message", n.Message)
	line("MessageId", n.MessageID)
	if n.Type == "Notification" {
		if n.Subject != "" {
			line("Subject", n.Subject)
		}
	} else {
		line("SubscribeURL", n.SubscribeURL)
	}
	line("Timestamp", FormatTimestamp(n.Timestamp))
	if n.Type != "Notification" {
		line("Token", n.Token)
	}
	line("TopicArn", topicArn)
	line("Type", n.Type)
	return b.String()
}
