"""boto3's SNS client (the query protocol, signed for service sns) against
one node: every SNS action, the envelope an SQS subscriber receives, raw
delivery, each filter policy operator on attributes and on the body, the
HTTP confirmation flow through a local endpoint, and the error codes.

Expectations follow AWS's documentation and botocore's real behaviour."""

import base64
import json
import queue
import re
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from wharftest import (ACCOUNT, ENDPOINT, REGION, check, eq, finish, md5_hex,
                       md5_of_attributes, name)

_cfg = Config(retries={"max_attempts": 3, "mode": "standard"})
_kw = dict(endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="x",
           aws_secret_access_key="x", config=_cfg)
sns = boto3.client("sns", **_kw)
sqs = boto3.client("sqs", **_kw)


def expect_error(fn, code, what, status=None, exc=None, **kw):
    """Calls fn(**kw) and checks the ClientError: Error.Code, the HTTP
    status (4xx unless given) and the modeled exception class."""
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response.get("Error", {})
        eq(err.get("Code"), code, f"{what}: Error.Code")
        st = e.response["ResponseMetadata"]["HTTPStatusCode"]
        if status is not None:
            eq(st, status, f"{what}: HTTP status")
        else:
            check(400 <= st < 500, f"{what}: HTTP {st}, want 4xx")
        if exc is not None:
            cls = getattr(sns.exceptions, exc)
            check(isinstance(e, cls), f"{what}: exception {type(e).__name__}, want sns.exceptions.{exc}")
        return err
    check(False, f"{what}: succeeded, want {code}")
    return {}


def topic_arn(n):
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{n}"


def new_queue(suffix, attrs=None):
    url = sqs.create_queue(QueueName=name(suffix), Attributes=attrs or {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def drain(url, want=0, timeout=10):
    """Receives (and deletes) every message of a queue: long polls until at
    least want messages came (or timeout passes), then short polls until
    the queue is empty. Fan-out to queues happens in the publish's own raft
    command, so what a publish delivers to a queue is there once it has
    answered."""
    got = []
    deadline = time.time() + timeout
    while True:
        wait = 1 if len(got) < want and time.time() < deadline else 0
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
        msgs = r.get("Messages", [])
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        got.extend(msgs)
        if not msgs and wait == 0:
            return got


def paginate(fn, key, **kw):
    items, token, pages = [], None, []
    while True:
        args = dict(kw)
        if token:
            args["NextToken"] = token
        r = fn(**args)
        pages.append(len(r.get(key, [])))
        items.extend(r.get(key, []))
        token = r.get("NextToken")
        if not token:
            return items, pages


# --- signature verification (when the cryptography package is present) ----
try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:  # the Go HTTP test verifies signatures regardless
    x509 = None

_certs = {}


def string_to_sign(env):
    if env["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{env[k]}\n" for k in keys if k in env).encode("utf-8")


def verify_signature(env, what):
    sig = base64.b64decode(env.get("Signature", ""))
    eq(len(sig), 256, f"{what}: signature length (RSA-2048)")
    if x509 is None:
        return
    url = env["SigningCertURL"]
    if url not in _certs:
        with urllib.request.urlopen(url, timeout=10) as r:
            _certs[url] = x509.load_pem_x509_certificate(r.read())
    h = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
    try:
        _certs[url].public_key().verify(sig, string_to_sign(env), padding.PKCS1v15(), h)
    except Exception as e:  # InvalidSignature
        check(False, f"{what}: signature does not verify ({type(e).__name__})")


TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- a local HTTP endpoint for http subscriptions ---------------------------
class Collector(BaseHTTPRequestHandler):
    posts = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Collector.posts.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
HOOK = f"http://127.0.0.1:{httpd.server_address[1]}"


def next_post(path, timeout=20):
    """The next POST to path (others are put back)."""
    deadline = time.time() + timeout
    others = []
    try:
        while time.time() < deadline:
            try:
                p = Collector.posts.get(timeout=max(0.05, deadline - time.time()))
            except queue.Empty:
                break
            if p[0] == path:
                return p
            others.append(p)
    finally:
        for o in others:
            Collector.posts.put(o)
    return None


# =============================================================================
# Topics
tname = name("topic")
arn = sns.create_topic(Name=tname)["TopicArn"]
eq(arn, topic_arn(tname), "CreateTopic TopicArn")
eq(sns.create_topic(Name=tname)["TopicArn"], arn, "CreateTopic again: same ARN (idempotent)")
a_name = name("attrs")
a_arn = sns.create_topic(Name=a_name, Attributes={"DisplayName": "shown"}, Tags=[{"Key": "team", "Value": "wharf"}])["TopicArn"]
eq(sns.create_topic(Name=a_name, Attributes={"DisplayName": "shown"})["TopicArn"], a_arn,
   "CreateTopic again with the same attributes")
expect_error(sns.create_topic, "InvalidParameter", "CreateTopic of an existing topic with other attributes",
             exc="InvalidParameterException", Name=a_name, Attributes={"DisplayName": "other"})
expect_error(sns.create_topic, "InvalidParameter", "CreateTopic of an existing topic with other tags",
             exc="InvalidParameterException", Name=a_name, Tags=[{"Key": "team", "Value": "other"}])
for bad in ["bad name", "a/b", "x" * 257, "ünï"]:
    expect_error(sns.create_topic, "InvalidParameter", f"CreateTopic {bad[:20]!r}", Name=bad)
expect_error(sns.create_topic, "InvalidParameter", "CreateTopic with an unknown attribute",
             Name=name("badattr"), Attributes={"Bogus": "1"})

attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
eq(attrs.get("TopicArn"), arn, "GetTopicAttributes TopicArn")
eq(attrs.get("Owner"), ACCOUNT, "GetTopicAttributes Owner")
eq(attrs.get("DisplayName"), "", "GetTopicAttributes DisplayName default")
eq(attrs.get("SubscriptionsConfirmed"), "0", "SubscriptionsConfirmed of a new topic")
eq(attrs.get("SubscriptionsPending"), "0", "SubscriptionsPending of a new topic")
check("Policy" in attrs and json.loads(attrs["Policy"]).get("Statement"), "GetTopicAttributes Policy")
check("EffectiveDeliveryPolicy" in attrs, "GetTopicAttributes EffectiveDeliveryPolicy")
eq(sns.get_topic_attributes(TopicArn=a_arn)["Attributes"].get("DisplayName"), "shown", "DisplayName set at creation")

sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Wharf Topic")
eq(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("DisplayName"), "Wharf Topic", "SetTopicAttributes DisplayName")
tdp = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 10, "numRetries": 4,
                                              "numNoDelayRetries": 0, "numMinDelayRetries": 0,
                                              "numMaxDelayRetries": 0, "backoffFunction": "linear"},
                "disableSubscriptionOverrides": False}}
