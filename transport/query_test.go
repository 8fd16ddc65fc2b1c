package transport

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

func TestQueryProtocol(t *testing.T) {
	srv, mem := newTestServer(t)
	acct := "/" + testAccount

	r := postQuery(t, srv.URL, "/", form("Action", "CreateQueue", "Version", "2012-11-05", "QueueName", "q1",
		"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "60",
		"Tag.1.Key", "team", "Tag.1.Value", "blue"))
	if r.status != 200 || !strings.HasPrefix(r.body, `<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>`+srv.URL+acct+`/q1</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>`) {
		t.Fatalf("CreateQueue: %d %s", r.status, r.body)
	}
	if r.header.Get("Content-Type") != "text/xml" || r.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("headers: %v", r.header)
	}
	for key, q := range mem.queues {
		if key.Region != "us-east-1" || q.attrs["VisibilityTimeout"] != "60" || q.tags["team"] != "blue" {
			t.Fatalf("queue %+v %+v", key, q)
		}
	}

	// SendMessage POSTed to the queue URL, without a QueueUrl parameter.
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "SendMessage", "MessageBody", "hello <&> \"x\"\r\n",
		"DelaySeconds", "0",
		"MessageAttribute.1.Name", "color", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "blue",
		"MessageAttribute.2.Name", "blob", "MessageAttribute.2.Value.DataType", "Binary",
		"MessageAttribute.2.Value.BinaryValue", base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}),
		"MessageSystemAttribute.1.Name", "AWSTraceHeader", "MessageSystemAttribute.1.Value.DataType", "String",
		"MessageSystemAttribute.1.Value.StringValue", "Root=1"))
	if r.status != 200 || between(r.body, "MD5OfMessageBody") != md5Hex("hello <&> \"x\"\r\n") ||
		between(r.body, "MessageId") == "" || between(r.body, "MD5OfMessageAttributes") == "" || between(r.body, "MD5OfMessageSystemAttributes") == "" {
		t.Fatalf("SendMessage: %d %s", r.status, r.body)
	}
	if e := mem.lastSend.Entries[0]; e.DelaySeconds != 0 || e.Attributes["blob"].BinaryValue[3] != 255 || e.SystemAttributes["AWSTraceHeader"].StringValue != "Root=1" {
		t.Fatalf("backend got %+v", e)
	}
	sentAttrsMD5 := between(r.body, "MD5OfMessageAttributes")

	r = postQuery(t, srv.URL, "/", form("Action", "SendMessageBatch", "QueueUrl", "http://elsewhere:1234"+acct+"/q1",
		"SendMessageBatchRequestEntry.1.Id", "a", "SendMessageBatchRequestEntry.1.MessageBody", "one",
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name", "n", "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType", "Number",
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue", "7",
		"SendMessageBatchRequestEntry.2.Id", "b", "SendMessageBatchRequestEntry.2.MessageBody", "\x01"))
	if r.status != 200 || !strings.Contains(r.body, "<SendMessageBatchResultEntry><Id>a</Id><MD5OfMessageBody>"+md5Hex("one")+"</MD5OfMessageBody><MD5OfMessageAttributes>") ||
		!strings.Contains(r.body, "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>InvalidMessageContents</Code><Message>") {
		t.Fatalf("SendMessageBatch: %d %s", r.status, r.body)
	}

	// Legacy GET with a query string.
	req, _ := http.NewRequest("GET", srv.URL+acct+"/q1?Action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=All&MessageAttributeName.1=All&WaitTimeSeconds=0", nil)
	r = do(t, req)
	if r.status != 200 {
		t.Fatalf("ReceiveMessage: %d %s", r.status, r.body)
	}
	var recv struct {
		XMLName xml.Name `xml:"ReceiveMessageResponse"`
		Result  struct {
			Messages []struct {
				MessageId              string
				ReceiptHandle          string
				MD5OfBody              string
				Body                   string
				Attribute              []struct{ Name, Value string }
				MD5OfMessageAttributes string
				MessageAttribute       []struct {
					Name  string
					Value struct{ StringValue, BinaryValue, DataType string }
				}
			} `xml:"Message"`
		} `xml:"ReceiveMessageResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(r.body), &recv); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if len(recv.Result.Messages) != 2 || recv.RequestID == "" {
		t.Fatalf("ReceiveMessage: %s", r.body)
	}
	m := recv.Result.Messages[0]
	if m.Body != "hello <&> \"x\"\r\n" || m.MD5OfBody != md5Hex(m.Body) || m.MD5OfMessageAttributes != sentAttrsMD5 {
		t.Fatalf("message: %+v\n%s", m, r.body)
	}
	if len(m.MessageAttribute) != 2 || m.MessageAttribute[0].Name != "blob" || m.MessageAttribute[0].Value.BinaryValue != "AAEC/w==" ||
		m.MessageAttribute[1].Value.StringValue != "blue" || m.MessageAttribute[1].Value.DataType != "String" {
		t.Fatalf("message attributes: %+v", m.MessageAttribute)
	}
	attrs := map[string]string{}
	for _, a := range m.Attribute {
		attrs[a.Name] = a.Value
	}
	if attrs["SenderId"] != testAccount || attrs["AWSTraceHeader"] != "Root=1" || attrs["ApproximateReceiveCount"] != "1" {
		t.Fatalf("system attributes: %v", attrs)
	}

	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "DeleteMessageBatch",
		"DeleteMessageBatchRequestEntry.1.Id", "x", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", m.ReceiptHandle,
		"DeleteMessageBatchRequestEntry.2.Id", "y", "DeleteMessageBatchRequestEntry.2.ReceiptHandle", "garbage"))
	if r.status != 200 || !strings.Contains(r.body, "<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>x</Id></DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>y</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code>") {
		t.Fatalf("DeleteMessageBatch: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "ChangeMessageVisibilityBatch",
		"ChangeMessageVisibilityBatchRequestEntry.1.Id", "x", "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", recv.Result.Messages[1].ReceiptHandle,
		"ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "10"))
	if r.status != 200 || !strings.Contains(r.body, "<ChangeMessageVisibilityBatchResultEntry><Id>x</Id></ChangeMessageVisibilityBatchResultEntry>") {
		t.Fatalf("ChangeMessageVisibilityBatch: %s", r.body)
	}

	r = postQuery(t, srv.URL, "/", form("Action", "GetQueueAttributes", "QueueUrl", srv.URL+acct+"/q1", "AttributeName.1", "VisibilityTimeout", "AttributeName.2", "QueueArn"))
	if r.status != 200 || !strings.Contains(r.body, "<GetQueueAttributesResult><Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:"+testAccount+":q1</Value></Attribute><Attribute><Name>VisibilityTimeout</Name><Value>60</Value></Attribute></GetQueueAttributesResult>") {
		t.Fatalf("GetQueueAttributes: %s", r.body)
	}
	r = postQuery(t, srv.URL, "/", form("Action", "ListQueues"))
	if !strings.Contains(r.body, "<ListQueuesResult><QueueUrl>"+srv.URL+acct+"/q1</QueueUrl></ListQueuesResult>") {
		t.Fatalf("ListQueues: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "TagQueue", "Tag.1.Key", "env", "Tag.1.Value", "prod"))
	if r.status != 200 || !strings.HasPrefix(r.body, "<TagQueueResponse") || strings.Contains(r.body, "TagQueueResult") {
		t.Fatalf("TagQueue: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "UntagQueue", "TagKey.1", "team"))
	if r.status != 200 {
		t.Fatalf("UntagQueue: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "ListQueueTags"))
	if !strings.Contains(r.body, "<ListQueueTagsResult><Tag><Key>env</Key><Value>prod</Value></Tag></ListQueueTagsResult>") {
		t.Fatalf("ListQueueTags: %s", r.body)
	}
	r = postQuery(t, srv.URL, "/", form("Action", "GetQueueUrl", "QueueName", "q1"))
	if between(r.body, "QueueUrl") != srv.URL+acct+"/q1" {
		t.Fatalf("GetQueueUrl: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "ListDeadLetterSourceQueues"))
	if r.status != 200 || !strings.Contains(r.body, "<ListDeadLetterSourceQueuesResult></ListDeadLetterSourceQueuesResult>") {
		t.Fatalf("ListDeadLetterSourceQueues: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "PurgeQueue"))
	if r.status != 200 || !strings.HasPrefix(r.body, "<PurgeQueueResponse") {
		t.Fatalf("PurgeQueue: %s", r.body)
	}
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "DeleteQueue"))
	if r.status != 200 {
		t.Fatalf("DeleteQueue: %s", r.body)
	}

	// Errors.
	r = postQuery(t, srv.URL, acct+"/q1", form("Action", "GetQueueAttributes", "AttributeName.1", "All"))
	if r.status != 400 || !strings.HasPrefix(r.body, `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>`) ||
		!strings.Contains(r.body, "<Detail/></Error><RequestId>") {
		t.Fatalf("missing queue: %d %s", r.status, r.body)
	}
}

func TestJSONWireFormat(t *testing.T) {
	srv, _ := newTestServer(t)
	r := postJSON(t, srv.URL, "CreateQueue", `{"QueueName":"q","tags":{"a":"b"}}`)
	if r.status != 200 || r.body != `{"QueueUrl":"`+srv.URL+`/`+testAccount+`/q"}` || r.header.Get("Content-Type") != "application/x-amz-json-1.0" || r.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("CreateQueue: %d %v %s", r.status, r.header, r.body)
	}
	url := srv.URL + "/" + testAccount + "/q"
	r = postJSON(t, srv.URL, "ReceiveMessage", `{"QueueUrl":"`+url+`","WaitTimeSeconds":0}`)
	if r.status != 200 || r.body != `{}` {
		t.Fatalf("empty receive: %d %s", r.status, r.body)
	}
	r = postJSON(t, srv.URL, "DeleteQueue", `{"QueueUrl":"`+url+`"}`)
	if r.status != 200 || r.body != `{}` {
		t.Fatalf("DeleteQueue: %d %s", r.status, r.body)
	}
	r = postJSON(t, srv.URL, "GetQueueUrl", `{"QueueName":"q"}`)
	if r.status != 400 || r.body != `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}` ||
		r.header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" {
		t.Fatalf("QueueDoesNotExist: %d %v %s", r.status, r.header, r.body)
	}
}
