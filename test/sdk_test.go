package test

// aws-sdk-go-v2 (AWS JSON 1.0) against the shared cluster: every supported
// SQS action, once through a follower and once through the leader.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type sdkCase struct {
	name string
	fn   func(t *testing.T, cl *sqs.Client, ep string)
}

var sdkCases = []sdkCase{
	{"CreateQueue", testCreateQueue},
	{"GetQueueUrl", testGetQueueURL},
	{"ListQueues", testListQueues},
	{"DeleteQueue", testDeleteQueue},
	{"GetQueueAttributes", testGetQueueAttributes},
	{"SetQueueAttributes", testSetQueueAttributes},
	{"SendMessageAttributes", testSendMessageAttributes},
	{"SendMessageBatch", testSendMessageBatch},
	{"SendMessageBatchTooBig", testSendMessageBatchTooBig},
	{"ReceiveMessage", testReceiveMessage},
	{"DeleteMessage", testDeleteMessage},
	{"ChangeMessageVisibility", testChangeMessageVisibility},
	{"PurgeQueue", testPurgeQueue},
	{"ListDeadLetterSourceQueues", testListDeadLetterSourceQueues},
	{"Tags", testTags},
	{"VisibilityExpiry", testVisibilityExpiry},
	{"Delay", testDelay},
	{"LongPollWakesOnSend", testLongPollWakesOnSend},
	{"LongPollWakesOnDelay", testLongPollWakesOnDelay},
	{"LongPollTimesOut", testLongPollTimesOut},
	{"DeadLetterRedrive", testDeadLetterRedrive},
	{"BadInput", testBadInput},
	{"NotYetSupported", testNotYetSupported},
	{"RetentionExpiry", testRetentionExpiry},
}

// TestSDK runs every case through a follower and through the leader.
func TestSDK(t *testing.T) {
	c := shared(t)
	leader := c.Leader(t)
	follower := (leader + 1) % len(c.Nodes)
	for _, target := range []struct {
		name string
		idx  int
	}{{"follower", follower}, {"leader", leader}} {
		ep := c.Endpoint(target.idx)
		t.Run(target.name, func(t *testing.T) {
			t.Parallel()
			cl := newSQS(ep)
			for _, tc := range sdkCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, cl, ep)
				})
			}
		})
	}
}

func testCreateQueue(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	name := uniq("create")
	attrs := map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "1"}
	url := createQueue(t, cl, name, attrs)
	if want := ep + "/" + testAccount + "/" + name; url != want {
		t.Errorf("QueueUrl = %q, want %q", url, want)
	}
	// Same attributes: same URL, no error.
	if again := createQueue(t, cl, name, attrs); again != url {
		t.Errorf("second CreateQueue with same attributes = %q, want %q", again, url)
	}
	// Different attributes: QueueNameExists.
	_, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	wantErr(t, err, "QueueNameExists", "CreateQueue with different attributes")
	// The attributes really are those given at creation.
	got := queueAttrs(t, cl, url)
	if got["VisibilityTimeout"] != "45" || got["DelaySeconds"] != "1" {
		t.Errorf("attributes after create: VisibilityTimeout=%q DelaySeconds=%q, want 45, 1", got["VisibilityTimeout"], got["DelaySeconds"])
	}
	// Tags given at creation.
	out, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq("create-tags2")), Tags: map[string]string{"team": "wharf"}})
	if err != nil {
		t.Fatalf("CreateQueue with tags: %v", err)
	}
	tags, err := cl.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: out.QueueUrl})
	if err != nil {
		t.Fatalf("ListQueueTags: %v", err)
	}
	if !reflect.DeepEqual(tags.Tags, map[string]string{"team": "wharf"}) {
		t.Errorf("tags after CreateQueue with tags = %v, want team=wharf", tags.Tags)
	}
	// Bad names and attributes.
	for _, bad := range []string{"bad name", "bad/name", strings.Repeat("a", 81), "ünïcode"} {
		_, err := cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(bad)})
		wantErr(t, err, "InvalidParameterValueException", fmt.Sprintf("CreateQueue(%q)", bad))
	}
	if u := createQueue(t, cl, uniq(strings.Repeat("x", 60)), nil); u == "" {
		t.Error("CreateQueue with a 70-char name returned no URL")
	}
	_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq("badattr")), Attributes: map[string]string{"Bogus": "1"}})
	wantErr(t, err, "InvalidAttributeName", "CreateQueue with attribute Bogus")
	for attr, val := range map[string]string{"VisibilityTimeout": "43201", "DelaySeconds": "901", "MessageRetentionPeriod": "59", "MaximumMessageSize": "1023", "ReceiveMessageWaitTimeSeconds": "21"} {
		_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(uniq("badval")), Attributes: map[string]string{attr: val}})
		wantErr(t, err, "InvalidAttributeValue", fmt.Sprintf("CreateQueue with %s=%s", attr, val))
	}
}

func testGetQueueURL(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 30*time.Second)
	name := uniq("geturl")
	url := createQueue(t, cl, name, nil)
	out, err := cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	if got := aws.ToString(out.QueueUrl); got != url {
		t.Errorf("GetQueueUrl = %q, want %q", got, url)
	}
	out, err = cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(testAccount)})
	if err != nil {
		t.Fatalf("GetQueueUrl with owner: %v", err)
	}
	if got := aws.ToString(out.QueueUrl); got != url {
		t.Errorf("GetQueueUrl with owner = %q, want %q", got, url)
	}
	_, err = cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(uniq("never-created"))})
	wantErr(t, err, "QueueDoesNotExist", "GetQueueUrl of a missing queue")
}

