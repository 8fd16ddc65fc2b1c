package test

// SNS HTTP subscriptions end to end: an endpoint inside the test receives
// the SubscriptionConfirmation with AWS's headers, verifies its signature
// with the certificate fetched from SigningCertURL (SignatureVersion 1
// and 2), confirms by GETting SubscribeURL, then receives signed
// notifications, per-protocol messages and raw deliveries. Failing
// endpoints are retried per the subscription's DeliveryPolicy and end in
// its RedrivePolicy dead-letter queue.

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/wharfmq/wharf/fsm/envelope"
)

var snsTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// checkPushHeaders checks the headers AWS sends with every POST.
func checkPushHeaders(t *testing.T, p hookPost, typ, msgID, topic, subArn, contentType, what string) {
	t.Helper()
	want := map[string]string{
		"X-Amz-Sns-Message-Type":     typ,
		"X-Amz-Sns-Message-Id":       msgID,
		"X-Amz-Sns-Topic-Arn":        topic,
		"X-Amz-Sns-Subscription-Arn": subArn, // "" : absent (confirmations)
		"Content-Type":               contentType,
		"User-Agent":                 "Amazon Simple Notification Service Agent",
	}
	for k, v := range want {
		if got := p.Header.Get(k); got != v {
			t.Errorf("%s: header %s = %q, want %q", what, k, got, v)
		}
	}
}

// confirmByURL waits for the SubscriptionConfirmation POSTed to path,
// checks and verifies it, and confirms by GETting its SubscribeURL as an
// endpoint does; it returns the confirmation envelope.
func confirmByURL(t *testing.T, cl *sns.Client, hook *pushHook, path, topic, subArn, sigVersion string) *envelope.Envelope {
	t.Helper()
	p := hook.WaitPost(t, 30*time.Second, path, "SubscriptionConfirmation", nil)
	env := parseEnvelope(t, p.Body)
	checkPushHeaders(t, p, "SubscriptionConfirmation", env.MessageID, topic, "", "text/plain; charset=UTF-8", "confirmation")
	if env.Type != "SubscriptionConfirmation" || env.TopicArn != topic || env.MessageID == "" ||
		env.Message != envelope.SubscriptionConfirmationMessage(topic) || !snsTimestamp.MatchString(env.Timestamp) {
		t.Errorf("confirmation envelope = %+v", env)
	}
	if env.Token == "" || !strings.Contains(env.SubscribeURL, "Action=ConfirmSubscription") ||
		!strings.Contains(env.SubscribeURL, "Token="+env.Token) || env.UnsubscribeURL != "" {
		t.Errorf("confirmation Token %q, SubscribeURL %q, UnsubscribeURL %q", env.Token, env.SubscribeURL, env.UnsubscribeURL)
	}
	if env.SignatureVersion != sigVersion {
		t.Errorf("confirmation SignatureVersion = %q, want %q", env.SignatureVersion, sigVersion)
	}
	verifyEnvelope(t, env, "SubscriptionConfirmation")

	resp, err := sdkHTTP.Get(env.SubscribeURL)
	if err != nil {
		t.Fatalf("GET SubscribeURL: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<SubscriptionArn>"+subArn+"</SubscriptionArn>") {
		t.Fatalf("GET SubscribeURL: HTTP %d: %s; want 200 naming %s", resp.StatusCode, body, subArn)
	}
	got, err := cl.GetSubscriptionAttributes(ctxT(t, 30*time.Second), &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn)})
	if err != nil {
		t.Fatalf("GetSubscriptionAttributes: %v", err)
	}
	if got.Attributes["PendingConfirmation"] != "false" {
		t.Errorf("PendingConfirmation after GET SubscribeURL = %q", got.Attributes["PendingConfirmation"])
	}
	return env
}

