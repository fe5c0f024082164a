"""Generic webhooks: the alert as JSON, signed with a shared secret (HMAC-SHA256).

The receiver recomputes ``HMAC(secret, f"{timestamp}.".encode() + body)`` and
compares it with ``X-TSA-Signature: sha256=<hex>``; the timestamp
(``X-TSA-Timestamp``, unix seconds) lets it refuse old replays, as Slack's and
Stripe's signatures do. The secret is read from an environment variable and never
printed. Plain http is refused except to this machine (the body names a run and
its problem).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from assistant.errors import AssistantError
from assistant.redact import redact

__all__ = ["sign", "verify", "post_json", "check_url", "SIGNATURE_HEADER", "TIMESTAMP_HEADER"]

SIGNATURE_HEADER = "X-TSA-Signature"
TIMESTAMP_HEADER = "X-TSA-Timestamp"
TIMEOUT_S = 10.0


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, max_age_s: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver checks: the signature, and that the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= max_age_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str = "--post") -> str:
    """The URL, if it is https (or http to this machine); else an AssistantError saying why."""
    u = urlsplit(url)
    if u.scheme == "https" and u.hostname:
        return url
    if u.scheme == "http" and u.hostname and _loopback(u.hostname):
        return url
    raise AssistantError(f"{what} {redact(url)}: use an https:// URL (plain http only to this machine)")


def post_json(url: str, payload: dict[str, Any], secret: bytes | None) -> int:
    """POST the payload (redacted JSON), signed when a secret is given; returns the HTTP status."""
    body = redact(json.dumps(payload, ensure_ascii=False, default=str)).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "training-stability-assistant"}
    if secret is not None:
        ts = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = ts
        headers[SIGNATURE_HEADER] = sign(secret, ts, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:  # noqa: S310 - scheme checked by check_url
        return resp.status