func testListQueues(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 30*time.Second)
	prefix := uniq("list") + "-"
	var want []string
	for i := 0; i < 3; i++ {
		want = append(want, createQueue(t, cl, fmt.Sprintf("%s%d", prefix, i), nil))
	}
	sort.Strings(want)
	out, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("ListQueues: %v", err)
	}
	got := append([]string(nil), out.QueueUrls...)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListQueues(prefix) = %v, want %v", got, want)
	}
	if out.NextToken != nil {
		t.Errorf("ListQueues without MaxResults returned NextToken %q", *out.NextToken)
	}
	// Paging with MaxResults 2: two pages, 2 + 1.
	var paged []string
	var token *string
	pages := 0
	for {
		out, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatalf("ListQueues page %d: %v", pages, err)
		}
		pages++
		if len(out.QueueUrls) > 2 {
			t.Errorf("page %d has %d URLs, MaxResults was 2", pages, len(out.QueueUrls))
		}
		paged = append(paged, out.QueueUrls...)
		token = out.NextToken
		if token == nil || pages > 5 {
			break
		}
	}
	sort.Strings(paged)
	if !reflect.DeepEqual(paged, want) || pages != 2 {
		t.Errorf("paged ListQueues = %v in %d pages, want %v in 2 pages", paged, pages, want)
	}
	// A prefix that matches nothing.
	out, err = cl.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(uniq("nomatch"))})
	if err != nil {
		t.Fatalf("ListQueues: %v", err)
	}
	if len(out.QueueUrls) != 0 {
		t.Errorf("ListQueues(unused prefix) = %v, want none", out.QueueUrls)
	}
	// Every URL names this endpoint's host.
	for _, u := range got {
		if !strings.HasPrefix(u, ep+"/"+testAccount+"/") {
			t.Errorf("queue URL %q is not under %s/%s/", u, ep, testAccount)
		}
	}
	_, err = cl.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantErr(t, err, "InvalidParameterValueException", "ListQueues MaxResults=1001")
}

func testDeleteQueue(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 30*time.Second)
	name := uniq("delete")
	url := createQueue(t, cl, name, nil)
	sendBodies(t, cl, url, "doomed")
	if _, err := cl.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	_, err := cl.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	wantErr(t, err, "QueueDoesNotExist", "GetQueueUrl after DeleteQueue")
	_, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	wantErr(t, err, "QueueDoesNotExist", "SendMessage after DeleteQueue")
	_, err = cl.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	wantErr(t, err, "QueueDoesNotExist", "second DeleteQueue")
	// AWS: a queue of the same name cannot be created for 60 s.
	_, err = cl.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	wantErr(t, err, "QueueDeletedRecently", "CreateQueue right after DeleteQueue")
	out, err := cl.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(name)})
	if err != nil {
		t.Fatalf("ListQueues: %v", err)
	}
	if len(out.QueueUrls) != 0 {
		t.Errorf("ListQueues after delete = %v, want none", out.QueueUrls)
	}
}

func testGetQueueAttributes(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	name := uniq("getattrs")
	before := time.Now().Unix()
	url := createQueue(t, cl, name, nil)
	after := time.Now().Unix()
	all := queueAttrs(t, cl, url)
	wantDefaults := map[string]string{
		"VisibilityTimeout":                     "30",
		"DelaySeconds":                          "0",
		"MaximumMessageSize":                    "1048576",
		"MessageRetentionPeriod":                "345600",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"ApproximateNumberOfMessages":           "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"QueueArn":                              "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + name,
	}
	for k, v := range wantDefaults {
		if all[k] != v {
			t.Errorf("All: %s = %q, want %q", k, all[k], v)
		}
	}
	for _, k := range []string{"CreatedTimestamp", "LastModifiedTimestamp"} {
		ts, err := strconv.ParseInt(all[k], 10, 64)
		if err != nil || ts < before-2 || ts > after+2 {
			t.Errorf("All: %s = %q, want epoch seconds in [%d, %d]", k, all[k], before, after)
		}
	}
	for _, k := range []string{"RedrivePolicy", "FifoQueue"} {
		if v, ok := all[k]; ok && k == "FifoQueue" && v != "false" {
			t.Errorf("All: FifoQueue = %q on a standard queue", v)
		}
		if _, ok := all[k]; ok && k == "RedrivePolicy" {
			t.Errorf("All: RedrivePolicy present on a queue without one: %q", all[k])
		}
	}
	// Each name alone returns exactly that name.
	for k, v := range wantDefaults {
		one := queueAttrs(t, cl, url, types.QueueAttributeName(k))
		if len(one) != 1 || one[k] != v {
			t.Errorf("GetQueueAttributes(%s) = %v, want only %s=%s", k, one, k, v)
		}
	}
	two := queueAttrs(t, cl, url, types.QueueAttributeNameCreatedTimestamp, types.QueueAttributeNameLastModifiedTimestamp)
	if len(two) != 2 || two["CreatedTimestamp"] != all["CreatedTimestamp"] {
		t.Errorf("GetQueueAttributes(Created, LastModified) = %v", two)
	}
	// No names: empty result.
	none, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
	if err != nil {
		t.Fatalf("GetQueueAttributes without names: %v", err)
	}
	if len(none.Attributes) != 0 {
		t.Errorf("GetQueueAttributes without names = %v, want empty", none.Attributes)
	}
	// Counters: 2 visible, 1 in flight, 1 delayed.
	sendBodies(t, cl, url, "a", "b", "c")
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 600}); err != nil {
		t.Fatalf("SendMessage with delay: %v", err)
	}
	msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, VisibilityTimeout: 600})
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	waitCounts(t, cl, url, 2, 1, 1)
	_, err = cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Bogus"}})
	wantErr(t, err, "InvalidAttributeName", "GetQueueAttributes(Bogus)")
	_, err = cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(ep + "/" + testAccount + "/" + uniq("missing")), AttributeNames: []types.QueueAttributeName{"All"}})
	wantErr(t, err, "QueueDoesNotExist", "GetQueueAttributes of a missing queue")
}

