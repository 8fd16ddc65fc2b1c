package envelope

import (
	"strings"
	"testing"
)

// The example strings to sign of AWS's "Verifying the signatures of Amazon
// SNS messages" page.
func TestStringToSignNotification(t *testing.T) {
	e := &Envelope{
		Type:      TypeNotification,
		MessageID: "4d4dc071-ddbf-465d-bba8-08f81c89da64",
		TopicArn:  "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
		Subject:   "My subject",
		Message:   "My Test Message",
		Timestamp: "2019-01-31T04:37:04.321Z",
		// Not signed:
		UnsubscribeURL:   "https://unsubscribe",
		SignatureVersion: "1",
		Token:            "not for notifications",
	}
	want := "Message\nMy Test Message\n" +
		"MessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n" +
		"Subject\nMy subject\n" +
		"Timestamp\n2019-01-31T04:37:04.321Z\n" +
		"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n" +
		"Type\nNotification\n"
	if got := StringToSign(e); got != want {
		t.Fatalf("StringToSign:\n%q\nwant\n%q", got, want)
	}

	e.Subject = ""
	want = strings.Replace(want, "Subject\nMy subject\n", "", 1)
	if got := StringToSign(e); got != want {
		t.Fatalf("StringToSign without Subject:\n%q\nwant\n%q", got, want)
	}
}

func TestStringToSignConfirmation(t *testing.T) {
	for _, typ := range []string{TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation} {
		e := &Envelope{
			Type:         typ,
			MessageID:    "3d891288-136d-417f-bc05-901c108273ee",
			Token:        "233...",
			TopicArn:     "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
			Message:      "My Test Message",
			SubscribeURL: "https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...",
			Timestamp:    "2019-01-31T19:25:13.719Z",
			Subject:      "confirmations never sign a Subject",
		}
		want := "Message\nMy Test Message\n" +
			"MessageId\n3d891288-136d-417f-bc05-901c108273ee\n" +
			"SubscribeURL\nhttps://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P&Token=233...\n" +
			"Timestamp\n2019-01-31T19:25:13.719Z\n" +
			"Token\n233...\n" +
			"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n" +
			"Type\n" + typ + "\n"
		if got := StringToSign(e); got != want {
			t.Fatalf("%s StringToSign:\n%q\nwant\n%q", typ, got, want)
		}
	}
}
