"""The AWS query protocol (form POST, XML answers), as old SDKs and
hand-written clients speak it: SigV4-signed requests built with botocore's
SigV4Auth and AWSRequest, XML parsed and MD5s checked here."""

import base64
import time
import urllib.parse
import xml.etree.ElementTree as ET

from wharftest import (ACCOUNT, ENDPOINT, REGION, SQS_NS, check, eq, finish,
                       md5_hex, md5_of_attributes, name, signed_request,
                       strip_ns)

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def call(action, params=None, path="/", method="POST"):
    """Returns (status, root element without namespaces, raw namespace)."""
    p = {"Action": action, "Version": "2012-11-05"}
    p.update(params or {})
    body = urllib.parse.urlencode(p).encode()
    if method == "GET":
        status, headers, raw = signed_request("GET", ENDPOINT + path + "?" + body.decode())
    else:
        status, headers, raw = signed_request("POST", ENDPOINT + path, body, FORM)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        check(False, f"{action}: response is not XML ({e}): {raw[:300]!r}")
        return status, ET.Element("Invalid"), ""
    ns = root.tag.split("}", 1)[0][1:] if root.tag.startswith("{") else ""
    return status, strip_ns(root), ns


def ok(action, params=None, **kw):
    status, root, ns = call(action, params, **kw)
    eq(status, 200, f"{action}: HTTP status ({ET.tostring(root)[:300]!r})")
    eq(root.tag, action + "Response", f"{action}: root element")
    eq(ns, SQS_NS, f"{action}: XML namespace")
    check(root.find("ResponseMetadata/RequestId") is not None and root.findtext("ResponseMetadata/RequestId"),
          f"{action}: no ResponseMetadata/RequestId")
    return root


# HTTP status per query error code, from the SQS Smithy model (httpError).
STATUS = {
    "ReceiptHandleIsInvalid": 404, "InvalidAddress": 404, "ResourceNotFoundException": 404,
    "AWS.SimpleQueueService.PurgeQueueInProgress": 403, "OverLimit": 403, "RequestThrottled": 403,
    "InvalidSecurity": 403,
}


def err(action, params, code, what, **kw):
    status_want = STATUS.get(code, 400)
    status, root, _ = call(action, params, **kw)
    eq(status, status_want, f"{what}: HTTP status")
    eq(root.tag, "ErrorResponse", f"{what}: root element")
    eq(root.findtext("Error/Code"), code, f"{what}: Error/Code")
    eq(root.findtext("Error/Type"), "Sender", f"{what}: Error/Type")
    check(root.findtext("RequestId") or root.findtext("ResponseMetadata/RequestId"), f"{what}: no RequestId")


# --- queues ---------------------------------------------------------------
qname = name("query")
r = ok("CreateQueue", {"QueueName": qname, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "50",
                       "Tag.1.Key": "team", "Tag.1.Value": "wharf"})
url = r.findtext("CreateQueueResult/QueueUrl")
eq(url, f"{ENDPOINT}/{ACCOUNT}/{qname}", "CreateQueue QueueUrl")
r = ok("CreateQueue", {"QueueName": qname, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "50"})
eq(r.findtext("CreateQueueResult/QueueUrl"), url, "CreateQueue again, same attributes")
err("CreateQueue", {"QueueName": qname, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "51"},
    "QueueAlreadyExists", "CreateQueue with different attributes")
eq(ok("GetQueueUrl", {"QueueName": qname}).findtext("GetQueueUrlResult/QueueUrl"), url, "GetQueueUrl")
err("GetQueueUrl", {"QueueName": name("missing")}, "AWS.SimpleQueueService.NonExistentQueue", "GetQueueUrl missing")
r = ok("ListQueues", {"QueueNamePrefix": qname})
eq([e.text for e in r.findall("ListQueuesResult/QueueUrl")], [url], "ListQueues")
r = ok("ListQueues", {"QueueNamePrefix": qname}, method="GET")
eq([e.text for e in r.findall("ListQueuesResult/QueueUrl")], [url], "ListQueues with GET")

