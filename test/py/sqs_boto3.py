"""boto3 with its default protocol for SQS (AWS JSON 1.0), plus a raw
signed JSON request to check the error header that botocore relies on."""

import json
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from wharftest import (ACCOUNT, ENDPOINT, REGION, check, eq, finish, md5_hex,
                       md5_of_attributes, name, signed_request)

sqs = boto3.client(
    "sqs",
    endpoint_url=ENDPOINT,
    region_name=REGION,
    aws_access_key_id="x",
    aws_secret_access_key="x",
    config=Config(retries={"max_attempts": 3, "mode": "standard"}),
)


def expect_error(fn, code, shape, what, **kw):
    """Calls fn(**kw) and checks the ClientError's codes.

    code is what botocore reports as Error.Code: the query-compatible code
    from x-amzn-query-error. shape is the JSON error shape (QueryErrorCode),
    which also picks the exception class."""
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        eq(err.get("Code"), code, f"{what}: Error.Code")
        if shape:
            eq(err.get("QueryErrorCode"), shape, f"{what}: QueryErrorCode (JSON shape)")
            cls = getattr(sqs.exceptions, shape, None)
            if cls is not None:
                check(isinstance(e, cls), f"{what}: exception {type(e).__name__} is not sqs.exceptions.{shape}")
        check(400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500,
              f"{what}: HTTP {e.response['ResponseMetadata']['HTTPStatusCode']}, want 4xx")
        return
    check(False, f"{what}: succeeded, want {code}")


# --- queues ---------------------------------------------------------------
qname = name("json")
url = sqs.create_queue(QueueName=qname, Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
eq(url, f"{ENDPOINT}/{ACCOUNT}/{qname}", "CreateQueue QueueUrl")
eq(sqs.create_queue(QueueName=qname, Attributes={"VisibilityTimeout": "40"})["QueueUrl"], url,
   "CreateQueue again with the same attributes")
expect_error(sqs.create_queue, "QueueAlreadyExists", "QueueNameExists", "CreateQueue with different attributes",
             QueueName=qname, Attributes={"VisibilityTimeout": "41"})
eq(sqs.get_queue_url(QueueName=qname)["QueueUrl"], url, "GetQueueUrl")
expect_error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
             "GetQueueUrl of a missing queue", QueueName=name("missing"))
listed = sqs.list_queues(QueueNamePrefix=qname).get("QueueUrls", [])
eq(listed, [url], "ListQueues by prefix")

attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
eq(attrs.get("VisibilityTimeout"), "40", "VisibilityTimeout")
eq(attrs.get("QueueArn"), f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}", "QueueArn")
eq(attrs.get("MaximumMessageSize"), "1048576", "MaximumMessageSize default")
sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "VisibilityTimeout": "30"})
eq(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"],
   {"VisibilityTimeout": "30"}, "GetQueueAttributes after SetQueueAttributes")
expect_error(sqs.set_queue_attributes, "InvalidAttributeName", "InvalidAttributeName",
             "SetQueueAttributes Bogus", QueueUrl=url, Attributes={"Bogus": "1"})

# --- messages with attributes -------------------------------------------
mattrs = {
    "s": {"DataType": "String", "StringValue": "ünïcödé"},
    "n": {"DataType": "Number", "StringValue": "3.14"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff"},
    "c": {"DataType": "String.custom", "StringValue": "label"},
}
body = 'quote " amp & lt < cr \r lf \n tab \t end'
sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=mattrs)
eq(sent.get("MD5OfMessageBody"), md5_hex(body), "SendMessage MD5OfMessageBody")
eq(sent.get("MD5OfMessageAttributes"), md5_of_attributes(mattrs), "SendMessage MD5OfMessageAttributes")
plain = sqs.send_message(QueueUrl=url, MessageBody="plain")
check("MD5OfMessageAttributes" not in plain, "SendMessage without attributes returned MD5OfMessageAttributes")

got = {}
deadline = time.time() + 15
while len(got) < 2 and time.time() < deadline:
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60,
                            MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    for m in r.get("Messages", []):
        got[m["MessageId"]] = m
eq(sorted(got), sorted([sent["MessageId"], plain["MessageId"]]), "received message ids")
m = got.get(sent["MessageId"])
if m:
    eq(m["Body"], body, "received body (quotes, CR, LF, tab intact)")
    eq(m["MD5OfBody"], md5_hex(body), "received MD5OfBody")
    eq(m.get("MessageAttributes"), mattrs, "received MessageAttributes")
    eq(m.get("MD5OfMessageAttributes"), md5_of_attributes(mattrs), "received MD5OfMessageAttributes")
    eq(m["Attributes"].get("ApproximateReceiveCount"), "1", "ApproximateReceiveCount")
    check("SentTimestamp" in m["Attributes"], "SentTimestamp missing")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