func TestSNSHTTPSignedDelivery(t *testing.T) {
	c := shared(t)
	ep := c.Endpoint(c.Follower(t))
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t, 3*time.Minute)
			cl := newSNSClient(ep)
			hook := newPushHook(t, nil)
			in := &sns.CreateTopicInput{Name: aws.String(uniq("http-sv" + version))}
			if version == "2" {
				in.Attributes = map[string]string{"SignatureVersion": "2"}
			}
			ct, err := cl.CreateTopic(ctx, in)
			if err != nil {
				t.Fatalf("CreateTopic: %v", err)
			}
			topic := aws.ToString(ct.TopicArn)
			sub, err := cl.Subscribe(ctx, &sns.SubscribeInput{TopicArn: ct.TopicArn, Protocol: aws.String("http"),
				Endpoint: aws.String(hook.URL + "/sns"), ReturnSubscriptionArn: true})
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			subArn := aws.ToString(sub.SubscriptionArn)
			// Publish skips a subscription pending confirmation.
			early, err := cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String("before confirmation")})
			if err != nil {
				t.Fatalf("Publish before confirmation: %v", err)
			}
			conf := confirmByURL(t, cl, hook, "/sns", topic, subArn, version)

			// A notification: headers, envelope, signature.
			pub, err := cl.Publish(ctx, &sns.PublishInput{
				TopicArn: ct.TopicArn, Message: aws.String("hello http <&> \"quoted\"\nline two"), Subject: aws.String("Greetings"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					"color": {DataType: aws.String("String"), StringValue: aws.String("blue")},
					"n":     {DataType: aws.String("Number"), StringValue: aws.String("42")},
					"bin":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xff}},
				},
			})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			msgID := aws.ToString(pub.MessageId)
			byID := func(id string) func(hookPost) bool {
				return func(p hookPost) bool { return p.Header.Get("x-amz-sns-message-id") == id }
			}
			p := hook.WaitPost(t, 30*time.Second, "/sns", "Notification", byID(msgID))
			for _, q := range hook.Posts("/sns") {
				if byID(aws.ToString(early.MessageId))(q) {
					t.Errorf("a message published before the confirmation was delivered: %s", q.Body)
				}
			}
			checkPushHeaders(t, p, "Notification", msgID, topic, subArn, "text/plain; charset=UTF-8", "notification")
			if p.Header.Get("x-amz-sns-rawdelivery") != "" {
				t.Errorf("x-amz-sns-rawdelivery on an envelope delivery: %q", p.Header.Get("x-amz-sns-rawdelivery"))
			}
			env := parseEnvelope(t, p.Body)
			if env.Type != "Notification" || env.MessageID != msgID || env.TopicArn != topic || env.Subject != "Greetings" ||
				env.Message != "hello http <&> \"quoted\"\nline two" || env.SignatureVersion != version ||
				env.Token != "" || env.SubscribeURL != "" || !snsTimestamp.MatchString(env.Timestamp) {
				t.Errorf("notification envelope = %+v", env)
			}
			if env.SigningCertURL != conf.SigningCertURL {
				t.Errorf("SigningCertURL %q differs from the confirmation's %q", env.SigningCertURL, conf.SigningCertURL)
			}
			if !strings.Contains(env.UnsubscribeURL, "Action=Unsubscribe") || !strings.Contains(env.UnsubscribeURL, url.QueryEscape(subArn)) {
				t.Errorf("UnsubscribeURL = %q", env.UnsubscribeURL)
			}
			wantAttrs := map[string]envelope.EnvelopeAttribute{
				"color": {Type: "String", Value: "blue"},
				"n":     {Type: "Number", Value: "42"},
				"bin":   {Type: "Binary", Value: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})},
			}
			if !reflect.DeepEqual(env.MessageAttributes, wantAttrs) {
				t.Errorf("MessageAttributes = %v, want %v", env.MessageAttributes, wantAttrs)
			}
			if strings.Contains(string(p.Body), `\u003c`) || strings.Contains(string(p.Body), `\u0026`) {
				t.Errorf("the body HTML-escapes < or &: %s", p.Body)
			}
			verifyEnvelope(t, env, "Notification")

			// No Subject: left out of the envelope and of the signature.
			pub, err = cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String("no subject")})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			env = parseEnvelope(t, hook.WaitPost(t, 30*time.Second, "/sns", "Notification", byID(aws.ToString(pub.MessageId))).Body)
			if env.Subject != "" || env.Message != "no subject" || len(env.MessageAttributes) != 0 {
				t.Errorf("envelope without subject = %+v", env)
			}
			verifyEnvelope(t, env, "Notification without Subject")

			// MessageStructure=json: the http key, signed as delivered.
			pub, err = cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, MessageStructure: aws.String("json"),
				Message: aws.String(`{"default":"for everyone","http":"for http endpoints","sqs":"for queues"}`)})
			if err != nil {
				t.Fatalf("Publish MessageStructure=json: %v", err)
			}
			env = parseEnvelope(t, hook.WaitPost(t, 30*time.Second, "/sns", "Notification", byID(aws.ToString(pub.MessageId))).Body)
			if env.Message != "for http endpoints" {
				t.Errorf("MessageStructure=json: http endpoint got %q, want the http key", env.Message)
			}
			verifyEnvelope(t, env, "MessageStructure=json Notification")

			// Raw delivery, with the Content-Type of the delivery policy.
			for name, value := range map[string]string{
				"RawMessageDelivery": "true",
				"DeliveryPolicy":     `{"requestPolicy":{"headerContentType":"application/json; charset=UTF-8"}}`,
			} {
				if _, err := cl.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn),
					AttributeName: aws.String(name), AttributeValue: aws.String(value)}); err != nil {
					t.Fatalf("SetSubscriptionAttributes %s: %v", name, err)
				}
			}
			raw := `{"raw":true,"text":"<&>"}`
			pub, err = cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String(raw), Subject: aws.String("dropped"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
			if err != nil {
				t.Fatalf("Publish raw: %v", err)
			}
			p = hook.WaitPost(t, 30*time.Second, "/sns", "Notification", byID(aws.ToString(pub.MessageId)))
			if string(p.Body) != raw {
				t.Errorf("raw delivery body = %q, want %q", p.Body, raw)
			}
			checkPushHeaders(t, p, "Notification", aws.ToString(pub.MessageId), topic, subArn, "application/json; charset=UTF-8", "raw notification")
			if p.Header.Get("x-amz-sns-rawdelivery") != "true" {
				t.Errorf("raw delivery: x-amz-sns-rawdelivery = %q, want true", p.Header.Get("x-amz-sns-rawdelivery"))
			}

			// Every notification was delivered once: the endpoint answered 200.
			if n := len(hook.Posts("/sns")); n != 5 {
				t.Errorf("the endpoint got %d POSTs, want 5 (1 confirmation, 4 notifications)", n)
			}
		})
	}
}