// jsonEqual compares two JSON documents, treating numbers and numeric
// strings alike (AWS returns maxReceiveCount as a number).
func jsonEqual(a, b string) bool {
	norm := func(s string) any {
		var v any
		d := json.NewDecoder(bytes.NewReader([]byte(s)))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return s
		}
		var walk func(any) any
		walk = func(v any) any {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					x[k] = walk(e)
				}
			case []any:
				for i, e := range x {
					x[i] = walk(e)
				}
			case json.Number:
				return x.String()
			}
			return v
		}
		return walk(v)
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func testSetQueueAttributes(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	dlqName := uniq("setattrs-dlq")
	dlqURL := createQueue(t, cl, dlqName, nil)
	dlqArn := queueAttrs(t, cl, dlqURL, types.QueueAttributeNameQueueArn)["QueueArn"]
	url := createQueue(t, cl, uniq("setattrs"), nil)
	arn := queueAttrs(t, cl, url, types.QueueAttributeNameQueueArn)["QueueArn"]
	created := queueAttrs(t, cl, url, types.QueueAttributeNameCreatedTimestamp)["CreatedTimestamp"]
	policy := `{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"s1","Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"` + arn + `"}]}`
	set := map[string]string{
		"VisibilityTimeout":             "120",
		"DelaySeconds":                  "5",
		"MessageRetentionPeriod":        "3600",
		"MaximumMessageSize":            "2048",
		"ReceiveMessageWaitTimeSeconds": "3",
		"RedrivePolicy":                 `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"4"}`,
		"RedriveAllowPolicy":            `{"redrivePermission":"allowAll"}`,
		"Policy":                        policy,
	}
	for k, v := range set {
		if _, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{k: v}}); err != nil {
			t.Errorf("SetQueueAttributes %s=%s: %v", k, v, err)
		}
	}
	got := queueAttrs(t, cl, url)
	for k, v := range set {
		if !jsonEqual(got[k], v) {
			t.Errorf("after SetQueueAttributes: %s = %q, want %q", k, got[k], v)
		}
	}
	if got["CreatedTimestamp"] != created {
		t.Errorf("CreatedTimestamp changed from %s to %s", created, got["CreatedTimestamp"])
	}
	if lm, _ := strconv.ParseInt(got["LastModifiedTimestamp"], 10, 64); lm < mustInt(created) {
		t.Errorf("LastModifiedTimestamp %s < CreatedTimestamp %s", got["LastModifiedTimestamp"], created)
	}
	// Several at once.
	if _, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "7", "DelaySeconds": "0"}}); err != nil {
		t.Fatalf("SetQueueAttributes (two): %v", err)
	}
	two := queueAttrs(t, cl, url, types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameDelaySeconds)
	if two["VisibilityTimeout"] != "7" || two["DelaySeconds"] != "0" {
		t.Errorf("after setting two attributes: %v", two)
	}
	// Removing a redrive policy with an empty value.
	if _, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"RedrivePolicy": ""}}); err != nil {
		t.Errorf("SetQueueAttributes RedrivePolicy=\"\": %v", err)
	} else if rp, ok := queueAttrs(t, cl, url)["RedrivePolicy"]; ok && rp != "" {
		t.Errorf("RedrivePolicy after clearing = %q, want absent", rp)
	}
	// Errors change nothing.
	_, err := cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "-1"}})
	wantErr(t, err, "InvalidAttributeValue", "VisibilityTimeout=-1")
	_, err = cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "abc"}})
	wantErr(t, err, "InvalidAttributeValue", "VisibilityTimeout=abc")
	_, err = cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Bogus": "1"}})
	wantErr(t, err, "InvalidAttributeName", "Bogus=1")
	_, err = cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "9", "MaximumMessageSize": "5"}})
	wantErr(t, err, "InvalidAttributeValue", "VisibilityTimeout=9 with MaximumMessageSize=5")
	_, err = cl.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:` + uniq("nodlq") + `","maxReceiveCount":"3"}`}})
	if err == nil {
		t.Errorf("RedrivePolicy naming a missing dead-letter queue was accepted")
	}
	if v := queueAttrs(t, cl, url, types.QueueAttributeNameVisibilityTimeout)["VisibilityTimeout"]; v != "7" {
		t.Errorf("VisibilityTimeout after failed sets = %s, want 7 (a failed call must change nothing)", v)
	}
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func testSendMessageAttributes(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	// Visibility 0: every receive leaves the message visible. (The SDK
	// omits a zero VisibilityTimeout in ReceiveMessage, so the queue's
	// default is what applies.)
	url := createQueue(t, cl, uniq("msgattrs"), map[string]string{"VisibilityTimeout": "0"})
	attrs := map[string]types.MessageAttributeValue{
		"attr.s":     {DataType: aws.String("String"), StringValue: aws.String("héllo wörld")},
		"attr.n":     {DataType: aws.String("Number"), StringValue: aws.String("-12.5e3")},
		"attr.b":     {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xfe, 0xff}},
		"custom":     {DataType: aws.String("String.custom-label"), StringValue: aws.String("x")},
		"customnum":  {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
		"custom_bin": {DataType: aws.String("Binary.gif"), BinaryValue: []byte("GIF89a")},
	}
	body := "body with attributes ✓"
	out, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("SendMessage with attributes: %v", err)
	}
	if got, want := aws.ToString(out.MD5OfMessageAttributes), md5Attrs(attrs); got != want {
		t.Errorf("SendMessage MD5OfMessageAttributes = %q, want %q", got, want)
	}
	if got := aws.ToString(out.MD5OfMessageBody); got != md5Hex(body) {
		t.Errorf("MD5OfMessageBody = %q, want %q", got, md5Hex(body))
	}
	if out.MessageId == nil || len(*out.MessageId) < 8 {
		t.Errorf("MessageId = %v", out.MessageId)
	}
	// Without attributes: no MD5OfMessageAttributes.
	plain, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("plain")})
	if err != nil {
		t.Fatalf("SendMessage plain: %v", err)
	}
	if plain.MD5OfMessageAttributes != nil && *plain.MD5OfMessageAttributes != "" {
		t.Errorf("MD5OfMessageAttributes without attributes = %q, want absent", *plain.MD5OfMessageAttributes)
	}

	// Receive with All: every attribute comes back as sent.
	msgs := receive(t, cl, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		WaitTimeSeconds:             1,
	})
	var m *types.Message
	for i := range msgs {
		if aws.ToString(msgs[i].MessageId) == aws.ToString(out.MessageId) {
			m = &msgs[i]
		}
	}
	if m == nil {
		t.Fatalf("message %s not received (got %d messages)", aws.ToString(out.MessageId), len(msgs))
	}
	if aws.ToString(m.Body) != body || aws.ToString(m.MD5OfBody) != md5Hex(body) {
		t.Errorf("received body %q md5 %q", aws.ToString(m.Body), aws.ToString(m.MD5OfBody))
	}
	if len(m.MessageAttributes) != len(attrs) {
		t.Errorf("received %d attributes, want %d: %v", len(m.MessageAttributes), len(attrs), m.MessageAttributes)
	}
	for k, v := range attrs {
		g, ok := m.MessageAttributes[k]
		if !ok {
			t.Errorf("attribute %s missing", k)
			continue
		}
		if aws.ToString(g.DataType) != aws.ToString(v.DataType) || aws.ToString(g.StringValue) != aws.ToString(v.StringValue) || !bytes.Equal(g.BinaryValue, v.BinaryValue) {
			t.Errorf("attribute %s = {%s %q %x}, want {%s %q %x}", k, aws.ToString(g.DataType), aws.ToString(g.StringValue), g.BinaryValue, aws.ToString(v.DataType), aws.ToString(v.StringValue), v.BinaryValue)
		}
	}
	if got, want := aws.ToString(m.MD5OfMessageAttributes), md5Attrs(attrs); got != want {
		t.Errorf("received MD5OfMessageAttributes = %q, want %q", got, want)
	}
	sys := m.Attributes
	for _, k := range []string{"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} {
		if sys[k] == "" {
			t.Errorf("system attribute %s missing with All: %v", k, sys)
		}
	}
	if sys["ApproximateReceiveCount"] != "1" {
		t.Errorf("ApproximateReceiveCount = %q, want 1", sys["ApproximateReceiveCount"])
	}
	if st := mustInt(sys["SentTimestamp"]); st < time.Now().Add(-2*time.Minute).UnixMilli() || st > time.Now().Add(time.Minute).UnixMilli() {
		t.Errorf("SentTimestamp = %s, want epoch milliseconds near now", sys["SentTimestamp"])
	}

	// Prefix selection and named system attributes: receive again (the
	// visibility timeout was 0, so the message is visible again).
	var m2 *types.Message
	WaitFor(t, 10*time.Second, func() error {
		msgs := receive(t, cl, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			MessageAttributeNames:       []string{"attr.*"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		for i := range msgs {
			if aws.ToString(msgs[i].MessageId) == aws.ToString(out.MessageId) {
				m2 = &msgs[i]
				return nil
			}
		}
		return fmt.Errorf("message not received again yet")
	})
	subset := map[string]types.MessageAttributeValue{"attr.s": attrs["attr.s"], "attr.n": attrs["attr.n"], "attr.b": attrs["attr.b"]}
	var gotNames []string
	for k := range m2.MessageAttributes {
		gotNames = append(gotNames, k)
	}
	sort.Strings(gotNames)
	if want := []string{"attr.b", "attr.n", "attr.s"}; !reflect.DeepEqual(gotNames, want) {
		t.Errorf("attributes with attr.* = %v, want %v", gotNames, want)
	}
	if got, want := aws.ToString(m2.MD5OfMessageAttributes), md5Attrs(subset); got != want {
		t.Errorf("MD5OfMessageAttributes over attr.* = %q, want %q (MD5 of the returned subset)", got, want)
	}
	if len(m2.Attributes) != 1 || m2.Attributes["ApproximateReceiveCount"] == "" {
		t.Errorf("system attributes with [ApproximateReceiveCount] = %v, want only that one", m2.Attributes)
	}
	if n := mustInt(m2.Attributes["ApproximateReceiveCount"]); n < 2 {
		t.Errorf("ApproximateReceiveCount on second receive = %d, want >= 2", n)
	}
	// No names asked: no attributes returned.
	WaitFor(t, 10*time.Second, func() error {
		msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		for _, mm := range msgs {
			if aws.ToString(mm.MessageId) == aws.ToString(out.MessageId) {
				if len(mm.MessageAttributes) != 0 || len(mm.Attributes) != 0 || mm.MD5OfMessageAttributes != nil {
					t.Errorf("receive without attribute names returned %v / %v / md5 %v", mm.MessageAttributes, mm.Attributes, mm.MD5OfMessageAttributes)
				}
				return nil
			}
		}
		return fmt.Errorf("message not received again yet")
	})

	// Invalid attributes.
	badAttrs := map[string]map[string]types.MessageAttributeValue{
		"AWS. prefix":       {"AWS.x": {DataType: aws.String("String"), StringValue: aws.String("v")}},
		"leading dot":       {".a": {DataType: aws.String("String"), StringValue: aws.String("v")}},
		"double dot":        {"a..b": {DataType: aws.String("String"), StringValue: aws.String("v")}},
		"bad type":          {"a": {DataType: aws.String("Text"), StringValue: aws.String("v")}},
		"not a number":      {"a": {DataType: aws.String("Number"), StringValue: aws.String("abc")}},
		"missing value":     {"a": {DataType: aws.String("String")}},
		"eleven attributes": elevenAttrs(),
	}
	for what, a := range badAttrs {
		_, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: a})
		if err == nil {
			t.Errorf("SendMessage with %s: accepted, want an error", what)
			continue
		}
		wantErr(t, err, "InvalidParameterValueException", "SendMessage with "+what)
	}
}