sns.set_topic_attributes(TopicArn=a_arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(tdp))
got = sns.get_topic_attributes(TopicArn=a_arn)["Attributes"]
eq(json.loads(got.get("DeliveryPolicy", "null")), tdp, "SetTopicAttributes DeliveryPolicy")
expect_error(sns.set_topic_attributes, "InvalidParameter", "SetTopicAttributes DeliveryPolicy not JSON",
             TopicArn=a_arn, AttributeName="DeliveryPolicy", AttributeValue="{nope")
expect_error(sns.set_topic_attributes, "InvalidParameter", "SetTopicAttributes SignatureVersion 3",
             TopicArn=a_arn, AttributeName="SignatureVersion", AttributeValue="3")
expect_error(sns.set_topic_attributes, "InvalidParameter", "SetTopicAttributes of an unknown attribute",
             exc="InvalidParameterException", TopicArn=arn, AttributeName="Bogus", AttributeValue="1")
missing = topic_arn(name("missing"))
expect_error(sns.get_topic_attributes, "NotFound", "GetTopicAttributes of a missing topic", status=404,
             exc="NotFoundException", TopicArn=missing)
expect_error(sns.set_topic_attributes, "NotFound", "SetTopicAttributes of a missing topic", status=404,
             TopicArn=missing, AttributeName="DisplayName", AttributeValue="x")
expect_error(sns.get_topic_attributes, "InvalidParameter", "GetTopicAttributes with a malformed ARN",
             exc="InvalidParameterException", TopicArn="not-an-arn")

# ListTopics: pages of 100 with NextToken.
many = [name(f"page-{i:03d}") for i in range(105)]
for n in many:
    sns.create_topic(Name=n)
listed, pages = paginate(sns.list_topics, "Topics")
arns = [t["TopicArn"] for t in listed]
check(all(p == 100 for p in pages[:-1]) and 0 < pages[-1] <= 100, f"ListTopics page sizes {pages}, want 100s then the rest")
check(len(pages) >= 2, f"ListTopics gave {len(pages)} page(s) for at least 105 topics")
check(set(topic_arn(n) for n in many + [tname, a_name]) <= set(arns), "ListTopics: every created topic is listed")
eq(len(arns), len(set(arns)), "ListTopics: no topic listed twice")
# Topics created and deleted between two pages shift no page: nothing that
# existed throughout is repeated or skipped.
mine = {topic_arn(n) for n in many}


def walk_to_mine():
    """Lists pages up to the first that holds one of this run's topics (105
    topics span two pages at least, so that page is not the last)."""
    seen, token = [], None
    while True:
        r = sns.list_topics(**({"NextToken": token} if token else {}))
        page = [t["TopicArn"] for t in r["Topics"]]
        seen.extend(page)
        token = r.get("NextToken")
        ours = [a for a in page if a in mine]
        if ours or not token:
            return seen, token, ours


# A topic created before the page boundary repeats nothing...
seen, token, ours = walk_to_mine()
if check(ours and token, "ListTopics: a page before the last holds one of this run's topics"):
    early = sns.create_topic(Name="0-" + name("early"))["TopicArn"]  # sorts before every topic listed so far
    rest = [t["TopicArn"] for t in paginate(sns.list_topics, "Topics", NextToken=token)[0]]
    eq(sorted(set(seen) & set(rest)), [], "ListTopics: no topic listed twice after a create between pages")
    sns.delete_topic(TopicArn=early)
# ...and one deleted before it skips nothing.
seen, token, ours = walk_to_mine()
if check(ours and token, "ListTopics: a page before the last holds one of this run's topics (2)"):
    sns.delete_topic(TopicArn=ours[0])
    rest = [t["TopicArn"] for t in paginate(sns.list_topics, "Topics", NextToken=token)[0]]
    eq(sorted(mine - {ours[0]} - set(seen) - set(rest)), [], "ListTopics: no topic skipped after a delete between pages")
expect_error(sns.list_topics, "InvalidParameter", "ListTopics with a bogus NextToken", NextToken="!bogus!")

