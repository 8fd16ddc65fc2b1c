package envelope

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// awsNotificationExample is the body of the Notification example in AWS's
// "HTTP/HTTPS notification JSON format" page, byte for byte.
const awsNotificationExample = `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Subject" : "My First Message",
  "Message" : "Hello world!",
  "Timestamp" : "2012-05-02T00:54:06.655Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"
}`

func awsNotification() *Envelope {
	return &Envelope{
		Type:             TypeNotification,
		MessageID:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:          "My First Message",
		Message:          "Hello world!",
		Timestamp:        "2012-05-02T00:54:06.655Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
	}
}

func marshal(t *testing.T, e *Envelope) string {
	t.Helper()
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("MarshalJSON output is not valid JSON:\n%s", b)
	}
	return string(b)
}

func TestEnvelopeMatchesAWSNotificationExample(t *testing.T) {
	if got := marshal(t, awsNotification()); got != awsNotificationExample {
		t.Fatalf("notification body differs from AWS's example:\ngot:\n%s\nwant:\n%s", got, awsNotificationExample)
	}
}

// The SubscriptionConfirmation example of the same AWS page, with its field
// order (Token after MessageId, SubscribeURL after Message).
func TestEnvelopeSubscriptionConfirmationOrder(t *testing.T) {
	e := &Envelope{
		Type:             TypeSubscriptionConfirmation,
		MessageID:        "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:            "2336412f37f",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:          SubscriptionConfirmationMessage("arn:aws:sns:us-west-2:123456789012:MyTopic"),
		SubscribeURL:     "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37f",
		Timestamp:        "2012-04-26T20:45:04.751Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		// Ignored for confirmations:
		Subject:           "ignored",
		UnsubscribeURL:    "https://ignored",
		MessageAttributes: map[string]EnvelopeAttribute{"a": {Type: "String", Value: "b"}},
	}
	want := `{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  "Token" : "2336412f37f",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37f",
  "Timestamp" : "2012-04-26T20:45:04.751Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
}`
	if got := marshal(t, e); got != want {
		t.Fatalf("confirmation body:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// A FIFO notification as AWS writes it into an SQS queue: SequenceNumber
// after MessageId and no signature fields.
func TestEnvelopeFIFONotification(t *testing.T) {
	e := &Envelope{
		Type:           TypeNotification,
		MessageID:      "05ebceec-d15b-5059-98ad-af12051ad22e",
		SequenceNumber: "10000000000000003000",
		TopicArn:       "arn:aws:sns:ap-northeast-1:123456789012:my-test-topic.fifo",
		Subject:        "order-alarm",
		Message:        `{"orderId":"1001" , "status":"NEW"}`,
		Timestamp:      "2026-02-05T17:23:13.176Z",
		UnsubscribeURL: "https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:ap-northeast-1:123456789012:my-test-topic.fifo:c5dd8602-0a19-40c5-86dc-d67f42f5693c",
	}
	want := `{
  "Type" : "Notification",
  "MessageId" : "05ebceec-d15b-5059-98ad-af12051ad22e",
  "SequenceNumber" : "10000000000000003000",
  "TopicArn" : "arn:aws:sns:ap-northeast-1:123456789012:my-test-topic.fifo",
  "Subject" : "order-alarm",
  "Message" : "{\"orderId\":\"1001\" , \"status\":\"NEW\"}",
  "Timestamp" : "2026-02-05T17:23:13.176Z",
  "UnsubscribeURL" : "https://sns.ap-northeast-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:ap-northeast-1:123456789012:my-test-topic.fifo:c5dd8602-0a19-40c5-86dc-d67f42f5693c"
}`
	if got := marshal(t, e); got != want {
		t.Fatalf("FIFO body:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// MessageAttributes come last, one compact object per line, sorted.
func TestEnvelopeMessageAttributes(t *testing.T) {
	e := awsNotification()
	e.Subject = ""
	e.MessageAttributes = map[string]EnvelopeAttribute{
		"Service": {Type: "String", Value: "AWS::IAM::Policy"},
		"Count":   {Type: "Number.java.lang.Long", Value: "1723202440316"},
		"Blob":    BinaryAttribute("Binary", []byte{0, 1, 2, 0xff}),
	}
	got := marshal(t, e)
	wantTail := `,
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
  "MessageAttributes" : {
    "Blob" : {"Type":"Binary","Value":"AAEC/w=="},
    "Count" : {"Type":"Number.java.lang.Long","Value":"1723202440316"},
    "Service" : {"Type":"String","Value":"AWS::IAM::Policy"}
  }
}`
	if !strings.HasSuffix(got, wantTail) {
		t.Fatalf("attributes block:\n%s\nwant suffix:\n%s", got, wantTail)
	}
	if strings.Contains(got, `"Subject"`) {
		t.Fatalf("empty Subject was written:\n%s", got)
	}
	if again := marshal(t, e); again != got {
		t.Fatal("MarshalJSON is not deterministic")
	}
}

func TestEnvelopeEscaping(t *testing.T) {
	e := awsNotification()
	e.Message = "<b>fish & chips</b>\n\t\"quoted\" \\ é ✓"
	e.Subject = "a<b>c"
	got := marshal(t, e)
	for _, want := range []string{
		`"Message" : "<b>fish & chips</b>\n\t\"quoted\" \\ é ✓"`,
		`"Subject" : "a<b>c"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("body lacks %s:\n%s", want, got)
		}
	}
	var back Envelope
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, e) {
		t.Fatalf("round trip changed the envelope:\n%+v\n%+v", back, *e)
	}
}

func TestEnvelopeTypeRules(t *testing.T) {
	e := awsNotification()
	e.Token = "tok"
	e.SubscribeURL = "https://confirm"
	got := marshal(t, e)
	if strings.Contains(got, "Token") || strings.Contains(got, "SubscribeURL") {
		t.Fatalf("notification carries confirmation fields:\n%s", got)
	}

	e.Type = "Bogus"
	if _, err := e.MarshalJSON(); err == nil {
		t.Fatal("unknown Type marshalled")
	}
}

func TestFormatTimestamp(t *testing.T) {
	ts := time.Date(2012, 5, 2, 2, 54, 6, 655_400_000, time.FixedZone("CEST", 2*3600))
	if got := FormatTimestamp(ts); got != "2012-05-02T00:54:06.655Z" {
		t.Fatalf("FormatTimestamp = %q", got)
	}
	if got := FormatTimestamp(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)); got != "2020-01-01T00:00:00.000Z" {
		t.Fatalf("FormatTimestamp keeps zero milliseconds: %q", got)
	}
}

func TestConfirmationMessages(t *testing.T) {
	sub := "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
	want := "You have chosen to deactivate subscription " + sub +
		".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	if got := UnsubscribeConfirmationMessage(sub); got != want {
		t.Fatalf("UnsubscribeConfirmationMessage = %q", got)
	}
}