func elevenAttrs() map[string]types.MessageAttributeValue {
	m := map[string]types.MessageAttributeValue{}
	for i := 0; i < 11; i++ {
		m[fmt.Sprintf("a%d", i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
	}
	return m
}

func testSendMessageBatch(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("sendbatch"), nil)
	var entries []types.SendMessageBatchRequestEntry
	for i := 0; i < 10; i++ {
		e := types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("e-%d", i)), MessageBody: aws.String(fmt.Sprintf("batch body %d", i))}
		if i == 3 {
			e.MessageAttributes = map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}
		}
		entries = append(entries, e)
	}
	out, err := cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(out.Successful) != 10 || len(out.Failed) != 0 {
		t.Fatalf("SendMessageBatch: %d successful, %d failed (%+v), want 10, 0", len(out.Successful), len(out.Failed), out.Failed)
	}
	for _, s := range out.Successful {
		i, _ := strconv.Atoi(strings.TrimPrefix(aws.ToString(s.Id), "e-"))
		if got := aws.ToString(s.MD5OfMessageBody); got != md5Hex(fmt.Sprintf("batch body %d", i)) {
			t.Errorf("entry %s MD5OfMessageBody = %s", aws.ToString(s.Id), got)
		}
		if i == 3 && aws.ToString(s.MD5OfMessageAttributes) != md5Attrs(entries[3].MessageAttributes) {
			t.Errorf("entry e-3 MD5OfMessageAttributes = %q, want %q", aws.ToString(s.MD5OfMessageAttributes), md5Attrs(entries[3].MessageAttributes))
		}
		if s.MessageId == nil {
			t.Errorf("entry %s has no MessageId", aws.ToString(s.Id))
		}
	}
	waitCounts(t, cl, url, 10, 0, 0)

	// Partial failure: one entry with characters SQS does not allow.
	url2 := createQueue(t, cl, uniq("sendbatch-partial"), nil)
	out, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url2), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("good1"), MessageBody: aws.String("fine")},
		{Id: aws.String("bad"), MessageBody: aws.String("nul \x00 char")},
		{Id: aws.String("good2"), MessageBody: aws.String("also fine"), DelaySeconds: 0},
	}})
	if err != nil {
		t.Fatalf("SendMessageBatch with one invalid entry: whole call failed (%v), want partial success with HTTP 200", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 {
		t.Fatalf("partial batch: %d successful, %d failed, want 2, 1 (%+v)", len(out.Successful), len(out.Failed), out.Failed)
	}
	f := out.Failed[0]
	if aws.ToString(f.Id) != "bad" || !f.SenderFault || aws.ToString(f.Code) != "InvalidMessageContents" {
		t.Errorf("failed entry = {Id %q SenderFault %v Code %q Message %q}, want {bad true InvalidMessageContents}", aws.ToString(f.Id), f.SenderFault, aws.ToString(f.Code), aws.ToString(f.Message))
	}
	waitCounts(t, cl, url2, 2, 0, 0)

	// Per-entry delay beyond 900 s fails that entry only.
	url3 := createQueue(t, cl, uniq("sendbatch-delay"), nil)
	out, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url3), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("ok"), MessageBody: aws.String("fine")},
		{Id: aws.String("late"), MessageBody: aws.String("too late"), DelaySeconds: 901},
	}})
	switch {
	case err != nil:
		// AWS validates DelaySeconds as a request parameter: a whole-call
		// InvalidParameterValue is acceptable; then nothing was sent.
		wantErr(t, err, "InvalidParameterValueException", "SendMessageBatch entry with DelaySeconds=901")
		waitCounts(t, cl, url3, 0, 0, 0)
	default:
		if len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "late" {
			t.Errorf("batch with DelaySeconds=901 entry: successful %d, failed %+v", len(out.Successful), out.Failed)
		}
	}
}