# =============================================================================
# Subscriptions
q_url, q_arn = new_queue("sub")
sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q_arn)["SubscriptionArn"]
check(sub.startswith(arn + ":"), f"Subscribe sqs SubscriptionArn {sub!r} starts with the topic ARN")
eq(sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q_arn)["SubscriptionArn"], sub,
   "Subscribe again: same ARN (idempotent)")
expect_error(sns.subscribe, "InvalidParameter", "Subscribe again with other attributes",
             exc="InvalidParameterException", TopicArn=arn, Protocol="sqs", Endpoint=q_arn,
             Attributes={"RawMessageDelivery": "true"})
sa = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
for k, v in {"SubscriptionArn": sub, "TopicArn": arn, "Protocol": "sqs", "Endpoint": q_arn, "Owner": ACCOUNT,
             "PendingConfirmation": "false", "RawMessageDelivery": "false"}.items():
    eq(sa.get(k), v, f"GetSubscriptionAttributes {k}")

# http: pending until confirmed.
pend = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=HOOK + "/confirm-me")
eq(pend.get("SubscriptionArn"), "pending confirmation", "Subscribe http: SubscriptionArn")
http_sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=HOOK + "/confirm-me",
                         ReturnSubscriptionArn=True)["SubscriptionArn"]
check(http_sub.startswith(arn + ":"), f"Subscribe http ReturnSubscriptionArn gives the ARN, got {http_sub!r}")
eq(sns.get_subscription_attributes(SubscriptionArn=http_sub)["Attributes"].get("PendingConfirmation"), "true",
   "http subscription PendingConfirmation before confirming")
eq(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("SubscriptionsPending"), "1", "SubscriptionsPending")
eq(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("SubscriptionsConfirmed"), "1", "SubscriptionsConfirmed")
by_topic = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
eq(sorted((s["Protocol"], s["SubscriptionArn"]) for s in by_topic),
   sorted([("sqs", sub), ("http", "PendingConfirmation")]), "ListSubscriptionsByTopic (pending shows PendingConfirmation)")
for s in by_topic:
    eq(s.get("TopicArn"), arn, "ListSubscriptionsByTopic TopicArn")
    eq(s.get("Owner"), ACCOUNT, "ListSubscriptionsByTopic Owner")

post = next_post("/confirm-me")
check(post is not None, "the http endpoint received no SubscriptionConfirmation")
token = None
if post:
    _, hdrs, body = post
    env = json.loads(body)
    eq(hdrs.get("x-amz-sns-message-type"), "SubscriptionConfirmation", "confirmation x-amz-sns-message-type")
    eq(hdrs.get("x-amz-sns-topic-arn"), arn, "confirmation x-amz-sns-topic-arn")
    eq(env.get("Type"), "SubscriptionConfirmation", "confirmation Type")
    eq(env.get("TopicArn"), arn, "confirmation TopicArn")
    check(env.get("SubscribeURL", "").find("Action=ConfirmSubscription") >= 0, "confirmation SubscribeURL")
    verify_signature(env, "SubscriptionConfirmation")
    token = env.get("Token")
expect_error(sns.confirm_subscription, "InvalidParameter", "ConfirmSubscription with a wrong token",
             exc="InvalidParameterException", TopicArn=arn, Token="00" * 64)