r = ok("GetQueueAttributes", {"QueueUrl": url, "AttributeName.1": "All"})
qa = {a.findtext("Name"): a.findtext("Value") for a in r.findall("GetQueueAttributesResult/Attribute")}
eq(qa.get("VisibilityTimeout"), "50", "GetQueueAttributes VisibilityTimeout")
eq(qa.get("QueueArn"), f"arn:aws:sqs:{REGION}:{ACCOUNT}:{qname}", "QueueArn")
ok("SetQueueAttributes", {"QueueUrl": url, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "30",
                          "Attribute.2.Name": "MaximumMessageSize", "Attribute.2.Value": "65536"})
r = ok("GetQueueAttributes", {"QueueUrl": url, "AttributeName.1": "VisibilityTimeout", "AttributeName.2": "MaximumMessageSize"})
qa = {a.findtext("Name"): a.findtext("Value") for a in r.findall("GetQueueAttributesResult/Attribute")}
eq(qa, {"VisibilityTimeout": "30", "MaximumMessageSize": "65536"}, "attributes after SetQueueAttributes")
err("SetQueueAttributes", {"QueueUrl": url, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "-5"},
    "InvalidAttributeValue", "SetQueueAttributes VisibilityTimeout=-5")
r = ok("ListQueueTags", {"QueueUrl": url})
eq({t.findtext("Key"): t.findtext("Value") for t in r.findall("ListQueueTagsResult/Tag")}, {"team": "wharf"},
   "ListQueueTags after CreateQueue with Tag.1")
ok("TagQueue", {"QueueUrl": url, "Tag.1.Key": "env", "Tag.1.Value": "test"})
ok("UntagQueue", {"QueueUrl": url, "TagKey.1": "team"})
r = ok("ListQueueTags", {"QueueUrl": url})
eq({t.findtext("Key"): t.findtext("Value") for t in r.findall("ListQueueTagsResult/Tag")}, {"env": "test"},
   "ListQueueTags after TagQueue/UntagQueue")

# --- SendMessage with attributes -----------------------------------------
body = 'xml "quotes" & <tags> \r\n CRLF \r CR \t tab ✓ 😀'
binval = b"\x00\x10\xffbinary"
mattrs = {
    "str": {"DataType": "String", "StringValue": "välue"},
    "num": {"DataType": "Number", "StringValue": "-0.5"},
    "bin": {"DataType": "Binary", "BinaryValue": binval},
    "cust": {"DataType": "Number.float", "StringValue": "1e3"},
}
params = {"QueueUrl": url, "MessageBody": body}
for i, (n, a) in enumerate(sorted(mattrs.items()), start=1):
    params[f"MessageAttribute.{i}.Name"] = n
    params[f"MessageAttribute.{i}.Value.DataType"] = a["DataType"]
    if "BinaryValue" in a:
        params[f"MessageAttribute.{i}.Value.BinaryValue"] = base64.b64encode(a["BinaryValue"]).decode()
    else:
        params[f"MessageAttribute.{i}.Value.StringValue"] = a["StringValue"]
r = ok("SendMessage", params)
sent_id = r.findtext("SendMessageResult/MessageId")
check(sent_id, "SendMessage: no MessageId")
eq(r.findtext("SendMessageResult/MD5OfMessageBody"), md5_hex(body), "SendMessage MD5OfMessageBody")
eq(r.findtext("SendMessageResult/MD5OfMessageAttributes"), md5_of_attributes(mattrs), "SendMessage MD5OfMessageAttributes")

# POST to the queue's path, without QueueUrl (the legacy form).
path = urllib.parse.urlparse(url).path
r = ok("SendMessage", {"MessageBody": "via path"}, path=path)
path_id = r.findtext("SendMessageResult/MessageId")
eq(r.findtext("SendMessageResult/MD5OfMessageBody"), md5_hex("via path"), "SendMessage via queue path: MD5")
check(r.find("SendMessageResult/MD5OfMessageAttributes") is None, "SendMessage without attributes returned MD5OfMessageAttributes")