func testSendMessageBatchTooBig(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	// Queue limit 1024 bytes: a 2000-byte entry may not be sent. AWS either
	// fails that entry (InvalidParameterValue) or rejects the whole batch
	// (BatchRequestTooLong); either way nothing else may be half-written.
	url := createQueue(t, cl, uniq("sendbatch-big"), map[string]string{"MaximumMessageSize": "1024"})
	out, err := cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("small"), MessageBody: aws.String("small")},
		{Id: aws.String("big"), MessageBody: aws.String(strings.Repeat("b", 2000))},
	}})
	if err != nil {
		wantErr(t, err, "BatchRequestTooLong", "SendMessageBatch with a 2000-byte entry on a 1024-byte queue")
		waitCounts(t, cl, url, 0, 0, 0)
	} else {
		if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "small" || len(out.Failed) != 1 {
			t.Fatalf("batch with one too-big entry: successful %+v failed %+v", out.Successful, out.Failed)
		}
		if f := out.Failed[0]; aws.ToString(f.Id) != "big" || !f.SenderFault || aws.ToString(f.Code) != "InvalidParameterValue" {
			t.Errorf("failed entry = {%q %v %q %q}, want {big true InvalidParameterValue}", aws.ToString(f.Id), f.SenderFault, aws.ToString(f.Code), aws.ToString(f.Message))
		}
		waitCounts(t, cl, url, 1, 0, 0)
	}
	// A batch whose total passes 1 MiB is rejected whole.
	url2 := createQueue(t, cl, uniq("sendbatch-huge"), nil)
	half := strings.Repeat("h", 600*1024)
	_, err = cl.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url2), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String(half)},
		{Id: aws.String("b"), MessageBody: aws.String(half)},
	}})
	wantErr(t, err, "BatchRequestTooLong", "SendMessageBatch of 2 x 600 KiB")
	waitCounts(t, cl, url2, 0, 0, 0)
}

