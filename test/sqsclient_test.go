package test

// Helpers around aws-sdk-go-v2's SQS client: construction, AWS error
// assertions and the message-attribute MD5.

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

const (
	testAccount = "000000000000"
	testRegion  = "us-east-1"
)

// sdkHTTP is shared by every SDK client of the tests.
var sdkHTTP = &http.Client{
	Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	},
}

var staticCreds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "x", SecretAccessKey: "x", Source: "wharf-test"}, nil
})

// newSQS returns an SQS client (JSON protocol) for one endpoint. The API
// tests check semantics, not availability: on a busy 2-core machine a raft
// election can answer 503 for a second or two, so retryable errors are
// retried up to 10 times with backoff up to 1 s (the SDK default is 3).
func newSQS(endpoint string, opts ...func(*sqs.Options)) *sqs.Client {
	o := sqs.Options{
		Region:       testRegion,
		Credentials:  staticCreds,
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   sdkHTTP,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.MaxBackoff = time.Second
			so.RateLimiter = ratelimit.None
		}),
	}
	for _, f := range opts {
		f(&o)
	}
	return sqs.New(o)
}

// queryCodes maps the JSON error shape to the query-protocol code that AWS
// sends in x-amzn-query-error, which aws-sdk-go-v2 reports as ErrorCode().
var queryCodes = map[string]string{
	"QueueDoesNotExist":                 "AWS.SimpleQueueService.NonExistentQueue",
	"QueueNameExists":                   "QueueAlreadyExists",
	"QueueDeletedRecently":              "AWS.SimpleQueueService.QueueDeletedRecently",
	"PurgeQueueInProgress":              "AWS.SimpleQueueService.PurgeQueueInProgress",
	"MessageNotInflight":                "AWS.SimpleQueueService.MessageNotInflight",
	"BatchEntryIdsNotDistinct":          "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	"BatchRequestTooLong":               "AWS.SimpleQueueService.BatchRequestTooLong",
	"EmptyBatchRequest":                 "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId":               "AWS.SimpleQueueService.InvalidBatchEntryId",
	"TooManyEntriesInBatchRequest":      "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	"UnsupportedOperation":              "AWS.SimpleQueueService.UnsupportedOperation",
	"InvalidParameterValueException":    "InvalidParameterValue",
	"MissingRequiredParameterException": "MissingParameter",
}

// modeled are the error shapes the SDK deserializes into typed errors.
var modeled = map[string]bool{
	"BatchEntryIdsNotDistinct": true, "BatchRequestTooLong": true, "EmptyBatchRequest": true,
	"InvalidAttributeName": true, "InvalidAttributeValue": true, "InvalidBatchEntryId": true,
	"InvalidIdFormat": true, "InvalidMessageContents": true, "MessageNotInflight": true,
	"OverLimit": true, "PurgeQueueInProgress": true, "QueueDeletedRecently": true,
	"QueueDoesNotExist": true, "QueueNameExists": true, "ReceiptHandleIsInvalid": true,
	"TooManyEntriesInBatchRequest": true, "UnsupportedOperation": true,
}

// queryCode is the query-protocol code of a JSON error shape.
func queryCode(shape string) string {
	if q, ok := queryCodes[shape]; ok {
		return q
	}
	return shape
}

// wantErr asserts that err is the AWS error whose JSON shape is shape: the
// SDK must decode it into the typed error (for modeled shapes) and report
// the query-compatible code (from x-amzn-query-error) as ErrorCode().
func wantErr(t testing.TB, err error, shape string, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got success, want error %s", what, shape)
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got non-API error %T %v, want %s", what, err, err, shape)
		return
	}
	if got, want := ae.ErrorCode(), queryCode(shape); got != want {
		t.Errorf("%s: ErrorCode() = %q (%T: %v), want %q (shape %s)", what, got, ae, err, want, shape)
	}
	if modeled[shape] {
		if got := fmt.Sprintf("%T", ae); got != "*types."+shape {
			t.Errorf("%s: error type %s, want *types.%s (err: %v)", what, got, shape, err)
		}
	}
	if ae.ErrorFault() == smithy.FaultServer {
		t.Errorf("%s: fault is Server, want Client (err: %v)", what, err)
	}
}

// md5Attrs computes MD5OfMessageAttributes the AWS way.
func md5Attrs(attrs map[string]types.MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	put := func(b []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(b)))
		h.Write(l[:])
		h.Write(b)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(aws.ToString(a.DataType)))
		if a.BinaryValue != nil || strings.HasPrefix(aws.ToString(a.DataType), "Binary") {
			h.Write([]byte{2})
			put(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			put([]byte(aws.ToString(a.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// createQueue creates a queue and fails the test on error.
func createQueue(t testing.TB, cl *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := cl.CreateQueue(ctxT(t, 30*time.Second), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// queueAttrs reads the given attributes (All when none).
func queueAttrs(t testing.TB, cl *sqs.Client, url string, names ...types.QueueAttributeName) map[string]string {
	t.Helper()
	if len(names) == 0 {
		names = []types.QueueAttributeName{types.QueueAttributeNameAll}
	}
	out, err := cl.GetQueueAttributes(ctxT(t, 30*time.Second), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	return out.Attributes
}

// counts returns ApproximateNumberOfMessages, ...NotVisible, ...Delayed.
func counts(cl *sqs.Client, url string) (visible, notVisible, delayed string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return "", "", "", err
	}
	a := out.Attributes
	return a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"], nil
}

// waitCounts polls until the queue's three counters have the wanted values.
func waitCounts(t testing.TB, cl *sqs.Client, url string, visible, notVisible, delayed int) {
	t.Helper()
	want := fmt.Sprintf("%d/%d/%d", visible, notVisible, delayed)
	WaitFor(t, 15*time.Second, func() error {
		v, nv, d, err := counts(cl, url)
		if err != nil {
			return err
		}
		if got := v + "/" + nv + "/" + d; got != want {
			return fmt.Errorf("%s: visible/notVisible/delayed = %s, want %s", url, got, want)
		}
		return nil
	})
}

// receive does one ReceiveMessage call.
func receive(t testing.TB, cl *sqs.Client, in *sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := cl.ReceiveMessage(ctxT(t, 40*time.Second), in)
	if err != nil {
		t.Fatalf("ReceiveMessage %s: %v", aws.ToString(in.QueueUrl), err)
	}
	return out.Messages
}

// sendBodies sends each body with SendMessage and returns the message IDs.
func sendBodies(t testing.TB, cl *sqs.Client, url string, bodies ...string) []string {
	t.Helper()
	var ids []string
	for _, b := range bodies {
		out, err := cl.SendMessage(ctxT(t, 30*time.Second), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)})
		if err != nil {
			t.Fatalf("SendMessage %s: %v", url, err)
		}
		if got := aws.ToString(out.MD5OfMessageBody); got != md5Hex(b) {
			t.Fatalf("SendMessage MD5OfMessageBody = %s, want %s", got, md5Hex(b))
		}
		ids = append(ids, aws.ToString(out.MessageId))
	}
	return ids
}