if token:
    eq(sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"], http_sub, "ConfirmSubscription ARN")
    eq(sns.confirm_subscription(TopicArn=arn, Token=token, AuthenticateOnUnsubscribe="true")["SubscriptionArn"],
       http_sub, "ConfirmSubscription again")
    eq(sns.get_subscription_attributes(SubscriptionArn=http_sub)["Attributes"].get("PendingConfirmation"), "false",
       "PendingConfirmation after ConfirmSubscription")
    by_topic = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    eq(sorted(s["SubscriptionArn"] for s in by_topic), sorted([sub, http_sub]), "ListSubscriptionsByTopic after confirming")

# Rejected protocols and endpoints.
for proto, ep in [("email", "someone@example.com"), ("sms", "+15555550100"), ("lambda", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
                  ("bogus", "x")]:
    err = expect_error(sns.subscribe, "InvalidParameter", f"Subscribe protocol {proto}",
                       exc="InvalidParameterException", TopicArn=arn, Protocol=proto, Endpoint=ep)
    check("protocol" in err.get("Message", "").lower(), f"Subscribe {proto}: message names the protocol: {err.get('Message')!r}")
expect_error(sns.subscribe, "InvalidParameter", "Subscribe sqs with a non-ARN endpoint",
             TopicArn=arn, Protocol="sqs", Endpoint="https://example.com/q")
expect_error(sns.subscribe, "InvalidParameter", "Subscribe http with an https URL",
             TopicArn=arn, Protocol="http", Endpoint="https://example.com/x")
fifo_q = sqs.create_queue(QueueName=name("std.fifo"), Attributes={"FifoQueue": "true"})["QueueUrl"]
fifo_arn = sqs.get_queue_attributes(QueueUrl=fifo_q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
err = expect_error(sns.subscribe, "InvalidParameter", "Subscribe a FIFO queue to a standard topic",
                   TopicArn=arn, Protocol="sqs", Endpoint=fifo_arn)
check(err.get("Message", "").count("Invalid parameter") == 1, f"message says 'Invalid parameter' once: {err.get('Message')!r}")
sqs.delete_queue(QueueUrl=fifo_q)
expect_error(sns.subscribe, "NotFound", "Subscribe to a missing topic", status=404,
             TopicArn=missing, Protocol="sqs", Endpoint=q_arn)

# Subscription attributes.
dlq_url, dlq_arn = new_queue("sub-dlq")
for k, v in [("RawMessageDelivery", "true"), ("FilterPolicy", json.dumps({"store": ["a"]})),
             ("FilterPolicyScope", "MessageBody"), ("RedrivePolicy", json.dumps({"deadLetterTargetArn": dlq_arn}))]:
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=k, AttributeValue=v)
    eq(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"].get(k), v, f"Set/GetSubscriptionAttributes {k}")
sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes")
sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
sa = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
check("FilterPolicy" not in sa or sa["FilterPolicy"] in ("", "{}"), f"FilterPolicy after clearing: {sa.get('FilterPolicy')!r}")
for k in ("RawMessageDelivery", "RedrivePolicy"):
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=k,
                                    AttributeValue="false" if k == "RawMessageDelivery" else "")
sdp = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 2, "numRetries": 3, "numNoDelayRetries": 0,
                              "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "exponential"}}
if token:
    sns.set_subscription_attributes(SubscriptionArn=http_sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(sdp))
    eq(json.loads(sns.get_subscription_attributes(SubscriptionArn=http_sub)["Attributes"].get("DeliveryPolicy", "null")),
       sdp, "Set/GetSubscriptionAttributes DeliveryPolicy")
    expect_error(sns.set_subscription_attributes, "InvalidParameter", "DeliveryPolicy with minDelayTarget > maxDelayTarget",
                 SubscriptionArn=http_sub, AttributeName="DeliveryPolicy",
                 AttributeValue=json.dumps({"healthyRetryPolicy": {"minDelayTarget": 9, "maxDelayTarget": 2, "numRetries": 3}}))
for k, v, what in [("RawMessageDelivery", "maybe", "RawMessageDelivery maybe"),
                   ("FilterPolicy", "{not json", "FilterPolicy not JSON"),
                   ("FilterPolicy", json.dumps({"a": [{"bogus-op": 1}]}), "FilterPolicy with an unknown operator"),
                   ("FilterPolicy", json.dumps({k: ["x"] for k in "abcdef"}), "FilterPolicy with 6 keys"),
                   ("FilterPolicyScope", "Everything", "FilterPolicyScope Everything"),
                   ("RedrivePolicy", json.dumps({"deadLetterTargetArn": "nope"}), "RedrivePolicy with a bad ARN"),
                   ("Bogus", "1", "an unknown subscription attribute")]:
    expect_error(sns.set_subscription_attributes, "InvalidParameter", f"SetSubscriptionAttributes {what}",
                 exc="InvalidParameterException", SubscriptionArn=sub, AttributeName=k, AttributeValue=v)
missing_sub = arn + ":00000000-0000-0000-0000-000000000000"
expect_error(sns.get_subscription_attributes, "NotFound", "GetSubscriptionAttributes of a missing subscription",
             status=404, exc="NotFoundException", SubscriptionArn=missing_sub)
expect_error(sns.set_subscription_attributes, "NotFound", "SetSubscriptionAttributes of a missing subscription",
             status=404, SubscriptionArn=missing_sub, AttributeName="RawMessageDelivery", AttributeValue="true")
expect_error(sns.get_subscription_attributes, "InvalidParameter", "GetSubscriptionAttributes with a malformed ARN",
             SubscriptionArn="nope")

# =============================================================================
# Publish to an SQS subscriber: the envelope
if token:  # the http subscriber must not get in the way of this section
    sns.unsubscribe(SubscriptionArn=http_sub)
mattrs = {
    "s": {"DataType": "String", "StringValue": "ünïcödé <&>"},
    "n": {"DataType": "Number", "StringValue": "3.14"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff"},
    "arr": {"DataType": "String.Array", "StringValue": '["a", 1, true]'},
}
msg = 'quote " amp & lt < newline \n tab \t end'
pub = sns.publish(TopicArn=arn, Message=msg, Subject="Hello subject", MessageAttributes=mattrs)
mid = pub["MessageId"]
check(re.match(r"^[0-9a-f-]{36}$", mid or ""), f"Publish MessageId {mid!r} is a UUID")
got = drain(q_url, want=1)
eq(len(got), 1, "the SQS subscriber got one message")
if got:
    m = got[0]
    eq(m["MD5OfBody"], md5_hex(m["Body"]), "envelope MD5OfBody")
    check(not m.get("MessageAttributes"), f"non-raw delivery: no SQS message attributes, got {m.get('MessageAttributes')}")
    env = json.loads(m["Body"])
    eq(list(env), ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
                   "SigningCertURL", "UnsubscribeURL", "MessageAttributes"], "envelope fields in AWS's order")
    eq(env.get("Type"), "Notification", "envelope Type")
    eq(env.get("MessageId"), mid, "envelope MessageId")
    eq(env.get("TopicArn"), arn, "envelope TopicArn")
    eq(env.get("Subject"), "Hello subject", "envelope Subject")
    eq(env.get("Message"), msg, "envelope Message")
    check(TS.match(env.get("Timestamp", "")), f"envelope Timestamp {env.get('Timestamp')!r}")
    eq(env.get("SignatureVersion"), "1", "envelope SignatureVersion")
    check(env.get("SigningCertURL", "").endswith("/SimpleNotificationService.pem"), f"SigningCertURL {env.get('SigningCertURL')!r}")
    check("Action=Unsubscribe" in env.get("UnsubscribeURL", "") and
          urllib.parse.quote(sub, safe="") in env.get("UnsubscribeURL", ""), f"UnsubscribeURL {env.get('UnsubscribeURL')!r}")
    eq(env.get("MessageAttributes"), {
        "s": {"Type": "String", "Value": "ünïcödé <&>"},
        "n": {"Type": "Number", "Value": "3.14"},
        "b": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01\xfe\xff").decode()},
        "arr": {"Type": "String.Array", "Value": '["a", 1, true]'},
    }, "envelope MessageAttributes")
    check("<&>" in m["Body"], "envelope JSON does not HTML-escape < & >")
    verify_signature(env, "Notification")

# No subject, no attributes: those fields are left out.
sns.publish(TopicArn=arn, Message="bare")
got = drain(q_url, want=1)
if check(len(got) == 1, f"bare publish: {len(got)} messages"):
    env = json.loads(got[0]["Body"])
    check("Subject" not in env and "MessageAttributes" not in env, f"bare envelope has Subject/MessageAttributes: {list(env)}")
    verify_signature(env, "Notification without Subject")

# SignatureVersion 2.
sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
eq(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("SignatureVersion"), "2", "SignatureVersion attribute")
sns.publish(TopicArn=arn, Message="v2", Subject="s2")
got = drain(q_url, want=1)
if check(len(got) == 1, f"SignatureVersion 2 publish: {len(got)} messages"):
    env = json.loads(got[0]["Body"])
    eq(env.get("SignatureVersion"), "2", "envelope SignatureVersion after setting 2")
    verify_signature(env, "SignatureVersion 2 Notification")
sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="1")

# MessageStructure=json.
raw_url, raw_arn = new_queue("raw")
raw_sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=raw_arn,
                        Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
eq(sns.get_subscription_attributes(SubscriptionArn=raw_sub)["Attributes"].get("RawMessageDelivery"), "true",
   "RawMessageDelivery set by Subscribe")
sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "for everyone", "sqs": "for queues", "http": "for hooks"}))
got = drain(q_url, want=1)
if check(len(got) == 1, "MessageStructure=json: the envelope subscriber got one message"):
    eq(json.loads(got[0]["Body"]).get("Message"), "for queues", "MessageStructure=json: sqs gets the sqs key")