func testReceiveMessage(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("receive"), nil)
	want := map[string]bool{}
	var bodies []string
	for i := 0; i < 15; i++ {
		b := fmt.Sprintf("m%02d", i)
		bodies = append(bodies, b)
		want[b] = true
	}
	sendBatched(t, cl, url, bodies)
	// Default MaxNumberOfMessages is 1.
	one := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 300})
	if len(one) != 1 {
		t.Fatalf("receive with default max returned %d messages, want 1", len(one))
	}
	got := map[string]bool{aws.ToString(one[0].Body): true}
	handles := map[string]bool{aws.ToString(one[0].ReceiptHandle): true}
	for len(got) < 15 {
		msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 1})
		if len(msgs) == 0 {
			t.Fatalf("received %d of 15 messages, then an empty receive with 300 s visibility", len(got))
		}
		if len(msgs) > 10 {
			t.Fatalf("receive with max 10 returned %d", len(msgs))
		}
		for _, m := range msgs {
			b := aws.ToString(m.Body)
			if got[b] {
				t.Errorf("message %s received twice while in flight", b)
			}
			if !want[b] {
				t.Errorf("received unknown body %q", b)
			}
			if aws.ToString(m.MD5OfBody) != md5Hex(b) {
				t.Errorf("MD5OfBody of %s = %s", b, aws.ToString(m.MD5OfBody))
			}
			if handles[aws.ToString(m.ReceiptHandle)] || aws.ToString(m.ReceiptHandle) == "" {
				t.Errorf("receipt handle %q empty or reused", aws.ToString(m.ReceiptHandle))
			}
			got[b] = true
			handles[aws.ToString(m.ReceiptHandle)] = true
		}
	}
	// Everything is in flight: an immediate receive returns nothing.
	if msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}); len(msgs) != 0 {
		t.Errorf("receive with every message in flight returned %d messages", len(msgs))
	}
	waitCounts(t, cl, url, 0, 15, 0)
	for _, bad := range []int32{11, -1} {
		_, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: bad})
		wantErr(t, err, "InvalidParameterValueException", fmt.Sprintf("ReceiveMessage MaxNumberOfMessages=%d", bad))
	}
	_, err := cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
	wantErr(t, err, "InvalidParameterValueException", "ReceiveMessage WaitTimeSeconds=21")
	_, err = cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 43201})
	wantErr(t, err, "InvalidParameterValueException", "ReceiveMessage VisibilityTimeout=43201")
	_, err = cl.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(ep + "/" + testAccount + "/" + uniq("missing"))})
	wantErr(t, err, "QueueDoesNotExist", "ReceiveMessage on a missing queue")
}

// sendBatched sends bodies in batches of 10 and fails on any failure.
func sendBatched(t testing.TB, cl *sqs.Client, url string, bodies []string) {
	t.Helper()
	for start := 0; start < len(bodies); start += 10 {
		end := min(start+10, len(bodies))
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < end; i++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(bodies[i])})
		}
		out, err := cl.SendMessageBatch(ctxT(t, 30*time.Second), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			t.Fatalf("SendMessageBatch: %v", err)
		}
		if len(out.Failed) != 0 || len(out.Successful) != end-start {
			t.Fatalf("SendMessageBatch: failed %+v", out.Failed)
		}
	}
}

func testDeleteMessage(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("deletemsg"), nil)
	sendBatched(t, cl, url, []string{"d1", "d2", "d3", "d4"})
	var msgs []types.Message
	for len(msgs) < 4 {
		got := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 1})
		if len(got) == 0 {
			t.Fatalf("only %d of 4 messages received", len(msgs))
		}
		msgs = append(msgs, got...)
	}
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	// Deleting again with the same handle succeeds (AWS: idempotent).
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage with the same handle: %v (AWS accepts it)", err)
	}
	waitCounts(t, cl, url, 0, 3, 0)
	_, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage-handle")})
	wantErr(t, err, "ReceiptHandleIsInvalid", "DeleteMessage with a garbage handle")
	_, err = cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("")})
	if err == nil {
		t.Error("DeleteMessage with an empty handle succeeded")
	}
	// Batch: two good handles and one garbage one.
	out, err := cl.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: msgs[1].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: msgs[2].ReceiptHandle},
		{Id: aws.String("c"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil {
		t.Fatalf("DeleteMessageBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 {
		t.Fatalf("DeleteMessageBatch: successful %d failed %+v, want 2, 1", len(out.Successful), out.Failed)
	}
	if f := out.Failed[0]; aws.ToString(f.Id) != "c" || aws.ToString(f.Code) != "ReceiptHandleIsInvalid" || !f.SenderFault {
		t.Errorf("failed delete entry = {%q %q %v}, want {c ReceiptHandleIsInvalid true}", aws.ToString(f.Id), aws.ToString(f.Code), f.SenderFault)
	}
	waitCounts(t, cl, url, 0, 1, 0)
	// The last one: make it visible, receive it again, and delete with the
	// new handle; the queue ends empty.
	if _, err := cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[3].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility to 0: %v", err)
	}
	again := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 300, WaitTimeSeconds: 5})
	if len(again) != 1 || aws.ToString(again[0].Body) != aws.ToString(msgs[3].Body) {
		t.Fatalf("re-receive after visibility 0: %d messages", len(again))
	}
	if _, err := cl.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with the new handle: %v", err)
	}
	waitCounts(t, cl, url, 0, 0, 0)
}

