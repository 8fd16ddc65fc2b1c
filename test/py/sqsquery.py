"""A small SQS client on the AWS query protocol (form POST, XML answers)
with boto3's method names, arguments and result shapes, so one script can
run the same checks over both protocols. Requests are SigV4-signed with
botocore; errors raise botocore's ClientError with the XML's Error/Code,
as boto3 reports the query-compatible code on the JSON protocol.

Only what the scripts use is covered: the queue, message and batch
actions. Parameter names are the query-era locationNames (Attribute.N.Name,
SendMessageBatchRequestEntry.N.Id, ...)."""

import base64
import urllib.parse
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from wharftest import ENDPOINT, signed_request, strip_ns

_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _put_map(p, prefix, m, key="Name", val="Value"):
    for i, (k, v) in enumerate(sorted((m or {}).items()), start=1):
        p[f"{prefix}.{i}.{key}"] = k
        p[f"{prefix}.{i}.{val}"] = v


def _put_list(p, prefix, items):
    for i, v in enumerate(items or [], start=1):
        p[f"{prefix}.{i}"] = v


def _put_msg_attrs(p, prefix, attrs):
    for i, (n, a) in enumerate(sorted((attrs or {}).items()), start=1):
        p[f"{prefix}.{i}.Name"] = n
        p[f"{prefix}.{i}.Value.DataType"] = a["DataType"]
        if "BinaryValue" in a:
            p[f"{prefix}.{i}.Value.BinaryValue"] = base64.b64encode(a["BinaryValue"]).decode()
        else:
            p[f"{prefix}.{i}.Value.StringValue"] = a["StringValue"]


_ENTRY_FIELDS = ("Id", "MessageBody", "DelaySeconds", "MessageGroupId", "MessageDeduplicationId",
                 "ReceiptHandle", "VisibilityTimeout")


def _put_entries(p, prefix, entries):
    for i, e in enumerate(entries, start=1):
        for f in _ENTRY_FIELDS:
            if f in e:
                p[f"{prefix}.{i}.{f}"] = str(e[f])
        _put_msg_attrs(p, f"{prefix}.{i}.MessageAttribute", e.get("MessageAttributes"))


def _text(el, path):
    return el.findtext(path)


def _opt(out, el, *names):
    for n in names:
        v = el.findtext(n)
        if v is not None:
            out[n] = v


def _batch(root, result, ok_tag, ok_fields):
    res = {"Successful": [], "Failed": []}
    for e in root.findall(f"{result}/{ok_tag}"):
        d = {}
        _opt(d, e, *ok_fields)
        res["Successful"].append(d)
    for e in root.findall(f"{result}/BatchResultErrorEntry"):
        res["Failed"].append({"Id": _text(e, "Id"), "Code": _text(e, "Code"), "Message": _text(e, "Message"),
                              "SenderFault": _text(e, "SenderFault") == "true"})
    return res