got = drain(raw_url, want=1)
if check(len(got) == 1, "MessageStructure=json: the raw subscriber got one message"):
    eq(got[0]["Body"], "for queues", "MessageStructure=json raw: body is the sqs key")
sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "only default"}))
got = drain(raw_url, want=1)
if check(len(got) == 1, "MessageStructure=json default only"):
    eq(got[0]["Body"], "only default", "MessageStructure=json without sqs key: default")
drain(q_url)
expect_error(sns.publish, "InvalidParameter", "MessageStructure=json without default",
             exc="InvalidParameterException", TopicArn=arn, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
expect_error(sns.publish, "InvalidParameter", "MessageStructure=json with a non-JSON message",
             TopicArn=arn, MessageStructure="json", Message="not json")

# Raw delivery: the body as-is, attributes as SQS message attributes.
raw_attrs = {
    "s": {"DataType": "String", "StringValue": "value ü"},
    "n": {"DataType": "Number", "StringValue": "-12.5e3"},
    "b": {"DataType": "Binary", "BinaryValue": b"\xff\x00bin"},
    "c": {"DataType": "String.custom", "StringValue": "custom"},
    "arr": {"DataType": "String.Array", "StringValue": '["x", 2, null]'},
}
raw_body = '{"not":"wrapped"} & <raw>'
rpub = sns.publish(TopicArn=arn, Message=raw_body, Subject="ignored when raw", MessageAttributes=raw_attrs)
got = drain(raw_url, want=1)
if check(len(got) == 1, f"raw delivery: {len(got)} messages"):
    m = got[0]
    eq(m["Body"], raw_body, "raw delivery: body as published")
    eq(m["MD5OfBody"], md5_hex(raw_body), "raw delivery: MD5OfBody")
    eq(m.get("MessageAttributes"), raw_attrs, "raw delivery: SQS message attributes")
    eq(m.get("MD5OfMessageAttributes"), md5_of_attributes(raw_attrs), "raw delivery: MD5OfMessageAttributes")
got = drain(q_url, want=1)
if check(len(got) == 1, "the envelope subscriber got the raw-test message too"):
    eq(json.loads(got[0]["Body"]).get("MessageId"), rpub["MessageId"], "same MessageId for both subscribers")

# Publish errors.
expect_error(sns.publish, "NotFound", "Publish to a missing topic", status=404, exc="NotFoundException",
             TopicArn=missing, Message="x")
expect_error(sns.publish, "InvalidParameter", "Publish an empty message", exc="InvalidParameterException",
             TopicArn=arn, Message="")
expect_error(sns.publish, "InvalidParameter", "Publish with a 100-character Subject", TopicArn=arn, Message="x", Subject="s" * 100)
expect_error(sns.publish, "InvalidParameter", "Publish with a Subject with a line break", TopicArn=arn, Message="x", Subject="a\nb")
expect_error(sns.publish, "InvalidParameter", "Publish a message over 256 KiB", TopicArn=arn, Message="x" * (256 * 1024 + 1))
expect_error(sns.publish, "ParameterValueInvalid", "Publish a Number attribute that is not a number",
             exc="InvalidParameterValueException", TopicArn=arn, Message="x",
             MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})