func testChangeMessageVisibility(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("cmv"), nil)
	sendBatched(t, cl, url, []string{"v1", "v2", "v3"})
	var msgs []types.Message
	for len(msgs) < 3 {
		got := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 1})
		if len(got) == 0 {
			t.Fatalf("only %d of 3 received", len(msgs))
		}
		msgs = append(msgs, got...)
	}
	// Single: back to visible now.
	if _, err := cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility: %v", err)
	}
	got := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 5})
	if len(got) != 1 || aws.ToString(got[0].MessageId) != aws.ToString(msgs[0].MessageId) {
		t.Fatalf("after ChangeMessageVisibility 0: received %d messages, want exactly %s", len(got), aws.ToString(msgs[0].Body))
	}
	// Batch: two to 0, one garbage handle.
	out, err := cl.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("b"), ReceiptHandle: msgs[2].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("c"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 0},
	}})
	if err != nil {
		t.Fatalf("ChangeMessageVisibilityBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch: successful %d failed %+v, want 2 and one ReceiptHandleIsInvalid", len(out.Successful), out.Failed)
	}
	waitCounts(t, cl, url, 2, 1, 0)
	// Extend: the message stays invisible.
	if _, err := cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 900}); err != nil {
		t.Fatalf("ChangeMessageVisibility extend: %v", err)
	}
	_, err = cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 43201})
	wantErr(t, err, "InvalidParameterValueException", "ChangeMessageVisibility 43201")
	_, err = cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 10})
	wantErr(t, err, "ReceiptHandleIsInvalid", "ChangeMessageVisibility with a garbage handle")
	// A handle whose message is no longer in flight: MessageNotInflight.
	// msgs[1] was made visible by the batch above and not received since.
	_, err = cl.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 10})
	wantErr(t, err, "MessageNotInflight", "ChangeMessageVisibility on a message that is not in flight")
}

func testPurgeQueue(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	url := createQueue(t, cl, uniq("purge"), nil)
	sendBatched(t, cl, url, []string{"p1", "p2", "p3", "p4", "p5"})
	if msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 2, VisibilityTimeout: 600}); len(msgs) == 0 {
		t.Fatal("nothing received before purge")
	}
	if _, err := cl.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("PurgeQueue: %v", err)
	}
	waitCounts(t, cl, url, 0, 0, 0)
	if msgs := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}); len(msgs) != 0 {
		t.Errorf("receive after purge returned %d messages", len(msgs))
	}
	_, err := cl.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	wantErr(t, err, "PurgeQueueInProgress", "second PurgeQueue within 60 s")
	// The queue still works after a purge.
	sendBodies(t, cl, url, "after purge")
	waitCounts(t, cl, url, 1, 0, 0)
	_, err = cl.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(ep + "/" + testAccount + "/" + uniq("missing"))})
	wantErr(t, err, "QueueDoesNotExist", "PurgeQueue on a missing queue")
}

func testListDeadLetterSourceQueues(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	dlqURL := createQueue(t, cl, uniq("dlsrc-dlq"), nil)
	dlqArn := queueAttrs(t, cl, dlqURL, types.QueueAttributeNameQueueArn)["QueueArn"]
	rp := `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"5"}`
	var want []string
	for i := 0; i < 3; i++ {
		want = append(want, createQueue(t, cl, uniq(fmt.Sprintf("dlsrc-src%d", i)), map[string]string{"RedrivePolicy": rp}))
	}
	createQueue(t, cl, uniq("dlsrc-unrelated"), nil)
	sort.Strings(want)
	out, err := cl.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlqURL)})
	if err != nil {
		t.Fatalf("ListDeadLetterSourceQueues: %v", err)
	}
	got := append([]string(nil), out.QueueUrls...)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListDeadLetterSourceQueues = %v, want %v", got, want)
	}
	// Paging.
	var paged []string
	var token *string
	for pages := 0; pages < 5; pages++ {
		out, err := cl.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlqURL), MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatalf("ListDeadLetterSourceQueues page: %v", err)
		}
		paged = append(paged, out.QueueUrls...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	sort.Strings(paged)
	if !reflect.DeepEqual(paged, want) {
		t.Errorf("paged ListDeadLetterSourceQueues = %v, want %v", paged, want)
	}
	// A queue that is nobody's DLQ has no sources.
	out, err = cl.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(want[0])})
	if err != nil {
		t.Fatalf("ListDeadLetterSourceQueues(source): %v", err)
	}
	if len(out.QueueUrls) != 0 {
		t.Errorf("ListDeadLetterSourceQueues of a source queue = %v, want none", out.QueueUrls)
	}
}

func testTags(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 30*time.Second)
	url := createQueue(t, cl, uniq("tags"), nil)
	tags := func() map[string]string {
		out, err := cl.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil {
			t.Fatalf("ListQueueTags: %v", err)
		}
		return out.Tags
	}
	if got := tags(); len(got) != 0 {
		t.Errorf("tags of a new queue = %v", got)
	}
	if _, err := cl.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"env": "test", "team": "wharf", "empty": ""}}); err != nil {
		t.Fatalf("TagQueue: %v", err)
	}
	if got := tags(); !reflect.DeepEqual(got, map[string]string{"env": "test", "team": "wharf", "empty": ""}) {
		t.Errorf("tags = %v", got)
	}
	if _, err := cl.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatalf("TagQueue overwrite: %v", err)
	}
	if _, err := cl.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"team", "never-set"}}); err != nil {
		t.Fatalf("UntagQueue: %v", err)
	}
	if got := tags(); !reflect.DeepEqual(got, map[string]string{"env": "prod", "empty": ""}) {
		t.Errorf("tags after overwrite and untag = %v, want env=prod empty=", got)
	}
	_, err := cl.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(ep + "/" + testAccount + "/" + uniq("missing")), Tags: map[string]string{"a": "b"}})
	wantErr(t, err, "QueueDoesNotExist", "TagQueue on a missing queue")
}

