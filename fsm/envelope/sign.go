package envelope

import "strings"

// StringToSign is the canonical text AWS signs: "name\nvalue\n" for each
// field in byte order. Notifications sign Message, MessageId, Subject
// (only when present), Timestamp, TopicArn and Type; the two confirmation
// types sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn
// and Type. Any other Type gets the Notification form.
func StringToSign(e *Envelope) string {
	var b strings.Builder
	pair := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	pair("Message", e.Message)
	pair("MessageId", e.MessageID)
	if IsConfirmation(e.Type) {
		pair("SubscribeURL", e.SubscribeURL)
		pair("Timestamp", e.Timestamp)
		pair("Token", e.Token)
	} else {
		if e.Subject != "" {
			pair("Subject", e.Subject)
		}
		pair("Timestamp", e.Timestamp)
	}
	pair("TopicArn", e.TopicArn)
	pair("Type", e.Type)
	return b.String()
}
