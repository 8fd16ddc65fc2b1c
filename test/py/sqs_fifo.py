"""SQS FIFO queues, and an SNS FIFO topic fanning out to FIFO queues, with
boto3: the SQS side on the protocol WHARF_SQS_PROTOCOL names ("json",
boto3's default, or "query", through sqsquery.QueryClient), the SNS side
with boto3's SNS client (query). Expectations follow AWS's documentation
(the SQS Developer Guide's FIFO chapters and the API reference)."""

import hashlib
import json
import os
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sqsquery import QueryClient
from wharftest import ENDPOINT, REGION, check, eq, finish, md5_hex, name

PROTOCOL = os.environ.get("WHARF_SQS_PROTOCOL", "json")
_kw = dict(endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x",
           config=Config(retries={"max_attempts": 3, "mode": "standard"}))
sqs = QueryClient(ENDPOINT) if PROTOCOL == "query" else boto3.client("sqs", **_kw)
sns = boto3.client("sns", **_kw)
print(f"SQS protocol: {PROTOCOL}", flush=True)


def expect_error(fn, code, what, **kw):
    """Calls fn(**kw) and checks the ClientError's Error.Code (the
    query-compatible code on both protocols) and a 4xx status."""
    try:
        fn(**kw)
    except ClientError as e:
        eq(e.response.get("Error", {}).get("Code"), code, f"{what}: Error.Code")
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(400 <= st < 500, f"{what}: HTTP {st}, want 4xx")
        return e.response.get("Error", {}).get("Message") or ""
    check(False, f"{what}: succeeded, want {code}")
    return ""


def fifo(suffix, attrs=None):
    """Creates the FIFO queue PREFIX-suffix.fifo; returns its URL."""
    a = {"FifoQueue": "true"}
    a.update(attrs or {})
    return sqs.create_queue(QueueName=name(suffix) + ".fifo", Attributes=a)["QueueUrl"]


def arn_of(url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def recv(url, max_n=10, vis=60, wait=0, **kw):
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max_n, VisibilityTimeout=vis, WaitTimeSeconds=wait,
                            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"], **kw)
    return r.get("Messages", [])


def delete_all(url, msgs):
    for k in range(0, len(msgs), 10):
        r = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                           for i, m in enumerate(msgs[k:k + 10])])
        eq(r.get("Failed", []), [], "DeleteMessageBatch failures")


def drain(url, want, what, vis=60, timeout=20):
    """Receives (and deletes) until want messages came or timeout passed;
    then one more short receive must be empty. Returns the messages in
    receive order."""
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        msgs = recv(url, vis=vis, wait=1)
        got += msgs
        delete_all(url, msgs)
    extra = recv(url, vis=vis, wait=0)
    eq([m["Body"] for m in extra], [], f"{what}: messages beyond the {want} expected")
    delete_all(url, extra)
    eq(len(got), want, f"{what}: messages received")
    return got + extra


def seqnum(s, what):
    check(isinstance(s, str) and s.isdigit() and len(s) >= 10, f"{what}: SequenceNumber {s!r} is not a large number")
    return int(s) if isinstance(s, str) and s.isdigit() else -1


def by_group(msgs):
    out = {}
    for m in msgs:
        out.setdefault(m["Attributes"].get("MessageGroupId"), []).append(m["Body"])
    return out


# --- CreateQueue rules --------------------------------------------------------
expect_error(sqs.create_queue, "InvalidParameterValue", "CreateQueue of a .fifo name without FifoQueue",
             QueueName=name("nofifoattr") + ".fifo")
expect_error(sqs.create_queue, "InvalidParameterValue", "CreateQueue of a .fifo name with FifoQueue=false",
             QueueName=name("fifofalse") + ".fifo", Attributes={"FifoQueue": "false"})
expect_error(sqs.create_queue, "InvalidParameterValue", "CreateQueue FifoQueue=true without the .fifo suffix",
             QueueName=name("nosuffix"), Attributes={"FifoQueue": "true"})