func testVisibilityExpiry(t *testing.T, cl *sqs.Client, ep string) {
	// Queue default visibility 2 s; the message comes back by itself.
	url := createQueue(t, cl, uniq("visexpiry"), map[string]string{"VisibilityTimeout": "2"})
	ids := sendBodies(t, cl, url, "comes back")
	first := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
	if len(first) != 1 || aws.ToString(first[0].MessageId) != ids[0] {
		t.Fatalf("first receive: %d messages", len(first))
	}
	received := time.Now()
	if m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); len(m) != 0 && time.Since(received) < 1500*time.Millisecond {
		t.Fatalf("message visible again %v after a receive with 2 s visibility", time.Since(received))
	}
	var again []types.Message
	WaitFor(t, 15*time.Second, func() error {
		again = receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
		if len(again) == 0 {
			return fmt.Errorf("message not visible again yet")
		}
		return nil
	})
	if el := time.Since(received); el < 1500*time.Millisecond {
		t.Errorf("message came back after %v, before its 2 s visibility timeout", el)
	}
	if aws.ToString(again[0].MessageId) != ids[0] || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("second receive: id %s count %s, want %s and 2", aws.ToString(again[0].MessageId), again[0].Attributes["ApproximateReceiveCount"], ids[0])
	}
	if aws.ToString(again[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Error("second receive returned the same receipt handle")
	}
	// Per-receive visibility overrides the queue's: 1 s.
	if _, err := cl.ChangeMessageVisibility(ctxT(t, 10*time.Second), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: again[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility: %v", err)
	}
	third := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, VisibilityTimeout: 1})
	if len(third) != 1 {
		t.Fatalf("third receive: %d messages", len(third))
	}
	// The old handle from the first receive must not delete the message
	// now in flight under a newer receive (AWS: may succeed, but must not
	// affect the newer lease). It may fail or succeed; the message must
	// still come back.
	_, _ = cl.DeleteMessage(ctxT(t, 10*time.Second), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle})
	WaitFor(t, 15*time.Second, func() error {
		m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1, VisibilityTimeout: 30})
		if len(m) == 0 {
			return fmt.Errorf("message not back after its 1 s receive visibility (or deleted by a stale handle)")
		}
		return nil
	})
}

func testDelay(t *testing.T, cl *sqs.Client, ep string) {
	ctx := ctxT(t, 60*time.Second)
	// Queue delay 2 s.
	url := createQueue(t, cl, uniq("delayq"), map[string]string{"DelaySeconds": "2"})
	sent := time.Now()
	sendBodies(t, cl, url, "delayed by the queue")
	if m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); len(m) != 0 && time.Since(sent) < 1500*time.Millisecond {
		t.Errorf("message of a 2 s delay queue visible immediately")
	}
	v, _, d, err := counts(cl, url)
	if time.Since(sent) < 1500*time.Millisecond && (err != nil || v != "0" || d != "1") {
		t.Errorf("counts during delay: visible %s delayed %s (%v), want 0 and 1", v, d, err)
	}
	WaitFor(t, 15*time.Second, func() error {
		if len(receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1, VisibilityTimeout: 60})) == 0 {
			return fmt.Errorf("delayed message not visible yet")
		}
		return nil
	})
	if el := time.Since(sent); el < 1500*time.Millisecond {
		t.Errorf("queue-delayed message visible after %v, want >= 2 s", el)
	}
	// Per-message delay on a queue without delay.
	url2 := createQueue(t, cl, uniq("delaymsg"), nil)
	sent = time.Now()
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url2), MessageBody: aws.String("delayed 2 s"), DelaySeconds: 2}); err != nil {
		t.Fatalf("SendMessage with DelaySeconds: %v", err)
	}
	sendBodies(t, cl, url2, "not delayed")
	first := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url2), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
	if (len(first) != 1 || aws.ToString(first[0].Body) != "not delayed") && time.Since(sent) < 1500*time.Millisecond {
		t.Errorf("immediate receive: %d messages, want only the undelayed one", len(first))
	}
	WaitFor(t, 15*time.Second, func() error {
		m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url2), WaitTimeSeconds: 1, VisibilityTimeout: 60})
		if len(m) == 0 {
			return fmt.Errorf("per-message delayed message not visible yet")
		}
		if aws.ToString(m[0].Body) != "delayed 2 s" {
			return fmt.Errorf("unexpected body %q", aws.ToString(m[0].Body))
		}
		return nil
	})
	if el := time.Since(sent); el < 1500*time.Millisecond {
		t.Errorf("per-message delayed message visible after %v, want >= 2 s", el)
	}
	// A per-message delay of 0 overrides a long queue delay.
	url3 := createQueue(t, cl, uniq("delayoverride"), map[string]string{"DelaySeconds": "600"})
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url3), MessageBody: aws.String("now"), DelaySeconds: 0}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	// The SDK omits DelaySeconds=0 (zero value), so the queue delay applies
	// here; send with delay 1 explicitly instead to prove the override.
	if _, err := cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url3), MessageBody: aws.String("soon"), DelaySeconds: 1}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	WaitFor(t, 15*time.Second, func() error {
		m := receive(t, cl, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url3), WaitTimeSeconds: 1, VisibilityTimeout: 60})
		if len(m) == 0 {
			return fmt.Errorf("message with DelaySeconds=1 on a 600 s delay queue not visible yet")
		}
		if aws.ToString(m[0].Body) != "soon" {
			return fmt.Errorf("got %q, want the message sent with DelaySeconds=1", aws.ToString(m[0].Body))
		}
		return nil
	})
	_, err = cl.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url3), MessageBody: aws.String("x"), DelaySeconds: 901})
	wantErr(t, err, "InvalidParameterValueException", "SendMessage DelaySeconds=901")
}
