"""Provider callbacks: delivery receipts and customers' replies (N3, N4).

Authenticated by the provider's signature over the raw body (the adapter's
verify_callback), never by a staff token; anything unsigned or stale is refused and
changes nothing, and one already applied (the same provider, signed time and body: a
replay, not the provider's retry, which is signed anew) is answered and ignored.  A
reply 退订 / TD / T / 取消 (any case, surrounding spaces and punctuation ignored) opts
that number out of marketing SMS.
"""
import hashlib
import re
import uuid

from services.common.errors import Unauthenticated
from services.notify.channels.signing import CALLBACK_MAX_AGE, CALLBACK_MAX_AHEAD, signed_at
from services.notify.domain import policy
from services.notify.domain.templates import refused
from services.notify.handlers.sender import emit_outcomes
from services.notify.handlers.sends import store_now
from services.notify.store import messages as store
from services.notify.store import preferences as prefs_store

STOP_WORDS = {"退订", "td", "t", "取消", "退定", "n", "unsubscribe", "stop"}
_EDGES = re.compile(r"^[\s\W_]{0,20}|[\s\W_]{0,20}$")


def is_stop(text: str) -> bool:
    return _EDGES.sub("", (text or "")[:50]).lower() in STOP_WORDS


def _uuid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text)) if text else None
    except ValueError:
        return None


def provider_callback(db, providers: dict, data: dict) -> dict:
    provider = providers.get(data["provider"])
    if provider is None:
        raise refused("provider", "not configured on this system")
    body = data["body"].encode("utf-8")
    if not provider.verify_callback({"X-Provider-Signature": data["signature"]}, body):
        raise Unauthenticated("bad or stale provider signature")
    try:
        parsed = (provider.receipts(body) if data["kind"] == "receipts"
                  else provider.uplinks(body))
    except ValueError as exc:
        raise refused("body", str(exc)[:200]) from None
    digest = hashlib.sha256(b"\0".join((data["provider"].encode(), data["kind"].encode(),
                                         signed_at(data["signature"]).encode(), body)))
    with db.transaction() as tx:
        if not store.first_callback(tx.cur, digest.digest(),
                                    CALLBACK_MAX_AGE + CALLBACK_MAX_AHEAD):
            return {"answer": provider.callback_answer, "applied": 0}
        applied = (_receipts(tx, provider, parsed) if data["kind"] == "receipts"
                   else _uplinks(tx, parsed))
    return {"answer": provider.callback_answer, "applied": applied}


def _receipts(tx, provider, receipts) -> int:
    rows = [(_uuid_or_none(r.out_id), r.provider_id, r.phone, r.delivered, r.code)
            for r in receipts]
    changed = store.apply_receipts(tx.cur, provider.provider, rows)
    # undelivered: notification_failed (reason undelivered); delivered:
    # notification_delivered — each in the transaction that records the receipt
    emit_outcomes(tx, [(row, row["status"], row["reason"]) for row in changed
                       if row["status"] in ("failed", "delivered")], store_now(tx))
    return len(changed)


def _uplinks(tx, uplinks) -> int:
    applied = 0
    for up in uplinks:
        if not is_stop(up.text):
            continue
        customer_id = store.last_customer_of(tx.cur, up.phone)
        prefs_store.set_opt_out(tx.cur, "sms", up.phone, customer_id, policy.MARKETING,
                                "uplink", up.text[:100], "uplink")
        applied += 1
    return applied