expect_error(sns.publish, "ParameterValueInvalid", "Publish an attribute of an unknown type",
             exc="InvalidParameterValueException", TopicArn=arn, Message="x",
             MessageAttributes={"n": {"DataType": "Blob", "StringValue": "abc"}})
expect_error(sns.publish, "ParameterValueInvalid", "Publish a String attribute without a value",
             exc="InvalidParameterValueException", TopicArn=arn, Message="x",
             MessageAttributes={"n": {"DataType": "String", "StringValue": ""}})
expect_error(sns.publish, "InvalidParameter", "Publish with a non-ASCII Subject", TopicArn=arn, Message="x", Subject="héllo")
expect_error(sns.publish, "InvalidParameter", "Publish to a PhoneNumber", PhoneNumber="+15555550100", Message="x")
eq(drain(q_url) + drain(raw_url), [], "failed publishes delivered nothing")
# The size limit is inclusive; TargetArn is TopicArn's other name.
big = "b" * (256 * 1024)
sns.publish(TargetArn=arn, Message=big)
got = drain(raw_url, want=1)
eq([len(m["Body"]) for m in got], [len(big)], "Publish of exactly 256 KiB through TargetArn")
eq(len(drain(q_url, want=1)), 1, "the envelope subscriber got the 256 KiB message")

# PublishBatch.
res = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
    {"Id": "ok1", "Message": "batch one", "Subject": "b1"},
    {"Id": "bad", "Message": "bad attr", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}},
    {"Id": "ok2", "Message": "batch two", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
    {"Id": "empty", "Message": ""},
])
ok = {e["Id"]: e["MessageId"] for e in res.get("Successful", [])}
eq(sorted(ok), ["ok1", "ok2"], "PublishBatch successful ids")
failed = {f["Id"]: f for f in res.get("Failed", [])}
eq(sorted(failed), ["bad", "empty"], "PublishBatch failed ids")
for fid, code in [("bad", "ParameterValueInvalid"), ("empty", "InvalidParameter")]:
    if fid in failed:
        eq(failed[fid].get("Code"), code, f"PublishBatch failed entry {fid} Code")
        eq(failed[fid].get("SenderFault"), True, f"PublishBatch failed entry {fid} SenderFault")
        check(failed[fid].get("Message"), f"PublishBatch failed entry {fid} has a Message")
got = drain(raw_url, want=2)
eq(sorted(m["Body"] for m in got), ["batch one", "batch two"], "PublishBatch delivered the successful entries")
for m in got:
    if m["Body"] == "batch two":
        eq(m.get("MessageAttributes"), {"k": {"DataType": "String", "StringValue": "v"}}, "PublishBatch entry attributes")
got = drain(q_url, want=2)
eq(sorted(json.loads(m["Body"])["MessageId"] for m in got), sorted(ok.values()), "PublishBatch MessageIds in the envelopes")
for m in got:
    env = json.loads(m["Body"])
    if env["Message"] == "batch one":
        eq(env.get("Subject"), "b1", "PublishBatch entry Subject")
        verify_signature(env, "PublishBatch Notification")
expect_error(sns.publish_batch, "TooManyEntriesInBatchRequest", "PublishBatch of 11",
             exc="TooManyEntriesInBatchRequestException", TopicArn=arn,
             PublishBatchRequestEntries=[{"Id": str(i), "Message": "x"} for i in range(11)])
expect_error(sns.publish_batch, "EmptyBatchRequest", "PublishBatch of none", exc="EmptyBatchRequestException",
             TopicArn=arn, PublishBatchRequestEntries=[])
expect_error(sns.publish_batch, "BatchEntryIdsNotDistinct", "PublishBatch with duplicate ids",
             exc="BatchEntryIdsNotDistinctException", TopicArn=arn,
             PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}])
expect_error(sns.publish_batch, "InvalidBatchEntryId", "PublishBatch with a bad id",
             exc="InvalidBatchEntryIdException", TopicArn=arn,
             PublishBatchRequestEntries=[{"Id": "bad id!", "Message": "x"}])
expect_error(sns.publish_batch, "BatchRequestTooLong", "PublishBatch over 256 KiB in total",
             exc="BatchRequestTooLongException", TopicArn=arn,
             PublishBatchRequestEntries=[{"Id": f"e{i}", "Message": "x" * (100 * 1024)} for i in range(3)])
expect_error(sns.publish_batch, "NotFound", "PublishBatch to a missing topic", status=404, TopicArn=missing,
             PublishBatchRequestEntries=[{"Id": "a", "Message": "x"}])
eq(drain(q_url) + drain(raw_url), [], "failed batches delivered nothing")

# A subscription whose queue is gone sends to its RedrivePolicy DLQ.
gone_url, gone_arn = new_queue("gone")
gone_sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=gone_arn,
                         Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
sqs.delete_queue(QueueUrl=gone_url)
dpub = sns.publish(TopicArn=arn, Message="to the dlq")
got = drain(dlq_url, want=1)
if check(len(got) == 1, f"subscription DLQ got {len(got)} messages, want 1"):
    env = json.loads(got[0]["Body"])
    eq((env.get("MessageId"), env.get("Message")), (dpub["MessageId"], "to the dlq"), "subscription DLQ message")
sns.unsubscribe(SubscriptionArn=gone_sub)
drain(q_url)
drain(raw_url)

