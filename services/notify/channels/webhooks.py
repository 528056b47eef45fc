"""Signed outgoing webhooks to other systems: one delivery per send().

`POST <url>` JSON `{"id" (message id), "event", "at", "data"}` (data = Outgoing.params)
with headers X-Kefu-Event, X-Kefu-Delivery (the message id: receivers drop repeats) and
X-Kefu-Signature `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; the secret is
the target's own (Outgoing.secret) when it has one, else notify's (webhook-signing).

2xx sent; 429, 5xx and timeouts retry (429 "throttled"); other statuses (3xx: redirects are
not followed; 4xx) failed.
"""
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from services.notify.channels.base import Outgoing, Result
from services.notify.channels.masking import mask_address
from services.notify.channels.signing import timestamped_header
from services.notify.channels.transport import Transport, TransportFailure

log = logging.getLogger(__name__)


def payload(message: Outgoing, at: datetime) -> bytes:
    """The raw body of a delivery (the bytes that are signed)."""
    return json.dumps({"id": message.message_id, "event": message.event,
                       "at": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                       "data": message.params},
                      ensure_ascii=False, separators=(",", ":"), default=str).encode()


class OutgoingWebhook:
    """Channel "webhook"."""

    name = "webhook"
    batch_size = 1

    def __init__(self, secret: str, session: requests.Session | None = None,
                 timeout: float = 5, clock: Callable[[], float] = time.time):
        self.secret = secret
        self.transport = Transport(session, timeout)
        self.clock = clock

    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        return [self._send_one(message) for message in batch]

    def _send_one(self, message: Outgoing) -> Result:
        parts = urlsplit(message.address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Result(message.message_id, "failed", code="kefu.BadAddress",
                          detail="not an http(s) URL")
        if not (message.event.isascii() and message.event.isprintable()):
            return Result(message.message_id, "failed", code="kefu.BadEvent",
                          detail="the event name must be printable ASCII")
        secret = message.secret or self.secret
        if not secret:
            return Result(message.message_id, "retry", code="kefu.NoSecret",
                          detail="no webhook signing secret configured")
        now = self.clock()
        body = payload(message, datetime.fromtimestamp(now, UTC))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Kefu-Event": message.event,
            "X-Kefu-Delivery": message.message_id,
            "X-Kefu-Signature": timestamped_header(secret, int(now), body),
        }
        try:
            reply = self.transport.post(message.address, data=body, headers=headers)
        except TransportFailure as e:
            log.warning("webhook %s: %s", mask_address(message.address), e.code)
            return Result(message.message_id, "retry", code=e.code, detail=e.detail,
                          maybe_taken=e.maybe_taken)
        status, code = reply.status, f"http.{reply.status}"
        if 200 <= status < 300:
            return Result(message.message_id, "sent", provider_id=message.message_id,
                          code=code)
        log.warning("webhook %s answered %d", mask_address(message.address), status)
        if status == 429:
            return Result(message.message_id, "throttled", code=code)
        if status >= 500:
            return Result(message.message_id, "retry", code=code, maybe_taken=True)
        return Result(message.message_id, "failed", code=code)