got = {}
deadline = time.time() + 15
while len(got) < 2 and time.time() < deadline:
    r = ok("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "10", "WaitTimeSeconds": "1",
                              "VisibilityTimeout": "60", "AttributeName.1": "All", "MessageAttributeName.1": "All"})
    for m in r.findall("ReceiveMessageResult/Message"):
        got[m.findtext("MessageId")] = m
eq(sorted(got), sorted([sent_id, path_id]), "received message ids")
m = got.get(sent_id)
if m is not None:
    eq(m.findtext("Body"), body, "received body: XML escaping keeps quotes, CR and CRLF")
    eq(m.findtext("MD5OfBody"), md5_hex(body), "received MD5OfBody")
    recv_attrs = {}
    for a in m.findall("MessageAttribute"):
        v = a.find("Value")
        d = {"DataType": v.findtext("DataType")}
        if v.find("BinaryValue") is not None:
            d["BinaryValue"] = base64.b64decode(v.findtext("BinaryValue"))
        else:
            d["StringValue"] = v.findtext("StringValue")
        recv_attrs[a.findtext("Name")] = d
    eq(recv_attrs, mattrs, "received MessageAttribute elements")
    eq(m.findtext("MD5OfMessageAttributes"), md5_of_attributes(mattrs), "received MD5OfMessageAttributes")
    sys_attrs = {a.findtext("Name"): a.findtext("Value") for a in m.findall("Attribute")}
    eq(sys_attrs.get("ApproximateReceiveCount"), "1", "system attribute ApproximateReceiveCount")
    check(sys_attrs.get("SentTimestamp", "").isdigit(), f"SentTimestamp = {sys_attrs.get('SentTimestamp')!r}")
    handle = m.findtext("ReceiptHandle")
    ok("ChangeMessageVisibility", {"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": "120"})
    ok("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": handle})
p = got.get(path_id)
if p is not None:
    r = ok("DeleteMessageBatch", {"QueueUrl": url,
                                  "DeleteMessageBatchRequestEntry.1.Id": "a",
                                  "DeleteMessageBatchRequestEntry.1.ReceiptHandle": p.findtext("ReceiptHandle"),
                                  "DeleteMessageBatchRequestEntry.2.Id": "b",
                                  "DeleteMessageBatchRequestEntry.2.ReceiptHandle": "garbage"})
    eq([e.findtext("Id") for e in r.findall("DeleteMessageBatchResult/DeleteMessageBatchResultEntry")], ["a"],
       "DeleteMessageBatch successful")
    eq([(e.findtext("Id"), e.findtext("Code"), e.findtext("SenderFault")) for e in r.findall("DeleteMessageBatchResult/BatchResultErrorEntry")],
       [("b", "ReceiptHandleIsInvalid", "true")], "DeleteMessageBatch failed")
err("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": "garbage"}, "ReceiptHandleIsInvalid", "DeleteMessage garbage handle")

# --- SendMessageBatch -----------------------------------------------------
r = ok("SendMessageBatch", {"QueueUrl": url,
                            "SendMessageBatchRequestEntry.1.Id": "one", "SendMessageBatchRequestEntry.1.MessageBody": "first",
                            "SendMessageBatchRequestEntry.2.Id": "two", "SendMessageBatchRequestEntry.2.MessageBody": "sec\x01ond",
                            "SendMessageBatchRequestEntry.3.Id": "three", "SendMessageBatchRequestEntry.3.MessageBody": "third",
                            "SendMessageBatchRequestEntry.3.DelaySeconds": "0"})
succ = {e.findtext("Id"): e for e in r.findall("SendMessageBatchResult/SendMessageBatchResultEntry")}
eq(sorted(succ), ["one", "three"], "SendMessageBatch successful ids")
if "one" in succ:
    eq(succ["one"].findtext("MD5OfMessageBody"), md5_hex("first"), "batch entry MD5OfMessageBody")
eq([(e.findtext("Id"), e.findtext("Code"), e.findtext("SenderFault")) for e in r.findall("SendMessageBatchResult/BatchResultErrorEntry")],
   [("two", "InvalidMessageContents", "true")], "SendMessageBatch failed entries")
