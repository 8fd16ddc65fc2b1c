package main

// The no-op SQS/SNS endpoint: the ceiling of the SDK loop on this machine.
// It answers the few actions the benchmark calls with valid answers and
// stores nothing.

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// noopAccount and noopRegion name the no-op endpoint's queues and topics.
const (
	noopAccount = "000000000000"
	noopRegion  = "us-east-1"
)

// noopServer answers AWS JSON 1.0 SQS (X-Amz-Target AmazonSQS.*) and SNS
// query requests (Action=...) without doing anything.
type noopServer struct {
	ids atomic.Uint64
	// receives[n] is the canned ReceiveMessage answer of n messages.
	receives [11][]byte
}

// newNoopServer returns the no-op endpoint's handler.
func newNoopServer() *noopServer {
	s := &noopServer{}
	body := benchBody(100)
	for n := 1; n <= 10; n++ {
		var msgs []map[string]string
		for i := 0; i < n; i++ {
			msgs = append(msgs, map[string]string{
				"MessageId":     s.newID(),
				"ReceiptHandle": "noop-receipt-" + strconv.Itoa(i),
				"MD5OfBody":     md5Hex(body),
				"Body":          body,
			})
		}
		s.receives[n], _ = json.Marshal(map[string]any{"Messages": msgs})
	}
	return s
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newID returns a new message ID shaped like a UUID.
func (s *noopServer) newID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", s.ids.Add(1))
}

// ServeHTTP dispatches on the protocol: a target header is SQS JSON,
// anything else SNS query.
func (s *noopServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveSQS(w, r, strings.TrimPrefix(target, "AmazonSQS."))
		return
	}
	s.serveSNS(w, r)
}

// noopSQSRequest holds the fields of every SQS action the endpoint knows.
type noopSQSRequest struct {
	QueueName   string
	QueueURL    string `json:"QueueUrl"`
	MessageBody string
	Entries     []struct {
		ID            string `json:"Id"`
		MessageBody   string
		ReceiptHandle string
	}
	MaxNumberOfMessages int
}

func (s *noopServer) serveSQS(w http.ResponseWriter, r *http.Request, action string) {
	var in noopSQSRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil && err != io.EOF {
		sqsNoopError(w, "InvalidParameterValue", "the body is not JSON: "+err.Error())
		return
	}
	var out any
	switch action {
	case "CreateQueue", "GetQueueUrl":
		out = map[string]string{"QueueUrl": "http://" + r.Host + "/" + noopAccount + "/" + in.QueueName}
	case "SendMessage":
		out = map[string]string{"MessageId": s.newID(), "MD5OfMessageBody": md5Hex(in.MessageBody)}
	case "SendMessageBatch":
		ok := make([]map[string]string, len(in.Entries))
		for i, e := range in.Entries {
			ok[i] = map[string]string{"Id": e.ID, "MessageId": s.newID(), "MD5OfMessageBody": md5Hex(e.MessageBody)}
		}
		out = map[string]any{"Successful": ok, "Failed": []any{}}
	case "ReceiveMessage":
		n := min(max(in.MaxNumberOfMessages, 1), 10)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(s.receives[n])
		return
	case "DeleteMessageBatch":
		ok := make([]map[string]string, len(in.Entries))
		for i, e := range in.Entries {
			ok[i] = map[string]string{"Id": e.ID}
		}
		out = map[string]any{"Successful": ok, "Failed": []any{}}
	case "DeleteQueue":
		out = struct{}{}
	default:
		sqsNoopError(w, "UnsupportedOperation", "the no-op endpoint does not implement "+action)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func sqsNoopError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", "AWS.SimpleQueueService."+code+";Sender")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

func (s *noopServer) serveSNS(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		snsNoopError(w, "InvalidParameter", err.Error())
		return
	}
	action := r.Form.Get("Action")
	var result string
	switch action {
	case "CreateTopic":
		result = "<TopicArn>" + noopTopicArn(r.Form.Get("Name")) + "</TopicArn>"
	case "Subscribe":
		result = "<SubscriptionArn>" + html.EscapeString(r.Form.Get("TopicArn")) + ":" + s.newID() + "</SubscriptionArn>"
	case "Publish":
		result = "<MessageId>" + s.newID() + "</MessageId>"
	case "PublishBatch":
		var b strings.Builder
		b.WriteString("<Successful>")
		for i := 1; ; i++ {
			id, ok := r.Form["PublishBatchRequestEntries.member."+strconv.Itoa(i)+".Id"]
			if !ok {
				break
			}
			fmt.Fprintf(&b, "<member><Id>%s</Id><MessageId>%s</MessageId></member>", html.EscapeString(id[0]), s.newID())
		}
		b.WriteString("</Successful><Failed/>")
		result = b.String()
	case "DeleteTopic":
	default:
		snsNoopError(w, "InvalidAction", "the no-op endpoint does not implement "+action)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><%sResult>%s</%sResult>`+
		`<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, action, result, action, s.newID(), action)
}

func noopTopicArn(name string) string {
	return "arn:aws:sns:" + noopRegion + ":" + noopAccount + ":" + html.EscapeString(name)
}

func snsNoopError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>noop</RequestId></ErrorResponse>`, code, html.EscapeString(msg))
}