# A message over the subscribed queue's MaximumMessageSize is refused by
# the queue, as SQS refuses it, and goes to the subscription's DLQ.
small_url, small_arn = new_queue("small", {"MaximumMessageSize": "1024"})
small_sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=small_arn, Attributes={
    "RawMessageDelivery": "true", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
sns.publish(TopicArn=arn, Message="s" * 1000)
sns.publish(TopicArn=arn, Message="L" * 1025)
eq([len(m["Body"]) for m in drain(small_url, want=1)], [1000], "a queue with MaximumMessageSize 1024 gets only what fits")
eq([len(m["Body"]) for m in drain(dlq_url, want=1)], [1025], "the message too large for the queue went to the subscription DLQ")
sns.unsubscribe(SubscriptionArn=small_sub)
drain(q_url)
drain(raw_url)

# =============================================================================
# Filter policies, one subscription (and queue) per policy.
F = [
    # (case, scope, policy, messages it must match)
    ("exact", "A", {"store": ["example_corp"]}, {"m1"}),
    ("or-list", "A", {"event": ["order_placed", "order_cancelled"]}, {"m1", "m2"}),
    ("number-exact", "A", {"price": [100]}, {"m1"}),
    ("prefix", "A", {"event": [{"prefix": "order_"}]}, {"m1", "m2"}),
    ("suffix", "A", {"event": [{"suffix": "_placed"}]}, {"m1"}),
    ("ignore-case", "A", {"event": [{"equals-ignore-case": "ORDER_placed"}]}, {"m1", "m3"}),
    ("anything-but", "A", {"store": [{"anything-but": ["example_corp"]}]}, {"m2"}),
    ("anything-but-prefix", "A", {"event": [{"anything-but": {"prefix": "order_"}}]}, {"m3", "m4"}),
    ("numeric-range", "A", {"price": [{"numeric": [">", 10, "<=", 1000]}]}, {"m1", "m3"}),
    ("numeric-eq", "A", {"price": [{"numeric": ["=", 5]}]}, {"m2"}),
    ("exists-true", "A", {"store": [{"exists": True}]}, {"m1", "m2"}),
    ("string-of-number", "A", {"price": ["100"]}, {"m6"}),
    ("exists-false", "A", {"store": [{"exists": False}]}, {"m3", "m4", "m6"}),
    ("cidr", "A", {"source_ip": [{"cidr": "10.0.0.0/24"}]}, {"m1"}),
    ("array-attr", "A", {"interests": ["rugby"]}, {"m1", "m2"}),
    ("or", "A", {"$or": [{"store": ["other_corp"]}, {"price": [{"numeric": [">=", 1000]}]}]}, {"m2", "m3"}),
    ("and", "A", {"store": ["example_corp"], "event": ["order_placed"]}, {"m1"}),
    ("body-nested", "B", {"order": {"store": ["example_corp"]}}, {"b1"}),
    ("body-numeric", "B", {"order": {"total": [{"numeric": [">", 100]}]}}, {"b1"}),
    ("body-array", "B", {"order": {"items": ["kiwi"]}}, {"b2"}),
    ("body-prefix", "B", {"order": {"store": [{"prefix": "oth"}]}}, {"b2"}),
    ("body-cidr", "B", {"ip": [{"cidr": "172.16.0.0/12"}]}, {"b2"}),
    ("body-exists-false", "B", {"kind": [{"exists": False}]}, {"b2"}),
    ("body-or", "B", {"$or": [{"kind": ["retail"]}, {"order": {"total": [{"numeric": ["<", 10]}]}}]}, {"b1", "b2"}),
    ("body-anything-but", "B", {"kind": [{"anything-but": ["wholesale"]}]}, {"b1"}),
]
S = lambda v: {"DataType": "String", "StringValue": v}
N = lambda v: {"DataType": "Number", "StringValue": v}
MSGS = [
    ("m1", "A", {"store": S("example_corp"), "event": S("order_placed"), "price": N("100"),
                 "interests": {"DataType": "String.Array", "StringValue": '["basketball", "rugby"]'},
                 "source_ip": S("10.0.0.7")}),
    ("m2", "A", {"store": S("other_corp"), "event": S("order_cancelled"), "price": N("5"),
                 "interests": {"DataType": "String.Array", "StringValue": '["rugby"]'}, "source_ip": S("10.0.1.7")}),
    ("m3", "A", {"event": S("ORDER_PLACED"), "price": N("1000")}),
    ("m4", "A", {"event": S("shipped")}),
    ("m5", "A", {}),  # no attributes: only a policy-less subscription gets it
    ("m6", "A", {"price": S("100")}),  # a String, not a Number: numeric rules do not apply
    ("b1", "B", {"order": {"store": "example_corp", "total": 250, "items": ["apple", "pear"]}, "ip": "10.1.2.3", "kind": "retail"}),
    ("b2", "B", {"order": {"store": "other", "total": 5, "items": ["kiwi", "fig"]}, "ip": "172.16.9.1"}),
]
ftopic = sns.create_topic(Name=name("filters"))["TopicArn"]
fq = {}
for case, scope, policy, _ in F:
    url, qarn = new_queue("f-" + case)
    attrs = {"FilterPolicy": json.dumps(policy)}
    if scope == "B":
        attrs["FilterPolicyScope"] = "MessageBody"
    s = sns.subscribe(TopicArn=ftopic, Protocol="sqs", Endpoint=qarn, Attributes=attrs,
                      ReturnSubscriptionArn=True)["SubscriptionArn"]
    got = sns.get_subscription_attributes(SubscriptionArn=s)["Attributes"]
    eq(json.loads(got.get("FilterPolicy", "null")), policy, f"filter {case}: FilterPolicy read back")
    eq(got.get("FilterPolicyScope"), "MessageBody" if scope == "B" else "MessageAttributes", f"filter {case}: FilterPolicyScope")
    fq[case] = url
all_url, all_arn = new_queue("f-all")
sns.subscribe(TopicArn=ftopic, Protocol="sqs", Endpoint=all_arn)
for mname, kind, payload in MSGS:
    if kind == "A":
        sns.publish(TopicArn=ftopic, Message=mname, MessageAttributes=payload)
    else:
        sns.publish(TopicArn=ftopic, Message=json.dumps(dict(payload, id=mname)))
for case, scope, policy, want in F:
    got = set()
    for m in drain(fq[case], want=len(want)):
        body = json.loads(m["Body"])["Message"]
        got.add(json.loads(body)["id"] if body.startswith("{") else body)
    eq(sorted(got), sorted(want), f"filter {case} {json.dumps(policy)}: messages delivered")
eq(len(drain(all_url, want=len(MSGS))), len(MSGS), "the subscription without a filter policy got every message")

# =============================================================================
# Tags
tags = sns.list_tags_for_resource(ResourceArn=a_arn)["Tags"]
eq(tags, [{"Key": "team", "Value": "wharf"}], "ListTagsForResource: tags from CreateTopic")
sns.tag_resource(ResourceArn=a_arn, Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "core"}])
eq(sorted((t["Key"], t["Value"]) for t in sns.list_tags_for_resource(ResourceArn=a_arn)["Tags"]),
   [("env", "test"), ("team", "core")], "ListTagsForResource after TagResource")
