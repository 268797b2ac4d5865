"""Webhook calls of rules: CloudEvents 1.0 JSON (structured mode), signed with HMAC-SHA256 per endpoint.

The signature header is `Madoguchi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
endpoint's secret from MADOGUCHI_RULE_WEBHOOKS; a receiver recomputes it (`verify_signature`) and refuses
old timestamps (replays). The CloudEvent `id` is stable across retries, so a receiver can drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

SIGNATURE_HEADER = "Madoguchi-Signature"
CONTENT_TYPE = "application/cloudevents+json"
TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """The endpoint is unknown, or the call failed: the action is retried."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would re-send the call (as a GET, with the signature header) to
    whatever address the answer names, such as an internal service or the cloud metadata service."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    secret: str


def endpoints() -> dict[str, Endpoint]:
    """The configured endpoints (MADOGUCHI_RULE_WEBHOOKS); a malformed setting is an error, never ignored."""
    raw = (settings.RULE_WEBHOOKS or "").strip()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        return {
            name: Endpoint(name, str(value["url"]), str(value["secret"]))
            for name, value in dict(data).items()
        }
    except (ValueError, TypeError, KeyError) as exc:
        raise WebhookError(
            'MADOGUCHI_RULE_WEBHOOKS must be JSON like {"name": {"url": "https://…", "secret": "…"}}'
        ) from exc


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, body: bytes, header: str, *, tolerance: int = 300, now: int | None = None
) -> bool:
    """True when `header` is a valid signature of `body` made within `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def cloud_event(*, event_id: str, source: str, topic: str, time_iso: str, data: Mapping[str, Any]) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": f"jp.madoguchi.{topic}",
        "time": time_iso,
        "datacontenttype": "application/json",
        "data": dict(data),
    }


def post(endpoint: Endpoint, event: Mapping[str, Any]) -> int:
    """POST the CloudEvent; the HTTP status when it is 2xx, else WebhookError."""
    if not endpoint.url.startswith(("https://", "http://")):
        raise WebhookError(f"webhook '{endpoint.name}': the URL must start with https:// or http://")
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": CONTENT_TYPE,
            SIGNATURE_HEADER: sign(endpoint.secret, body, int(time.time())),
            "User-Agent": "Madoguchi-Rules/1",
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise WebhookError(
                f"webhook '{endpoint.name}' answered with a redirect (HTTP {exc.code}), which is not followed: "
                "put the final URL into MADOGUCHI_RULE_WEBHOOKS"
            ) from exc
        raise WebhookError(f"webhook '{endpoint.name}' answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"webhook '{endpoint.name}' could not be reached: {reason}") from exc