many = {"QueueUrl": url}
for i in range(1, 12):
    many[f"SendMessageBatchRequestEntry.{i}.Id"] = f"e{i}"
    many[f"SendMessageBatchRequestEntry.{i}.MessageBody"] = "x"
err("SendMessageBatch", many, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "SendMessageBatch of 11")
err("SendMessageBatch", {"QueueUrl": url}, "AWS.SimpleQueueService.EmptyBatchRequest", "SendMessageBatch of 0")
err("SendMessageBatch", {"QueueUrl": url,
                         "SendMessageBatchRequestEntry.1.Id": "same", "SendMessageBatchRequestEntry.1.MessageBody": "a",
                         "SendMessageBatchRequestEntry.2.Id": "same", "SendMessageBatchRequestEntry.2.MessageBody": "b"},
    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "SendMessageBatch duplicate ids")
err("SendMessage", {"QueueUrl": url, "MessageBody": "bad \x08 char"}, "InvalidMessageContents", "SendMessage with a control char")
err("SendMessage", {"QueueUrl": url, "MessageBody": "x" * (1024 * 1024 + 1)}, "InvalidParameterValue", "SendMessage of 1 MiB + 1")
err("SendMessage", {"QueueUrl": f"{ENDPOINT}/{ACCOUNT}/{name('nope')}", "MessageBody": "x"},
    "AWS.SimpleQueueService.NonExistentQueue", "SendMessage to a missing queue")
err("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "11"}, "InvalidParameterValue", "ReceiveMessage max 11")
status, root, _ = call("NoSuchAction", {"QueueUrl": url})
check(400 <= status < 500 and root.tag == "ErrorResponse", f"unknown Action: HTTP {status} {root.tag}")

# --- ChangeMessageVisibilityBatch, purge, DLQ sources, delete ------------
handles = []
deadline = time.time() + 15
while len(handles) < 2 and time.time() < deadline:
    r = ok("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": "10", "WaitTimeSeconds": "1", "VisibilityTimeout": "300"})
    handles += [m.findtext("ReceiptHandle") for m in r.findall("ReceiveMessageResult/Message")]
eq(len(handles), 2, "messages received from the batch")
cmv = {"QueueUrl": url}
for i, h in enumerate(handles, start=1):
    cmv[f"ChangeMessageVisibilityBatchRequestEntry.{i}.Id"] = f"c{i}"
    cmv[f"ChangeMessageVisibilityBatchRequestEntry.{i}.ReceiptHandle"] = h
    cmv[f"ChangeMessageVisibilityBatchRequestEntry.{i}.VisibilityTimeout"] = "0"
r = ok("ChangeMessageVisibilityBatch", cmv)
eq(sorted(e.findtext("Id") for e in r.findall("ChangeMessageVisibilityBatchResult/ChangeMessageVisibilityBatchResultEntry")),
   ["c1", "c2"][:len(handles)], "ChangeMessageVisibilityBatch successful")
ok("PurgeQueue", {"QueueUrl": url})
err("PurgeQueue", {"QueueUrl": url}, "AWS.SimpleQueueService.PurgeQueueInProgress", "second PurgeQueue")
dlq_name = name("query-dlq")
dlq = ok("CreateQueue", {"QueueName": dlq_name}).findtext("CreateQueueResult/QueueUrl")
ok("SetQueueAttributes", {"QueueUrl": url, "Attribute.1.Name": "RedrivePolicy",
                          "Attribute.1.Value": '{"deadLetterTargetArn":"arn:aws:sqs:%s:%s:%s","maxReceiveCount":"5"}' % (REGION, ACCOUNT, dlq_name)})
r = ok("ListDeadLetterSourceQueues", {"QueueUrl": dlq})
eq([e.text for e in r.findall("ListDeadLetterSourceQueuesResult/QueueUrl")], [url], "ListDeadLetterSourceQueues")
ok("DeleteQueue", {"QueueUrl": url})
err("GetQueueUrl", {"QueueName": qname}, "AWS.SimpleQueueService.NonExistentQueue", "GetQueueUrl after DeleteQueue")
ok("DeleteQueue", {"QueueUrl": dlq}, method="GET")

finish()
