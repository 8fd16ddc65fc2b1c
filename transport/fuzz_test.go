package transport

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// inputs returns a fresh value of every request struct.
func inputs() []any {
	return []any{
		&createQueueInput{}, &getQueueURLInput{}, &listQueuesInput{}, &queueURLInput{},
		&getQueueAttributesInput{}, &setQueueAttributesInput{}, &sendMessageInput{},
		&sendMessageBatchInput{}, &receiveMessageInput{}, &deleteMessageInput{},
		&changeVisibilityInput{}, &handleBatchInput{}, &listDLQSourcesInput{},
		&tagQueueInput{}, &untagQueueInput{},
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, ``, `{"QueueUrl":"http://h/1/q","MessageBody":"x","DelaySeconds":"5"}`,
		`{"Entries":[{"Id":"a","MessageBody":"b","MessageAttributes":{"n":{"DataType":"Binary","BinaryValue":"AAE="}}}]}`,
		`{"MaxNumberOfMessages":1e99,"WaitTimeSeconds":null}`, `{"tags":{"a":"b"},"Attributes":{"x":"y"}}`,
		`[`, `{"QueueUrl":5}`, "{\"MessageBody\":\"\xff\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range inputs() {
			_ = decodeJSON([]byte(body), v)
		}
	})
}

func FuzzDecodeQuery(f *testing.F) {
	for _, s := range []string{
		"Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F1%2Fq&MessageBody=x",
		"SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String",
		"Attribute.1.Name=a&Attribute.1.Value=b&Tag.2.Key=k", "AttributeName.1=All&AttributeName.10=x",
		"MessageAttribute.0.Name=x", "Entries=5", "MaxNumberOfMessages=abc", "a.b.c.d.e=1", "%zz",
		"MessageAttribute.1.Value.StringListValue.1=x&MessageAttribute.1.Value.BinaryListValue.1=AA==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := queryParams(raw, "", nil)
		if err != nil {
			return
		}
		for _, v := range inputs() {
			_ = decodeQuery(params, v)
		}
	})
}

// FuzzHandler drives the whole SQS path (decode, validate, run, encode)
// with arbitrary actions and bodies in both protocols: it must never panic
// (the recover middleware would hide it, so the test checks for a 500).
func FuzzHandler(f *testing.F) {
	f.Add(true, "SendMessage", `{"QueueUrl":"/000000000000/q","MessageBody":"hi","MessageAttributes":{"a":{"DataType":"Number","StringValue":"1"}}}`)
	f.Add(true, "ReceiveMessage", `{"QueueUrl":"/000000000000/q","MaxNumberOfMessages":10,"MessageAttributeNames":["All"],"AttributeNames":["All"]}`)
	f.Add(true, "SendMessageBatch", `{"QueueUrl":"/000000000000/q","Entries":[{"Id":"a","MessageBody":"x"},{"Id":"b","MessageBody":"reject-me"}]}`)
	f.Add(true, "DeleteMessageBatch", `{"QueueUrl":"/000000000000/q","Entries":[{"Id":"a","ReceiptHandle":"rh-m0001-1"}]}`)
	f.Add(false, "", "Action=ChangeMessageVisibilityBatch&QueueUrl=/000000000000/q&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=x")
	f.Add(false, "", "Action=ListQueues&MaxResults=1&NextToken=YQ")
	f.Add(false, "", "Action=GetQueueAttributes&QueueUrl=/000000000000/q&AttributeName.1=All")
	f.Add(false, "", "Action=CreateQueue&QueueName=q&Tag.1.Key=a&Tag.1.Value=b")
	f.Add(false, "", "Action=Publish&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Message=m&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String.Array&MessageAttributes.entry.1.Value.StringValue=[1]")
	f.Add(false, "", "Action=PublishBatch&TopicArn=arn:aws:sns:us-east-1:000000000000:t&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m&PublishBatchRequestEntries.member.1.MessageStructure=json")
	f.Add(false, "", "Action=Subscribe&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Protocol=http&Endpoint=http://10.0.0.1/&Attributes.entry.1.key=DeliveryPolicy&Attributes.entry.1.value={}")
	f.Add(false, "", "Action=CreateTopic&Name=t.fifo&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true&Tags.member.1.Key=k")
	f.Add(false, "", "Action=StartMessageMoveTask&SourceArn=arn:aws:sqs:us-east-1:000000000000:d&MaxNumberOfMessagesPerSecond=5")
	f.Add(false, "", "Action=AddPermission&QueueUrl=/000000000000/q&Label=l&AWSAccountId.1=111122223333&ActionName.1=SendMessage")
	mem := newMemBackend()
	h := New(Config{Backend: mem, AccountID: testAccount, Region: "us-east-1", Logger: quietLogger}).Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"QueueName":"q"}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.CreateQueue")
	h.ServeHTTP(rec, req)
	f.Fuzz(func(t *testing.T, isJSON bool, action, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if isJSON {
			req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%v for %v %q %.200q", d, isJSON, action, body)
		}
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("500 for %v %q %q: %s", isJSON, action, body, rec.Body.String())
		}
	})
}