p = got.get(plain["MessageId"])
if p:
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=p["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, VisibilityTimeout=60).get("Messages", [])
    eq([x["MessageId"] for x in again], [plain["MessageId"]], "receive after ChangeMessageVisibility 0")
    if again:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
expect_error(sqs.delete_message, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
             "DeleteMessage with a garbage handle", QueueUrl=url, ReceiptHandle="garbage")

# --- batches --------------------------------------------------------------
res = sqs.send_message_batch(QueueUrl=url, Entries=[
    {"Id": "ok1", "MessageBody": "one"},
    {"Id": "bad", "MessageBody": "nul\x00"},
    {"Id": "ok2", "MessageBody": "two", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
])
eq(sorted(e["Id"] for e in res.get("Successful", [])), ["ok1", "ok2"], "SendMessageBatch successful ids")
failed = res.get("Failed", [])
eq([(f["Id"], f["Code"], f["SenderFault"]) for f in failed], [("bad", "InvalidMessageContents", True)],
   "SendMessageBatch failed entries")
for e in res.get("Successful", []):
    want = {"ok1": "one", "ok2": "two"}[e["Id"]]
    eq(e["MD5OfMessageBody"], md5_hex(want), f"batch entry {e['Id']} MD5OfMessageBody")
expect_error(sqs.send_message_batch, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
             "TooManyEntriesInBatchRequest", "SendMessageBatch of 11", QueueUrl=url,
             Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
expect_error(sqs.send_message_batch, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
             "BatchEntryIdsNotDistinct", "SendMessageBatch duplicate ids", QueueUrl=url,
             Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
handles = []
deadline = time.time() + 15
while len(handles) < 2 and time.time() < deadline:
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        handles.append(m["ReceiptHandle"])
eq(len(handles), 2, "messages received from the batch")
res = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": h} for i, h in enumerate(handles)])
eq(len(res.get("Successful", [])), 2, "DeleteMessageBatch successful")
eq(res.get("Failed", []), [], "DeleteMessageBatch failed")

# --- tags, purge, DLQ sources, delete ------------------------------------
sqs.tag_queue(QueueUrl=url, Tags={"a": "1", "b": "2"})
sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
eq(sqs.list_queue_tags(QueueUrl=url).get("Tags"), {"b": "2"}, "ListQueueTags")
sqs.send_message(QueueUrl=url, MessageBody="to purge")
sqs.purge_queue(QueueUrl=url)
deadline = time.time() + 15
while time.time() < deadline:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    if a["ApproximateNumberOfMessages"] == "0":
        break
    time.sleep(0.1)
eq(a["ApproximateNumberOfMessages"], "0", "ApproximateNumberOfMessages after purge")
dlq = sqs.create_queue(QueueName=name("json-dlq"))["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={
    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})
eq(sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls"), [url], "ListDeadLetterSourceQueues")
sqs.delete_queue(QueueUrl=url)
expect_error(sqs.get_queue_url, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
             "GetQueueUrl after DeleteQueue", QueueName=qname)

# --- raw JSON: the error header and body botocore depends on ---------------
status, headers, raw = signed_request(
    "POST", ENDPOINT + "/",
    json.dumps({"QueueName": name("raw-missing")}).encode(),
    {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueUrl"})
eq(status, 400, "raw JSON GetQueueUrl of a missing queue: HTTP status")
eq(headers.get("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender",
   "raw JSON error: x-amzn-query-error header")
try:
    doc = json.loads(raw)
except ValueError:
    doc = {}
check(str(doc.get("__type", "")).endswith("QueueDoesNotExist"), f"raw JSON error __type = {doc.get('__type')!r}")
check("message" in doc or "Message" in doc, f"raw JSON error has no message: {raw[:200]!r}")
check(headers.get("content-type", "").startswith("application/x-amz-json-1.0"),
      f"raw JSON error Content-Type = {headers.get('content-type')!r}")
check(bool(headers.get("x-amzn-requestid")), "raw JSON response has no x-amzn-RequestId header")

status, headers, raw = signed_request(
    "POST", ENDPOINT + "/", b'{"QueueName": ',
    {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.CreateQueue"})
check(400 <= status < 500, f"truncated JSON body: HTTP {status}, want 4xx ({raw[:200]!r})")
status, headers, raw = signed_request(
    "POST", ENDPOINT + "/", b'{}',
    {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.NoSuchAction"})
check(400 <= status < 500, f"unknown X-Amz-Target: HTTP {status}, want 4xx ({raw[:200]!r})")
# Wrong JSON types. AWS is vague about numeric strings: rejecting them or
# reading them as the number are both acceptable; anything else is not.
for i in range(5):
    sqs.send_message(QueueUrl=dlq, MessageBody=f"typed-{i}")
status, headers, raw = signed_request(
    "POST", ENDPOINT + "/", json.dumps({"QueueUrl": dlq, "MaxNumberOfMessages": "3", "VisibilityTimeout": 0}).encode(),
    {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"})
if status == 200:
    n = len(json.loads(raw).get("Messages", []))
    check(1 <= n <= 3, f'MaxNumberOfMessages "3" (a JSON string) accepted but returned {n} messages, want 1..3')
else:
    check(400 <= status < 500, f'MaxNumberOfMessages "3" (a JSON string): HTTP {status}, want 200 or 4xx ({raw[:200]!r})')
for bad in ({"MaxNumberOfMessages": "ten"}, {"MaxNumberOfMessages": [1]}, {"WaitTimeSeconds": {"a": 1}}, {"MaxNumberOfMessages": 1e300}):
    body = {"QueueUrl": dlq}
    body.update(bad)
    status, headers, raw = signed_request(
        "POST", ENDPOINT + "/", json.dumps(body).encode(),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"})
    check(400 <= status < 500 and headers.get("x-amzn-query-error"),
          f"ReceiveMessage with {bad}: HTTP {status}, query error {headers.get('x-amzn-query-error')!r}; want 4xx with x-amzn-query-error ({raw[:200]!r})")

finish()