// The retry policy of the brief: 2 retries 1 s apart after the first
// attempt.
const fastRetryPolicy = `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2,"numNoDelayRetries":0,"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"}}`

func TestSNSHTTPRetriesAndDeadLetter(t *testing.T) {
	c := shared(t)
	ep := c.Endpoint(c.Follower(t))
	ctx := ctxT(t, 3*time.Minute)
	cl := newSNSClient(ep)
	sq := newSQS(ep)

	// /fail answers 500 to every notification, /flaky to the first two,
	// /reject answers 403 (a permanent failure: no retry); /topic-policy
	// answers 500 and follows the topic's DeliveryPolicy (it has none of
	// its own).
	var notifMu sync.Mutex
	notifs := map[string]int{}
	hook := newPushHook(t, func(p hookPost, _ int) int {
		if p.Type() != "Notification" {
			return http.StatusOK
		}
		notifMu.Lock()
		defer notifMu.Unlock()
		notifs[p.Path]++
		switch p.Path {
		case "/fail", "/topic-policy":
			return http.StatusInternalServerError
		case "/flaky":
			if notifs[p.Path] <= 2 {
				return http.StatusServiceUnavailable
			}
		case "/reject":
			return http.StatusForbidden
		}
		return http.StatusOK
	})

	name := uniq("http-retry")
	ct, err := cl.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{
		"DeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"numNoDelayRetries":0,"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false}}`,
	}})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topic := aws.ToString(ct.TopicArn)
	paths := []string{"/fail", "/flaky", "/reject", "/topic-policy"}
	dlq := map[string]string{} // path -> DLQ URL
	subs := map[string]string{}
	for _, path := range paths {
		dlq[path] = createQueue(t, sq, name+"-dlq"+strings.ReplaceAll(path, "/", "-"), nil)
		attrs := map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q}`, queueArn(t, sq, dlq[path]))}
		if path != "/topic-policy" {
			attrs["DeliveryPolicy"] = fastRetryPolicy
		}
		sub, err := cl.Subscribe(ctx, &sns.SubscribeInput{TopicArn: ct.TopicArn, Protocol: aws.String("http"),
			Endpoint: aws.String(hook.URL + path), ReturnSubscriptionArn: true, Attributes: attrs})
		if err != nil {
			t.Fatalf("Subscribe %s: %v", path, err)
		}
		subs[path] = aws.ToString(sub.SubscriptionArn)
		confirmByURL(t, cl, hook, path, topic, subs[path], "1")
	}

	pub, err := cl.Publish(ctx, &sns.PublishInput{TopicArn: ct.TopicArn, Message: aws.String("retry me"), Subject: aws.String("retries")})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	msgID := aws.ToString(pub.MessageId)
	notifications := func(path string) []hookPost {
		var out []hookPost
		for _, p := range hook.Posts(path) {
			if p.Type() == "Notification" {
				out = append(out, p)
			}
		}
		return out
	}

	// The exhausted and the rejected message land in their DLQs.
	for _, path := range []string{"/fail", "/reject", "/topic-policy"} {
		var got sqstypes.Message
		WaitFor(t, 60*time.Second, func() error {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq[path]), WaitTimeSeconds: 2, MaxNumberOfMessages: 10})
			if err != nil {
				return err
			}
			if len(out.Messages) == 0 {
				return fmt.Errorf("%s: nothing in the dead-letter queue yet (%d attempts so far)", path, len(notifications(path)))
			}
			if len(out.Messages) != 1 {
				t.Errorf("%s: %d messages in the dead-letter queue, want 1", path, len(out.Messages))
			}
			got = out.Messages[0]
			return nil
		})
		env := parseEnvelope(t, []byte(aws.ToString(got.Body)))
		if env.Type != "Notification" || env.MessageID != msgID || env.Message != "retry me" || env.Subject != "retries" || env.TopicArn != topic {
			t.Errorf("%s: dead-lettered envelope = %+v", path, env)
		}
		verifyEnvelope(t, env, path+" dead-lettered Notification")
	}

	// /fail was tried 1+2 times, 1 s apart (plus up to 10% jitter), always
	// as the same message; /reject once.
	attempts := notifications("/fail")
	if len(attempts) != 3 {
		t.Errorf("/fail: %d delivery attempts, want 3 (numRetries 2)", len(attempts))
	}
	for i, p := range attempts {
		if id := p.Header.Get("x-amz-sns-message-id"); id != msgID {
			t.Errorf("/fail attempt %d: message id %q, want %q", i+1, id, msgID)
		}
		if i > 0 {
			if gap := p.At.Sub(attempts[i-1].At); gap < 900*time.Millisecond || gap > 10*time.Second {
				t.Errorf("/fail: attempt %d came %v after the one before, want about 1 s", i+1, gap)
			}
		}
	}
	if n := len(notifications("/reject")); n != 1 {
		t.Errorf("/reject (403): %d delivery attempts, want 1 (a 4xx is not retried)", n)
	}
	if n := len(notifications("/topic-policy")); n != 2 {
		t.Errorf("/topic-policy: %d delivery attempts, want 2 (the topic's numRetries 1)", n)
	}

	// /flaky succeeded on its third attempt: nothing in its DLQ.
	WaitFor(t, 30*time.Second, func() error {
		if n := len(notifications("/flaky")); n < 3 {
			return fmt.Errorf("/flaky: %d attempts so far", n)
		}
		return nil
	})
	out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq["/flaky"]), WaitTimeSeconds: 2})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 0 {
		t.Errorf("/flaky: a message delivered on retry also reached the dead-letter queue: %v", aws.ToString(out.Messages[0].Body))
	}
	if n := len(notifications("/flaky")); n != 3 {
		t.Errorf("/flaky: %d attempts, want 3", n)
	}
	if n := len(notifications("/fail")); n != 3 {
		t.Errorf("/fail: %d attempts after dead-lettering, want 3", n)
	}
}