sns.untag_resource(ResourceArn=a_arn, TagKeys=["team"])
eq(sns.list_tags_for_resource(ResourceArn=a_arn)["Tags"], [{"Key": "env", "Value": "test"}], "ListTagsForResource after UntagResource")
eq(sns.list_tags_for_resource(ResourceArn=arn)["Tags"], [], "ListTagsForResource of an untagged topic")
expect_error(sns.tag_resource, "ResourceNotFound", "TagResource of a missing topic", exc="ResourceNotFoundException",
             ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
expect_error(sns.list_tags_for_resource, "ResourceNotFound", "ListTagsForResource of a missing topic",
             exc="ResourceNotFoundException", ResourceArn=missing)
expect_error(sns.tag_resource, "TagLimitExceeded", "TagResource over 50 tags", exc="TagLimitExceededException",
             ResourceArn=a_arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])

# =============================================================================
# ListSubscriptions, Unsubscribe, DeleteTopic
mine = {sub, raw_sub}
listed, pages = paginate(sns.list_subscriptions, "Subscriptions")
check(all(p == 100 for p in pages[:-1]), f"ListSubscriptions page sizes {pages}")
check(mine <= {s["SubscriptionArn"] for s in listed}, "ListSubscriptions lists this topic's subscriptions")
listed, pages = paginate(sns.list_subscriptions_by_topic, "Subscriptions", TopicArn=ftopic)
eq(len(listed), len(F) + 1, "ListSubscriptionsByTopic of the filter topic")

# The UnsubscribeURL of an envelope works as a plain GET.
sns.publish(TopicArn=arn, Message="for the unsubscribe url")
got = drain(q_url, want=1)
if check(len(got) == 1, "message carrying the UnsubscribeURL"):
    with urllib.request.urlopen(json.loads(got[0]["Body"])["UnsubscribeURL"], timeout=10) as r:
        eq(r.status, 200, "GET UnsubscribeURL")
    expect_error(sns.get_subscription_attributes, "NotFound", "GetSubscriptionAttributes after the UnsubscribeURL",
                 SubscriptionArn=sub)
eq(len(drain(raw_url, want=1)), 1, "the raw subscriber got the message too")
sns.unsubscribe(SubscriptionArn=raw_sub)
eq([s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]], [],
   "ListSubscriptionsByTopic after Unsubscribe")
# AWS answers Unsubscribe of a subscription that no longer exists with success.
sns.unsubscribe(SubscriptionArn=raw_sub)
expect_error(sns.unsubscribe, "InvalidParameter", "Unsubscribe with a malformed ARN", SubscriptionArn="nope")
sns.publish(TopicArn=arn, Message="nobody listens")
eq(drain(q_url) + drain(raw_url), [], "no delivery after Unsubscribe")

fsubs = [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=ftopic)["Subscriptions"]]
for t in [arn, a_arn, ftopic] + [topic_arn(n) for n in many]:
    sns.delete_topic(TopicArn=t)
sns.delete_topic(TopicArn=arn)  # deleting a deleted topic is not an error
expect_error(sns.get_topic_attributes, "NotFound", "GetTopicAttributes after DeleteTopic", status=404, TopicArn=arn)
expect_error(sns.publish, "NotFound", "Publish after DeleteTopic", status=404, TopicArn=arn, Message="x")
expect_error(sns.list_subscriptions_by_topic, "NotFound", "ListSubscriptionsByTopic after DeleteTopic", status=404, TopicArn=ftopic)
left = {s["SubscriptionArn"] for s in paginate(sns.list_subscriptions, "Subscriptions")[0]}
eq(sorted(left & set(fsubs)), [], "DeleteTopic removed its subscriptions")
left_topics = {t["TopicArn"] for t in paginate(sns.list_topics, "Topics")[0]}
eq(sorted(left_topics & {arn, a_arn, ftopic}), [], "ListTopics after DeleteTopic")

httpd.shutdown()
finish()