class QueryClient:
    """The subset of boto3's SQS client the FIFO script uses."""

    protocol = "query"

    def __init__(self, endpoint=ENDPOINT):
        self.endpoint = endpoint.rstrip("/")

    def _call(self, action, params):
        p = {"Action": action, "Version": "2012-11-05"}
        p.update({k: str(v) for k, v in params.items()})
        status, headers, raw = signed_request("POST", self.endpoint + "/", urllib.parse.urlencode(p).encode(), _FORM)
        try:
            root = strip_ns(ET.fromstring(raw))
        except ET.ParseError:
            raise ClientError({"Error": {"Code": "NotXML", "Message": raw[:300].decode("utf-8", "replace")},
                               "ResponseMetadata": {"HTTPStatusCode": status}}, action)
        if status != 200 or root.tag == "ErrorResponse":
            raise ClientError({"Error": {"Code": root.findtext("Error/Code"), "Message": root.findtext("Error/Message"),
                                         "Type": root.findtext("Error/Type")},
                               "ResponseMetadata": {"HTTPStatusCode": status}}, action)
        return root

    def create_queue(self, QueueName, Attributes=None, tags=None):
        p = {"QueueName": QueueName}
        _put_map(p, "Attribute", Attributes)
        _put_map(p, "Tag", tags, "Key", "Value")
        return {"QueueUrl": self._call("CreateQueue", p).findtext("CreateQueueResult/QueueUrl")}

    def delete_queue(self, QueueUrl):
        self._call("DeleteQueue", {"QueueUrl": QueueUrl})
        return {}

    def get_queue_attributes(self, QueueUrl, AttributeNames):
        p = {"QueueUrl": QueueUrl}
        _put_list(p, "AttributeName", AttributeNames)
        r = self._call("GetQueueAttributes", p)
        return {"Attributes": {a.findtext("Name"): a.findtext("Value") for a in r.findall("GetQueueAttributesResult/Attribute")}}

    def set_queue_attributes(self, QueueUrl, Attributes):
        p = {"QueueUrl": QueueUrl}
        _put_map(p, "Attribute", Attributes)
        self._call("SetQueueAttributes", p)
        return {}

    def send_message(self, QueueUrl, MessageBody, **kw):
        p = {"QueueUrl": QueueUrl, "MessageBody": MessageBody}
        for f in ("DelaySeconds", "MessageGroupId", "MessageDeduplicationId"):
            if f in kw:
                p[f] = kw[f]
        _put_msg_attrs(p, "MessageAttribute", kw.get("MessageAttributes"))
        r = self._call("SendMessage", p).find("SendMessageResult")
        out = {}
        _opt(out, r, "MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes", "SequenceNumber")
        return out

    def send_message_batch(self, QueueUrl, Entries):
        p = {"QueueUrl": QueueUrl}
        _put_entries(p, "SendMessageBatchRequestEntry", Entries)
        return _batch(self._call("SendMessageBatch", p), "SendMessageBatchResult", "SendMessageBatchResultEntry",
                      ("Id", "MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes", "SequenceNumber"))

    def receive_message(self, QueueUrl, **kw):
        p = {"QueueUrl": QueueUrl}
        for f in ("MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "ReceiveRequestAttemptId"):
            if f in kw:
                p[f] = kw[f]
        _put_list(p, "AttributeName", kw.get("AttributeNames"))
        _put_list(p, "MessageSystemAttributeName", kw.get("MessageSystemAttributeNames"))
        _put_list(p, "MessageAttributeName", kw.get("MessageAttributeNames"))
        r = self._call("ReceiveMessage", p)
        msgs = []
        for m in r.findall("ReceiveMessageResult/Message"):
            d = {}
            _opt(d, m, "MessageId", "ReceiptHandle", "MD5OfBody", "Body", "MD5OfMessageAttributes")
            attrs = {a.findtext("Name"): a.findtext("Value") for a in m.findall("Attribute")}
            if attrs:
                d["Attributes"] = attrs
            mattrs = {}
            for a in m.findall("MessageAttribute"):
                v = a.find("Value")
                x = {"DataType": v.findtext("DataType")}
                if v.find("BinaryValue") is not None:
                    x["BinaryValue"] = base64.b64decode(v.findtext("BinaryValue"))
                else:
                    x["StringValue"] = v.findtext("StringValue")
                mattrs[a.findtext("Name")] = x
            if mattrs:
                d["MessageAttributes"] = mattrs
            msgs.append(d)
        return {"Messages": msgs} if msgs else {}

    def delete_message(self, QueueUrl, ReceiptHandle):
        self._call("DeleteMessage", {"QueueUrl": QueueUrl, "ReceiptHandle": ReceiptHandle})
        return {}

    def delete_message_batch(self, QueueUrl, Entries):
        p = {"QueueUrl": QueueUrl}
        _put_entries(p, "DeleteMessageBatchRequestEntry", Entries)
        return _batch(self._call("DeleteMessageBatch", p), "DeleteMessageBatchResult",
                      "DeleteMessageBatchResultEntry", ("Id",))

    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout):
        self._call("ChangeMessageVisibility", {"QueueUrl": QueueUrl, "ReceiptHandle": ReceiptHandle,
                                               "VisibilityTimeout": VisibilityTimeout})
        return {}

    def change_message_visibility_batch(self, QueueUrl, Entries):
        p = {"QueueUrl": QueueUrl}
        _put_entries(p, "ChangeMessageVisibilityBatchRequestEntry", Entries)
        return _batch(self._call("ChangeMessageVisibilityBatch", p), "ChangeMessageVisibilityBatchResult",
                      "ChangeMessageVisibilityBatchResultEntry", ("Id",))
