package transport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// boto3Script drives the server with boto3 (AWS JSON 1.0, query-compatible
// errors) and prints "OK" when every check passed.
const boto3Script = `
import sys, hashlib, boto3, botocore
c = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="eu-west-1",
                 aws_access_key_id="AKIDBOTO", aws_secret_access_key="x")
url = c.create_queue(QueueName="b3", Attributes={"DelaySeconds": "0"}, tags={"k": "v"})["QueueUrl"]
assert url == sys.argv[1] + "/000000000000/b3", url
r = c.send_message(QueueUrl=url, MessageBody="hello ✓", MessageAttributes={
    "s": {"DataType": "String", "StringValue": "v"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}})
assert r["MD5OfMessageBody"] == hashlib.md5("hello ✓".encode()).hexdigest(), r
b = c.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}, {"Id": "2", "MessageBody": "reject-me"}])
assert [e["Id"] for e in b["Successful"]] == ["1"], b
assert b["Failed"][0]["Code"] == "InvalidParameterValue" and b["Failed"][0]["SenderFault"] is True, b
m = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                      MessageSystemAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
assert m[0]["Body"] == "hello ✓" and m[0]["MessageAttributes"]["b"]["BinaryValue"] == b"\x00\xff", m
assert m[0]["Attributes"]["SenderId"] == "AKIDBOTO", m[0]["Attributes"]
assert "Messages" not in c.receive_message(QueueUrl=url, WaitTimeSeconds=0)
d = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": m[0]["ReceiptHandle"]}, {"Id": "b", "ReceiptHandle": "junk"}])
assert d["Successful"] == [{"Id": "a"}] and d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid", d
a = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert a["QueueArn"] == "arn:aws:sqs:eu-west-1:000000000000:b3", a
assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
assert c.list_queues(QueueNamePrefix="b")["QueueUrls"] == [url]
try:
    c.get_queue_url(QueueName="missing")
    raise SystemExit("no error")
except c.exceptions.QueueDoesNotExist as e:
    assert e.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
try:
    c.send_message_batch(QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}])
    raise SystemExit("no error")
except c.exceptions.BatchEntryIdsNotDistinct as e:
    assert e.response["Error"]["Code"] == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", e.response
try:
    c.change_message_visibility(QueueUrl=url, ReceiptHandle="junk", VisibilityTimeout=5)
    raise SystemExit("no error")
except c.exceptions.ReceiptHandleIsInvalid as e:
    pass
c.delete_queue(QueueUrl=url)
print("OK")
`

// TestBoto3 checks the JSON protocol against botocore's parsers, when
// python3 with boto3 is installed.
func TestBoto3(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not available")
	}
	srv, _ := newTestServer(t)
	out, err := exec.Command("python3", "-c", boto3Script, srv.URL).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}

// queryModel is an SQS model of the query-protocol era, vendored by the
// Google Cloud SDK; with it, boto3 speaks the query protocol.
const queryModel = "/usr/lib/google-cloud-sdk/lib/third_party/botocore/data/sqs/2012-11-05/service-2.json"

// boto3QueryScript drives the server with boto3 forced to the query
// protocol (XML answers) and prints "OK" when every check passed.
const boto3QueryScript = `
import sys, hashlib, boto3, botocore.session
s = botocore.session.get_session()
s.get_component("data_loader").search_paths.insert(0, sys.argv[2])
c = boto3.Session(botocore_session=s).client("sqs", endpoint_url=sys.argv[1], region_name="eu-west-1",
                 aws_access_key_id="AKIDQ", aws_secret_access_key="x")
assert c.meta.service_model.protocol == "query"
url = c.create_queue(QueueName="bq", Attributes={"DelaySeconds": "0"})["QueueUrl"]
assert url == sys.argv[1] + "/000000000000/bq", url
c.tag_queue(QueueUrl=url, Tags={"k": "v", "k2": "v2"})
c.untag_queue(QueueUrl=url, TagKeys=["k2"])
assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
body = "hello \"<&>\" \r\n ✓"
r = c.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
    "s": {"DataType": "String", "StringValue": "v"},
    "n": {"DataType": "Number.int", "StringValue": "12"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}})
assert r["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(), r
attrs_md5 = r["MD5OfMessageAttributes"]
b = c.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}, {"Id": "2", "MessageBody": "reject-me"}])
assert [e["Id"] for e in b["Successful"]] == ["1"], b
assert b["Failed"][0]["Code"] == "InvalidParameterValue" and b["Failed"][0]["SenderFault"] is True, b
m = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                      AttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
assert len(m) == 2 and m[0]["Body"] == body, m
assert m[0]["MD5OfBody"] == r["MD5OfMessageBody"] and m[0]["MD5OfMessageAttributes"] == attrs_md5, m[0]
assert m[0]["MessageAttributes"]["b"] == {"DataType": "Binary", "BinaryValue": b"\x00\xff"}, m[0]
assert m[0]["MessageAttributes"]["n"] == {"DataType": "Number.int", "StringValue": "12"}, m[0]
assert m[0]["Attributes"]["SenderId"] == "AKIDQ" and m[0]["Attributes"]["ApproximateReceiveCount"] == "1", m[0]
assert "Messages" not in c.receive_message(QueueUrl=url, WaitTimeSeconds=0)
c.change_message_visibility_batch(QueueUrl=url, Entries=[{"Id": "v", "ReceiptHandle": m[1]["ReceiptHandle"], "VisibilityTimeout": 0}])
d = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": "a", "ReceiptHandle": m[0]["ReceiptHandle"]}, {"Id": "b", "ReceiptHandle": "junk"}])
assert d["Successful"] == [{"Id": "a"}] and d["Failed"][0]["Code"] == "ReceiptHandleIsInvalid", d
a = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "DelaySeconds"])["Attributes"]
assert a == {"QueueArn": "arn:aws:sqs:eu-west-1:000000000000:bq", "DelaySeconds": "0"}, a
c.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "10"})
assert c.list_queues(QueueNamePrefix="b")["QueueUrls"] == [url]
src = c.create_queue(QueueName="src", Attributes={"RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:000000000000:bq","maxReceiveCount":"2"}'})["QueueUrl"]
assert c.list_dead_letter_source_queues(QueueUrl=url)["queueUrls"] == [src]
assert c.get_queue_url(QueueName="bq")["QueueUrl"] == url
try:
    c.get_queue_url(QueueName="missing")
    raise SystemExit("no error")
except c.exceptions.QueueDoesNotExist as e:
    assert e.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", e.response
try:
    c.send_message_batch(QueueUrl=url, Entries=[])
    raise SystemExit("no error")
except botocore.exceptions.ParamValidationError:
    pass
except c.exceptions.EmptyBatchRequest:
    pass
c.purge_queue(QueueUrl=url)
c.delete_queue(QueueUrl=url)
print("OK")
`

// TestBoto3Query checks the query protocol against botocore's XML parser,
// when python3 with boto3 and a query-era SQS model are installed.
func TestBoto3Query(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not available")
	}
	model, err := os.ReadFile(queryModel)
	if err != nil {
		t.Skip("no query-protocol SQS model on this machine")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sqs", "2012-11-05"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sqs", "2012-11-05", "service-2.json"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, _ := newTestServer(t)
	out, err := exec.Command("python3", "-c", boto3QueryScript, srv.URL, dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("boto3 (query): %v\n%s", err, out)
	}
}