for attr, val in (("ContentBasedDeduplication", "true"), ("DeduplicationScope", "queue"),
                  ("FifoThroughputLimit", "perQueue")):
    expect_error(sqs.create_queue, "InvalidAttributeName", f"CreateQueue of a standard queue with {attr}",
                 QueueName=name("std-" + attr[:5].lower()), Attributes={attr: val})
for attr, val in (("DeduplicationScope", "group"), ("FifoThroughputLimit", "perGroup"),
                  ("ContentBasedDeduplication", "maybe")):
    expect_error(sqs.create_queue, "InvalidAttributeValue", f"CreateQueue FIFO {attr}={val}",
                 QueueName=name("badval-" + attr[:5].lower()) + ".fifo", Attributes={"FifoQueue": "true", attr: val})
expect_error(sqs.create_queue, "InvalidAttributeValue",
             "CreateQueue FIFO FifoThroughputLimit=perMessageGroupId with DeduplicationScope=queue",
             QueueName=name("ht-bad") + ".fifo",
             Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"})
expect_error(sqs.create_queue, "InvalidAttributeValue",
             "CreateQueue FIFO FifoThroughputLimit=perMessageGroupId with the default scope (queue)",
             QueueName=name("ht-bad2") + ".fifo", Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"})

q1 = fifo("q1")
eq(q1.rsplit("/", 1)[-1], name("q1") + ".fifo", "FIFO QueueUrl ends with the name")
eq(fifo("q1"), q1, "CreateQueue of an existing FIFO queue with the same attributes")
a = sqs.get_queue_attributes(QueueUrl=q1, AttributeNames=["All"])["Attributes"]
for k, v in (("FifoQueue", "true"), ("ContentBasedDeduplication", "false"), ("DeduplicationScope", "queue"),
             ("FifoThroughputLimit", "perQueue")):
    eq(a.get(k), v, f"new FIFO queue attribute {k}")
eq(sqs.get_queue_attributes(QueueUrl=q1, AttributeNames=["FifoQueue"])["Attributes"], {"FifoQueue": "true"},
   "GetQueueAttributes FifoQueue alone")
expect_error(sqs.set_queue_attributes, "InvalidAttributeValue",
             "SetQueueAttributes FifoThroughputLimit=perMessageGroupId while DeduplicationScope=queue",
             QueueUrl=q1, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
sqs.set_queue_attributes(QueueUrl=q1, Attributes={"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"})
a = sqs.get_queue_attributes(QueueUrl=q1, AttributeNames=["DeduplicationScope", "FifoThroughputLimit"])["Attributes"]
eq(a, {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}, "high-throughput settings")
expect_error(sqs.set_queue_attributes, "InvalidAttributeValue",
             "SetQueueAttributes DeduplicationScope=queue while FifoThroughputLimit=perMessageGroupId",
             QueueUrl=q1, Attributes={"DeduplicationScope": "queue"})
sqs.set_queue_attributes(QueueUrl=q1, Attributes={"FifoThroughputLimit": "perQueue", "DeduplicationScope": "queue"})
std = sqs.create_queue(QueueName=name("std"))["QueueUrl"]
expect_error(sqs.set_queue_attributes, "InvalidAttributeName", "SetQueueAttributes ContentBasedDeduplication on a standard queue",
             QueueUrl=std, Attributes={"ContentBasedDeduplication": "true"})

# --- SendMessage rules ----------------------------------------------------------
expect_error(sqs.send_message, "MissingParameter", "SendMessage to FIFO without MessageGroupId",
             QueueUrl=q1, MessageBody="x", MessageDeduplicationId="d")
expect_error(sqs.send_message, "InvalidParameterValue",
             "SendMessage to FIFO without MessageDeduplicationId (no content-based deduplication)",
             QueueUrl=q1, MessageBody="x", MessageGroupId="g")
expect_error(sqs.send_message, "InvalidParameterValue", "SendMessage to FIFO with DelaySeconds=5",
             QueueUrl=q1, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="delay5", DelaySeconds=5)
# AWS refuses a per-message delay on FIFO queues, but an explicit 0 is
# accepted (the queue's delay applies), as LocalStack's AWS-validated model
# also does.
try:
    sqs.send_message(QueueUrl=q1, MessageBody="x", MessageGroupId="g0", MessageDeduplicationId="delay0", DelaySeconds=0)
    delete_all(q1, recv(q1, wait=1))
except ClientError as e:
    check(False, f"SendMessage to FIFO with an explicit DelaySeconds=0 refused: {e.response['Error']}")
expect_error(sqs.send_message, "InvalidParameterValue", "SendMessage to a standard queue with MessageDeduplicationId",
             QueueUrl=std, MessageBody="x", MessageDeduplicationId="d")
expect_error(sqs.send_message, "InvalidParameterValue", "SendMessage with a 129-character MessageGroupId",
             QueueUrl=q1, MessageBody="x", MessageGroupId="g" * 129, MessageDeduplicationId="d")
# A standard queue accepts MessageGroupId (fair queues) and returns it.
sqs.send_message(QueueUrl=std, MessageBody="tenant", MessageGroupId="tenant-1")
m = recv(std, wait=1)
eq([(x["Body"], x.get("Attributes", {}).get("MessageGroupId")) for x in m], [("tenant", "tenant-1")],
   "standard queue: MessageGroupId kept")
check(all("SequenceNumber" not in x.get("Attributes", {}) for x in m), "standard queue message has a SequenceNumber")
delete_all(std, m)

# --- deduplication by ID (scope queue) ----------------------------------------------
s1 = sqs.send_message(QueueUrl=q1, MessageBody="a", MessageGroupId="g1", MessageDeduplicationId="d1")
eq(s1.get("MD5OfMessageBody"), md5_hex("a"), "FIFO SendMessage MD5OfMessageBody")
n1 = seqnum(s1.get("SequenceNumber"), "FIFO SendMessage")
dup = sqs.send_message(QueueUrl=q1, MessageBody="b", MessageGroupId="g1", MessageDeduplicationId="d1")
eq((dup.get("MessageId"), dup.get("SequenceNumber")), (s1["MessageId"], s1.get("SequenceNumber")),
   "duplicate send (same ID, other body): the original MessageId and SequenceNumber")
dup = sqs.send_message(QueueUrl=q1, MessageBody="c", MessageGroupId="g2", MessageDeduplicationId="d1")
eq(dup.get("MessageId"), s1["MessageId"], "DeduplicationScope=queue: the same ID in another group is a duplicate")
s2 = sqs.send_message(QueueUrl=q1, MessageBody="a", MessageGroupId="g1", MessageDeduplicationId="d2")
check(s2["MessageId"] != s1["MessageId"], "a new deduplication ID gave the original MessageId")
n2 = seqnum(s2.get("SequenceNumber"), "second FIFO SendMessage")
check(n2 > n1, f"SequenceNumber not increasing: {n1} then {n2}")
got = drain(q1, 2, "dedup by ID")
eq([(m["MessageId"], m["Body"]) for m in got], [(s1["MessageId"], "a"), (s2["MessageId"], "a")],
   "dedup by ID: received the two distinct sends, in order")
for m, s in zip(got, (s1, s2)):
    at = m.get("Attributes", {})
    eq(at.get("SequenceNumber"), s.get("SequenceNumber"), "received SequenceNumber equals the send's")
    eq(at.get("MessageGroupId"), "g1", "received MessageGroupId")
    check(at.get("MessageDeduplicationId") in ("d1", "d2"), f"received MessageDeduplicationId {at.get('MessageDeduplicationId')!r}")
# Deduplication IDs outlive the message (5-minute interval).
dup = sqs.send_message(QueueUrl=q1, MessageBody="a", MessageGroupId="g1", MessageDeduplicationId="d1")
eq(dup.get("MessageId"), s1["MessageId"], "send with a deduplication ID of a deleted message: the original MessageId")
eq(recv(q1, wait=1), [], "a duplicate of a deleted message is not delivered")

# --- content-based deduplication ---------------------------------------------
q2 = fifo("q2", {"ContentBasedDeduplication": "true"})
x1 = sqs.send_message(QueueUrl=q2, MessageBody="same body", MessageGroupId="g")
x2 = sqs.send_message(QueueUrl=q2, MessageBody="same body", MessageGroupId="g")
eq(x2["MessageId"], x1["MessageId"], "content-based: the same body is a duplicate")
eq(x2.get("SequenceNumber"), x1.get("SequenceNumber"), "content-based duplicate: the original SequenceNumber")
x3 = sqs.send_message(QueueUrl=q2, MessageBody="same body", MessageGroupId="g", MessageDeduplicationId="explicit")
check(x3["MessageId"] != x1["MessageId"], "content-based: an explicit deduplication ID overrides the body hash")
x4 = sqs.send_message(QueueUrl=q2, MessageBody="other body", MessageGroupId="g")
check(x4["MessageId"] not in (x1["MessageId"], x3["MessageId"]), "content-based: another body is not a duplicate")
got = drain(q2, 3, "content-based")
eq([m["MessageId"] for m in got], [x1["MessageId"], x3["MessageId"], x4["MessageId"]], "content-based: order")
if got:
    eq(got[0]["Attributes"].get("MessageDeduplicationId"), hashlib.sha256(b"same body").hexdigest(),
       "content-based MessageDeduplicationId is the body's SHA-256")
    eq(got[1]["Attributes"].get("MessageDeduplicationId"), "explicit", "explicit MessageDeduplicationId")

# --- DeduplicationScope=messageGroup ------------------------------------------
q3 = fifo("q3", {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
y1 = sqs.send_message(QueueUrl=q3, MessageBody="m", MessageGroupId="g1", MessageDeduplicationId="d")
y2 = sqs.send_message(QueueUrl=q3, MessageBody="m", MessageGroupId="g2", MessageDeduplicationId="d")
check(y2["MessageId"] != y1["MessageId"], "scope messageGroup: the same ID in another group is not a duplicate")
y3 = sqs.send_message(QueueUrl=q3, MessageBody="n", MessageGroupId="g1", MessageDeduplicationId="d")
eq(y3["MessageId"], y1["MessageId"], "scope messageGroup: the same ID in the same group is a duplicate")
got = drain(q3, 2, "scope messageGroup")
eq(sorted(m["MessageId"] for m in got), sorted([y1["MessageId"], y2["MessageId"]]), "scope messageGroup: delivered")

# --- order within a group across batches, SequenceNumber ------------------
q4 = fifo("q4", {"ContentBasedDeduplication": "true"})
sent = {"A": [], "B": []}
seqs = []


def send_batch(entries, what):
    r = sqs.send_message_batch(QueueUrl=q4, Entries=entries)
    eq(r.get("Failed", []), [], f"{what}: failed entries")
    ok = {e["Id"]: e for e in r.get("Successful", [])}
    for e in entries:
        s = ok.get(e["Id"])
        if s:
            seqs.append(seqnum(s.get("SequenceNumber"), f"{what} entry {e['Id']}"))
            sent[e["MessageGroupId"]].append(e["MessageBody"])


for b in range(2):
    entries = []
    for i in range(5):
        for g in ("A", "B"):
            n = b * 5 + i
            entries.append({"Id": f"{g}{n}", "MessageBody": f"{g}-{n:02d}", "MessageGroupId": g})
    send_batch(entries, f"SendMessageBatch {b + 1}")
for g in ("A", "B"):
    r = sqs.send_message(QueueUrl=q4, MessageBody=f"{g}-10", MessageGroupId=g)
    seqs.append(seqnum(r.get("SequenceNumber"), "single send"))
    sent[g].append(f"{g}-10")
eq(seqs, sorted(seqs), "SequenceNumbers increase in the order of sends and batch entries")
eq(len(set(seqs)), len(seqs), "SequenceNumbers are distinct")
first = recv(q4, max_n=10, vis=60)
groups = {m["Attributes"]["MessageGroupId"] for m in first}
eq(len(first), 10, "first receive of 10: as many messages as possible")
eq(groups, {"A"}, "first receive of 10 comes from one group (as many as possible from the same group)")
eq([m["Body"] for m in first], [f"A-{i:02d}" for i in range(10)], "group A's first ten, in order")
second = recv(q4, max_n=10, vis=60)
eq([m["Body"] for m in second if m["Attributes"]["MessageGroupId"] == "A"], [],
   "group lock: no message of group A while A has messages in flight")
eq([m["Body"] for m in second], [f"B-{i:02d}" for i in range(10)], "group B is receivable meanwhile, in order")
eq(recv(q4, max_n=10, vis=60, wait=1), [], "both groups locked: nothing to receive")
rseq = [int(m["Attributes"]["SequenceNumber"]) for m in first + second]
eq([x for x in rseq[:10]], sorted(rseq[:10]), "ReceiveMessage SequenceNumbers increase within a group")
delete_all(q4, first)
third = recv(q4, max_n=10, vis=60, wait=1)
eq([m["Body"] for m in third], ["A-10"], "after deleting A's batch: A's next message (B still locked)")
delete_all(q4, second + third)
last = recv(q4, max_n=10, vis=60, wait=1)
eq([m["Body"] for m in last], ["B-10"], "after deleting B's batch: B's next message")
delete_all(q4, last)

# --- group lock, visibility, redelivery before later messages ----------------
q5 = fifo("q5", {"ContentBasedDeduplication": "true"})
for b, g in (("g1-1", "g1"), ("g1-2", "g1"), ("g2-1", "g2")):
    sqs.send_message(QueueUrl=q5, MessageBody=b, MessageGroupId=g)
m1 = recv(q5, max_n=1)
eq([m["Body"] for m in m1], ["g1-1"], "receive of 1: the oldest message")
m2 = recv(q5, max_n=10)
eq([m["Body"] for m in m2], ["g2-1"], "group lock: g1-2 held back while g1-1 is in flight; g2 receivable")
eq(recv(q5, max_n=10), [], "every group locked: empty receive")
if m1:
    sqs.change_message_visibility(QueueUrl=q5, ReceiptHandle=m1[0]["ReceiptHandle"], VisibilityTimeout=0)
    again = recv(q5, max_n=10)
    eq([(m["Body"], m["Attributes"].get("ApproximateReceiveCount")) for m in again], [("g1-1", "2"), ("g1-2", "1")],
       "after g1-1's visibility ended: g1-1 again (count 2), before g1-2")
    delete_all(q5, again)
delete_all(q5, m2)
eq(recv(q5, max_n=10, wait=1), [], "q5 empty")

# --- ReceiveRequestAttemptId ---------------------------------------------------
q6 = fifo("q6", {"ContentBasedDeduplication": "true"})
for i in range(3):
    sqs.send_message(QueueUrl=q6, MessageBody=f"r-{i}", MessageGroupId="g")
r1 = recv(q6, max_n=2, vis=60, ReceiveRequestAttemptId="attempt-1")
eq([m["Body"] for m in r1], ["r-0", "r-1"], "receive with an attempt ID")
r2 = recv(q6, max_n=2, vis=60, ReceiveRequestAttemptId="attempt-1")
eq([(m["MessageId"], m["ReceiptHandle"]) for m in r2], [(m["MessageId"], m["ReceiptHandle"]) for m in r1],
   "retry with the same ReceiveRequestAttemptId: the same messages and receipt handles")
eq(recv(q6, max_n=2, vis=60), [], "a receive without the attempt ID gets nothing (group locked)")
r3 = recv(q6, max_n=2, vis=60, ReceiveRequestAttemptId="attempt-2")
eq(r3, [], "another attempt ID gets nothing while the group is locked")
expect_error(sqs.receive_message, "InvalidParameterValue", "ReceiveRequestAttemptId of 129 characters",
             QueueUrl=q6, ReceiveRequestAttemptId="a" * 129)
delete_all(q6, r1)
got = drain(q6, 1, "attempt queue rest")
eq([m["Body"] for m in got], ["r-2"], "after the delete: the group's next message")

# --- dead-letter queues ---------------------------------------------------------
dlq = fifo("dlq")
dlq_arn = arn_of(dlq)
std_arn = arn_of(std)
src = fifo("src", {"ContentBasedDeduplication": "true"})
expect_error(sqs.set_queue_attributes, "InvalidParameterValue", "FIFO queue with a standard dead-letter queue",
             QueueUrl=src, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": std_arn, "maxReceiveCount": 1})})
expect_error(sqs.set_queue_attributes, "InvalidParameterValue", "standard queue with a FIFO dead-letter queue",
             QueueUrl=std, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
for b, g in (("d-1", "g1"), ("e-1", "g2"), ("d-2", "g1"), ("d-3", "g1"), ("e-2", "g2")):
    sqs.send_message(QueueUrl=src, MessageBody=b, MessageGroupId=g)
taken = []
deadline = time.time() + 10
while len(taken) < 5 and time.time() < deadline:
    taken += recv(src, max_n=10, vis=60, wait=1)
eq(sorted(m["Body"] for m in taken), ["d-1", "d-2", "d-3", "e-1", "e-2"], "source: first receive of every message")
r = sqs.change_message_visibility_batch(QueueUrl=src, Entries=[
    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(taken)])
eq(r.get("Failed", []), [], "ChangeMessageVisibilityBatch to 0")
eq(recv(src, max_n=10, vis=60, wait=1), [], "past maxReceiveCount: the receive moves them, returns nothing")
moved = drain(dlq, 5, "FIFO dead-letter queue")
eq(by_group(moved), {"g1": ["d-1", "d-2", "d-3"], "g2": ["e-1", "e-2"]}, "dead-letter queue keeps each group's order")
for m in moved:
    eq(m["Attributes"].get("DeadLetterQueueSourceArn"), arn_of(src), f"{m['Body']}: DeadLetterQueueSourceArn")
    seqnum(m["Attributes"].get("SequenceNumber"), f"{m['Body']} in the dead-letter queue")

# --- SendMessageBatch with FIFO entries ----------------------------------------
q7 = fifo("q7")
r = sqs.send_message_batch(QueueUrl=q7, Entries=[
    {"Id": "ok1", "MessageBody": "b-1", "MessageGroupId": "g", "MessageDeduplicationId": "k1"},
    {"Id": "nogroup", "MessageBody": "b-x", "MessageDeduplicationId": "kx"},
    {"Id": "nodedup", "MessageBody": "b-y", "MessageGroupId": "g"},
    {"Id": "delay", "MessageBody": "b-z", "MessageGroupId": "g", "MessageDeduplicationId": "kz", "DelaySeconds": 2},
    {"Id": "ok2", "MessageBody": "b-2", "MessageGroupId": "g", "MessageDeduplicationId": "k2"},
    {"Id": "dup", "MessageBody": "b-3", "MessageGroupId": "g", "MessageDeduplicationId": "k1"},
])
ok = {e["Id"]: e for e in r.get("Successful", [])}
eq(sorted(ok), ["dup", "ok1", "ok2"], "SendMessageBatch FIFO: successful entries")
eq(sorted((f["Id"], f["Code"], f["SenderFault"]) for f in r.get("Failed", [])),
   [("delay", "InvalidParameterValue", True), ("nodedup", "InvalidParameterValue", True),
    ("nogroup", "MissingParameter", True)], "SendMessageBatch FIFO: failed entries")
if {"ok1", "ok2", "dup"} <= set(ok):
    check(seqnum(ok["ok1"].get("SequenceNumber"), "batch ok1") < seqnum(ok["ok2"].get("SequenceNumber"), "batch ok2"),
          "batch SequenceNumbers follow entry order")
    eq((ok["dup"]["MessageId"], ok["dup"].get("SequenceNumber")), (ok["ok1"]["MessageId"], ok["ok1"].get("SequenceNumber")),
       "a duplicate within the batch: the first entry's MessageId and SequenceNumber")
got = drain(q7, 2, "FIFO batch")
eq([m["Body"] for m in got], ["b-1", "b-2"], "FIFO batch: delivered once each, in entry order")

# --- SNS FIFO topic fanning out to FIFO queues ---------------------------------
tname = name("topic") + ".fifo"
topic = sns.create_topic(Name=tname, Attributes={"FifoTopic": "true"})["TopicArn"]
eq(sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("FifoTopic"), "true", "topic FifoTopic")
raw_q = fifo("sns-raw")
env_q = fifo("sns-env")
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(raw_q), Attributes={"RawMessageDelivery": "true"})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(env_q))
std_topic = sns.create_topic(Name=name("stdtopic"))["TopicArn"]
try:
    sns.subscribe(TopicArn=std_topic, Protocol="sqs", Endpoint=arn_of(raw_q))
    check(False, "a standard topic accepted a FIFO queue subscription")
except ClientError as e:
    eq(e.response["Error"]["Code"], "InvalidParameter", "standard topic + FIFO queue subscription: Error.Code")
for kw, what in (({"MessageDeduplicationId": "x"}, "Publish to a FIFO topic without MessageGroupId"),
                 ({"MessageGroupId": "g"}, "Publish to a FIFO topic without a deduplication ID (no content-based)")):
    try:
        sns.publish(TopicArn=topic, Message="x", **kw)
        check(False, f"{what}: succeeded")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "InvalidParameter", f"{what}: Error.Code")

pubs = {}


def publish(body, group, dedup):
    r = sns.publish(TopicArn=topic, Message=body, MessageGroupId=group, MessageDeduplicationId=dedup)
    seqnum(r.get("SequenceNumber"), f"Publish {body}")
    return r


p1 = publish("s-1", "g1", "s1")
pubs["s-1"] = p1
pubs["t-1"] = publish("t-1", "g2", "t1")
pubs["s-2"] = publish("s-2", "g1", "s2")
pd = publish("s-1 again", "g1", "s1")
eq((pd["MessageId"], pd.get("SequenceNumber")), (p1["MessageId"], p1.get("SequenceNumber")),
   "duplicate Publish: the original MessageId and SequenceNumber")
r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
    {"Id": "a", "Message": "s-3", "MessageGroupId": "g1", "MessageDeduplicationId": "s3"},
    {"Id": "b", "Message": "t-2", "MessageGroupId": "g2", "MessageDeduplicationId": "t2"},
    {"Id": "c", "Message": "s-2 dup", "MessageGroupId": "g1", "MessageDeduplicationId": "s2"},
    {"Id": "d", "Message": "s-4", "MessageGroupId": "g1", "MessageDeduplicationId": "s4"},
])
eq(r.get("Failed", []), [], "PublishBatch to a FIFO topic: failures")
okb = {e["Id"]: e for e in r.get("Successful", [])}
if "c" in okb:
    eq(okb["c"]["MessageId"], pubs["s-2"]["MessageId"], "PublishBatch duplicate entry: the original MessageId")
for i, body in (("a", "s-3"), ("b", "t-2"), ("d", "s-4")):
    if i in okb:
        pubs[body] = okb[i]
order = [int(pubs[b]["SequenceNumber"]) for b in ("s-1", "t-1", "s-2", "s-3", "t-2", "s-4") if b in pubs]
eq(order, sorted(order), "topic SequenceNumbers increase in publish order")
want = {"g1": ["s-1", "s-2", "s-3", "s-4"], "g2": ["t-1", "t-2"]}
got = drain(raw_q, 6, "SNS FIFO raw delivery")
eq(by_group(got), want, "SNS FIFO -> FIFO queue (raw): each group in publish order, duplicates dropped")
for m in got:
    at = m["Attributes"]
    check(at.get("MessageDeduplicationId") in ("s1", "s2", "s3", "s4", "t1", "t2"),
          f"raw delivery {m['Body']}: MessageDeduplicationId {at.get('MessageDeduplicationId')!r}")
got = drain(env_q, 6, "SNS FIFO envelope delivery")
envs = []
for m in got:
    try:
        envs.append((m["Attributes"].get("MessageGroupId"), json.loads(m["Body"])))
    except ValueError:
        check(False, f"envelope delivery body is not JSON: {m['Body'][:200]!r}")
eq({g: [e.get("Message") for gg, e in envs if gg == g] for g in {g for g, _ in envs}}, want,
   "SNS FIFO -> FIFO queue (envelope): each group in publish order, duplicates dropped")
for _, e in envs:
    p = pubs.get(e.get("Message"))
    if p:
        eq(e.get("MessageId"), p["MessageId"], f"envelope {e.get('Message')}: MessageId is the publish's")
        eq(e.get("SequenceNumber"), p.get("SequenceNumber"), f"envelope {e.get('Message')}: SequenceNumber is the publish's")
    eq(e.get("TopicArn"), topic, "envelope TopicArn")
    check("Signature" not in e, "a FIFO topic's envelope carries a Signature")

# --- behaviours an earlier version got wrong -------------------------------------
# The SQS Developer Guide: "For FIFO queues, the per-queue delay setting is
# retroactive".
q8 = fifo("q8", {"ContentBasedDeduplication": "true", "DelaySeconds": "60"})
sqs.send_message(QueueUrl=q8, MessageBody="delayed", MessageGroupId="g")
sqs.set_queue_attributes(QueueUrl=q8, Attributes={"DelaySeconds": "0"})
got = recv(q8, wait=1)
check([m["Body"] for m in got] == ["delayed"],
          f"FIFO queue DelaySeconds lowered 60 -> 0 is not retroactive: receive got {[m['Body'] for m in got]}")
delete_all(q8, got)
# SNS passes the deduplication ID on to a subscribed FIFO queue, whose own
# deduplication then applies (a second FIFO topic, or a direct send, with
# the same ID within 5 minutes is a duplicate for the queue).
q9 = fifo("q9")
topic2 = sns.create_topic(Name=name("topic2") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
sns.subscribe(TopicArn=topic2, Protocol="sqs", Endpoint=arn_of(q9), Attributes={"RawMessageDelivery": "true"})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(q9), Attributes={"RawMessageDelivery": "true"})
sns.publish(TopicArn=topic, Message="via topic", MessageGroupId="g", MessageDeduplicationId="shared-id")
sns.publish(TopicArn=topic2, Message="via topic2", MessageGroupId="g", MessageDeduplicationId="shared-id")
sqs.send_message(QueueUrl=q9, MessageBody="direct", MessageGroupId="g", MessageDeduplicationId="shared-id")
got = []
deadline = time.time() + 5
while time.time() < deadline:
    msgs = recv(q9, wait=1)
    if not msgs:
        break
    got += msgs
    delete_all(q9, msgs)
check([m["Body"] for m in got] == ["via topic"],
          f"FIFO queue deduplication skipped for SNS deliveries: one deduplication ID delivered {[m['Body'] for m in got]}")

# --- clean up ------------------------------------------------------------------------
for u in (q1, q2, q3, q4, q5, q6, q7, q8, q9, src, dlq, raw_q, env_q, std):
    sqs.delete_queue(QueueUrl=u)
for t in (topic, topic2, std_topic):
    sns.delete_topic(TopicArn=t)

finish()
