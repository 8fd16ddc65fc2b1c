"""Shared helpers for the Python integration scripts.

The Go tests run these scripts with WHARF_ENDPOINT (one node's base URL)
and WHARF_PREFIX (a unique queue-name prefix) in the environment. A script
prints one line per failed check and exits 1 if any failed.
"""

import hashlib
import os
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = os.environ["WHARF_ENDPOINT"].rstrip("/")
PREFIX = os.environ.get("WHARF_PREFIX", "py")
REGION = "us-east-1"
ACCOUNT = "000000000000"
SQS_NS = "http://queue.amazonaws.com/doc/2012-11-05/"

_failures = []
_checks = [0]


def check(cond, what):
    """Records one check; a failed check is printed and remembered."""
    _checks[0] += 1
    if not cond:
        _failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def eq(got, want, what):
    return check(got == want, f"{what}: got {got!r}, want {want!r}")


def finish():
    if _failures:
        print(f"{len(_failures)} of {_checks[0]} checks failed", flush=True)
        sys.exit(1)
    print(f"OK: {_checks[0]} checks passed", flush=True)
    sys.exit(0)


def md5_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data).hexdigest()


def md5_of_attributes(attrs):
    """AWS's MD5OfMessageAttributes.

    attrs maps name -> {"DataType": ..., "StringValue": str} or
    {"DataType": ..., "BinaryValue": bytes}.
    """
    if not attrs:
        return None

    def put(buf, b):
        buf += struct.pack(">I", len(b))
        buf += b

    buf = bytearray()
    for name in sorted(attrs):
        a = attrs[name]
        put(buf, name.encode("utf-8"))
        put(buf, a["DataType"].encode("utf-8"))
        if "BinaryValue" in a:
            buf += b"\x02"
            put(buf, bytes(a["BinaryValue"]))
        else:
            buf += b"\x01"
            put(buf, a["StringValue"].encode("utf-8"))
    return hashlib.md5(bytes(buf)).hexdigest()


def name(suffix):
    return f"{PREFIX}-{suffix}"


def signed_request(method, url, body=b"", headers=None):
    """Sends a SigV4-signed (service sqs) request; returns (status, headers, body)."""
    headers = dict(headers or {})
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials("x", "x"), "sqs", REGION).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body if method != "GET" else None, method=method)
    for k, v in prepared.headers.items():
        r.add_header(k, v)
    try:
        with urllib.request.urlopen(r, timeout=40) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def strip_ns(elem):
    """Removes XML namespaces from every tag in place; returns elem."""
    for el in elem.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return elem
