"""The sender (N1, N3, N4): works off the queue of one channel, within its pace.

A round, for one channel:
1. (one transaction) take tokens from the channel's bucket (shared by every replica),
   lock that many due messages, apply the rules of the moment — quiet hours defer,
   opt-outs and frequency caps skip (with the reason) — and mark the rest `sending`
   under a new attempt id.  Committed before any provider is called: a crash after
   the call leaves the attempt on record.
2. (no transaction) one adapter call for the lot.
3. (one transaction) settle each message by its result: sent (the provider's id),
   retry later with back-off, throttled (the pace halves), failed for good.
A message left `sending` past the lease (its sender died between 1 and 3, or the
provider's answer was lost after the request may have reached it) is settled
by asking the provider whether it took it (SMS: the provider's query API, by our
OutId) — taken ones are marked sent, the rest queued again — so a restart never makes
a second provider call for a message the provider already has.  Email, robots and
webhooks are sent again with the same Message-ID / delivery id (receivers drop
repeats; they have no query API).
"""
import logging
import time
import uuid

from prometheus_client import Counter

from services.common.rpc import call
from services.notify.channels.base import ChannelError, Outgoing, Result
from services.notify.contract.events import MAX_MESSAGES
from services.notify.domain import addresses, policy
from services.notify.domain.policy import Pace
from services.notify.handlers.sends import store_now
from services.notify.store import messages as store
from services.notify.store import pace
from services.notify.store import preferences as prefs_store
from services.notify.store import report_feed as feed_store
from services.notify.store import targets as targets_store
from services.notify.store import templates as templates_store

log = logging.getLogger(__name__)
ROUND_SECONDS = 2.0
RESOLVE_PAGE = 500
RECOVERED = "interrupted_send_found_at_provider"  # the reason a settled interrupted send keeps
EVENT_OF = {"sent": "notification_sent", "failed": "notification_failed",
            "skipped": "notification_failed", "delivered": "notification_delivered"}


def work(db, channel, customers, configured: Pace, lease_seconds: float,
         metrics=None) -> int:
    """Rounds of one channel for up to ROUND_SECONDS: how many messages were handled."""
    deadline = time.monotonic() + ROUND_SECONDS
    handled = recover(db, channel, lease_seconds)
    if channel.name in ("sms", "email"):
        try:
            handled += resolve_addresses(db, customers)
        except Exception as exc:  # noqa: BLE001 — messages with an address still go
            log.warning("%s: addresses not resolved this round: %r", channel.name, exc)
    while time.monotonic() < deadline:
        done = one_round(db, channel, configured, metrics)
        if done is None:
            break
        handled += done
        if done == 0:
            time.sleep(min(0.2, 1.0 / max(configured.rate, 1.0)))
    return handled


# ---- 1. claim --------------------------------------------------------------------------

def one_round(db, channel, configured: Pace, metrics=None) -> int | None:
    """One claim-send-settle round: how many messages it handled; None when nothing was
    due (0 when the pace allowed none yet)."""
    attempt_id = str(uuid.uuid4())
    with db.transaction() as tx:
        taken, _rate = pace.take(tx.cur, channel.name, configured.batch_size,
                                 configured.rate, configured.burst)
        if taken == 0:
            return 0 if store.due(tx.cur, channel.name, 1) else None
        rows = store.due(tx.cur, channel.name, taken)
        if not rows:
            pace.give_back(tx.cur, channel.name, taken)
            return None
        now = store_now(tx)
        go, skipped, deferred = apply_rules(tx.cur, channel.name, rows, now)
        store.skip(tx.cur, [(r["id"], reason) for r, reason in skipped])
        store.defer(tx.cur, deferred)
        emit_outcomes(tx, [(row, "skipped", reason) for row, reason in skipped], now)
        pace.give_back(tx.cur, channel.name, taken - len(go))
        outgoing = build(tx.cur, channel.name, go)
        if go:
            store.mark_sending(tx.cur, [r["id"] for r in go], attempt_id)
    if not go:
        return len(rows)
    results = _send(channel, outgoing, attempt_id)
    settle(db, channel, go, results, configured, attempt_id, metrics)
    return len(rows)


def apply_rules(cur, channel: str, rows: list[dict], now) -> tuple[list, list, list]:
    """(to send, [(row, skip reason)], [(id, not_before, reason)]) by quiet hours,
    opt-outs and marketing caps, as they stand now."""
    settings = prefs_store.settings(cur)
    quiet = policy.QuietHours.parse(settings.get("quiet_hours", ""))
    caps = policy.Caps(int(settings.get("marketing_daily_cap", 1)),
                       int(settings.get("marketing_weekly_cap", 3)))
    keys = {r["address"] for r in rows} | {addresses.customer_key(r["customer_id"])
                                          for r in rows if r["customer_id"]}
    opted = prefs_store.scopes(cur, channel, sorted(keys)) if channel in ("sms", "email") else {}
    marketing = sorted({r["customer_id"] for r in rows
                        if r["purpose"] == policy.MARKETING and r["customer_id"]})
    day, week = policy.day_and_week_start(now)
    if marketing:  # the caps hold across channels and replicas: one claim counts at a time
        store.lock_marketing_claims(cur)
    counts = {c: list(n) for c, n in
              store.marketing_sent(cur, marketing, day, week).items()} if marketing else {}
    go, skipped, deferred = [], [], []
    for r in rows:
        if policy.waits_for_quiet_hours(r["purpose"], r["quiet_hours"]) \
                and quiet.contains(now.astimezone(policy.CHINA).time()):
            deferred.append((r["id"], quiet.ends_after(now), "quiet_hours"))
            continue
        scopes = opted.get(r["address"], set()) | (
            opted.get(addresses.customer_key(r["customer_id"]), set()) if r["customer_id"]
            else set())
        if policy.opted_out(r["purpose"], scopes):
            skipped.append((r, policy.OPTED_OUT))
            continue
        if r["purpose"] == policy.MARKETING and r["customer_id"]:
            sent = counts.setdefault(r["customer_id"], [0, 0])
            reason = policy.cap_reason(sent[0], sent[1], caps)
            if reason:
                skipped.append((r, reason))
                continue
            sent[0] += 1
            sent[1] += 1
        go.append(r)
    return go, skipped, deferred


def build(cur, channel: str, rows: list[dict]) -> list[Outgoing]:
    """What the adapter gets: SMS with the template's provider code, sign name and
    parameters in its declared order; robots and webhooks with their URL and secret."""
    if not rows:
        return []
    templates = {tid: templates_store.get(cur, tid)
                 for tid in {r["template_id"] for r in rows if r["template_id"]}}
    targets = targets_store.secrets(cur, sorted({r["address"] for r in rows})) \
        if channel in ("robot", "webhook") else {}
    out = []
    for r in rows:
        t = templates.get(r["template_id"]) or {}
        target = targets.get(r["address"], {})
        out.append(Outgoing(
            message_id=r["id"], address=target.get("url", r["address"]), text=r["content"],
            subject=r["subject"], template_code=t.get("provider_code", ""),
            sign_name=t.get("sign_name", ""), params=dict(r["params"]),
            param_order=tuple(t.get("variables", ())), markdown=target.get("markdown", False),
            secret=target.get("secret", ""), event=r["params"].get("event", "")
            if channel == "webhook" else ""))
    return out


# ---- 2. send ---------------------------------------------------------------------------

def _send(channel, outgoing: list[Outgoing], attempt_id: str) -> list[Result]:
    try:
        results = channel.send(outgoing, attempt_id)
    except Exception as exc:  # noqa: BLE001 — an adapter bug must not lose the messages
        log.exception("%s adapter failed; the batch is retried", channel.name)
        return [Result(o.message_id, "retry", code="adapter_error", detail=type(exc).__name__)
                for o in outgoing]
    by_id = {r.message_id: r for r in results}
    return [by_id.get(o.message_id) or Result(o.message_id, "retry", code="no_result")
            for o in outgoing]


# ---- 3. settle -------------------------------------------------------------------------

def settle(db, channel, rows: list[dict], results: list[Result], configured: Pace,
           attempt_id: str, metrics=None) -> None:
    by_id = {r["id"]: r for r in rows}
    outcomes, throttled, told = [], False, []
    with db.transaction() as tx:
        now = store_now(tx)
        for result in results:
            row = by_id[result.message_id]
            if result.outcome == "retry" and result.maybe_taken and hasattr(channel, "taken"):
                continue  # left `sending`: after the lease, recover() asks the provider
            status, reason, delay, back = _outcome(result, row["attempts"] + 1)
            throttled |= result.outcome == "throttled"
            outcomes.append((row["id"], status, reason, result.code or None,
                             getattr(channel, "provider", channel.name),
                             result.provider_id or None, delay, back, attempt_id))
            if status in EVENT_OF:
                told.append((row, status, reason))
        settled = store.settle(tx.cur, outcomes)  # recovery may have settled some first
        emit_outcomes(tx, [t for t in told if t[0]["id"] in settled], now)
        if throttled:
            _taken, rate = pace.take(tx.cur, channel.name, 0, configured.rate, configured.burst)
            pace.set_rate(tx.cur, channel.name, policy.slower(rate))
        else:
            _taken, rate = pace.take(tx.cur, channel.name, 0, configured.rate, configured.burst)
            if rate < configured.rate:
                pace.set_rate(tx.cur, channel.name, policy.faster(rate, configured.rate))
    if metrics is not None:
        counter = metrics.metric(Counter, "kefu_notify_results_total",
                                 "Provider results by channel and outcome",
                                 ("channel", "outcome"))
        for result in results:
            counter.labels(channel.name, result.outcome).inc()


def _outcome(result: Result, attempt: int) -> tuple[str, str | None, float | None, int]:
    """(status, reason, retry delay or None, attempts to give back)."""
    if result.outcome == "sent":
        return "sent", None, None, 0
    if result.outcome == "failed":
        return "failed", result.code or "failed", None, 0
    if result.outcome == "throttled":
        return "queued", "throttled", policy.throttle_delay(), 1
    if attempt >= policy.MAX_ATTEMPTS:
        return "failed", f"gave up after {attempt} attempts ({result.code or 'error'})", None, 0
    return "queued", f"retry ({result.code or 'error'})", policy.retry_delay(attempt), 0


def emit_outcomes(tx, outcomes: list[tuple[dict, str, str | None]], now) -> None:
    """notification_sent / notification_delivered / notification_failed, one event per
    kind of outcome of a round (channel, template, batch, purpose, status, reason) with
    its count and its messages' ids: a 100,000-message batch makes about a thousand
    events, not 100,000 (no address nor content in any)."""
    if not outcomes:
        return
    # each message's id, creation time, level and template name (issue 13: the report
    # keeps one fact per message), read in one statement
    known = feed_store.outcome_messages(tx.cur, sorted({row["id"] for row, _, _ in outcomes}))
    groups: dict[tuple, list] = {}
    for row, status, reason in outcomes:
        message = known.get(row["id"])
        key = (row["channel"], row["template_id"], row["batch_id"], row["purpose"], status,
               reason, message["template"] if message else None)
        groups.setdefault(key, []).append((row, message))
    for (channel, template_id, batch_id, purpose, status, reason, template), found \
            in groups.items():
        for start in range(0, len(found), MAX_MESSAGES):  # a huge receipt callback
            part = found[start:start + MAX_MESSAGES]
            tx.emit(EVENT_OF[status], {
                "channel": channel, "template_id": template_id, "template": template,
                "batch_id": batch_id, "purpose": purpose, "status": status,
                "reason": reason[:200] if reason else reason, "count": len(part),
                "level": max(row["level"] for row, _ in part), "at": now.isoformat(),
                "messages": [{"message_id": row["id"],
                              "created_at": message["created_at"].isoformat(),
                              "level": message["level"]} for row, message in part if message]})


# ---- recovery and addresses ------------------------------------------------------------

def recover(db, channel, lease_seconds: float) -> int:
    """Settle messages whose sender died mid-send (see the module's docstring)."""
    with db.transaction() as tx:
        rows = store.stale(tx.cur, channel.name, lease_seconds, 500)
        if not rows:
            return 0
        taken: dict[str, str] = {}
        if hasattr(channel, "taken"):
            outgoing = build(tx.cur, channel.name, rows)
            by_attempt: dict[str, list[Outgoing]] = {}
            for row, out in zip(rows, outgoing, strict=True):
                by_attempt.setdefault(row["attempt_id"], []).append(out)
            since = min(r["sending_since"] for r in rows)
            try:
                for attempt_id, group in by_attempt.items():
                    taken.update(channel.taken(group, attempt_id, since))
            except ChannelError as exc:
                log.warning("%s: cannot ask the provider about %d interrupted sends yet: %s",
                            channel.name, len(rows), exc)
                return 0
        # An interrupted attempt counts (a send that times out every time must end), so
        # one the provider does not have is queued again, or failed after the last.
        provider = getattr(channel, "provider", channel.name)
        outcomes: list[tuple] = []
        events: list[tuple] = []
        for r in rows:
            if r["id"] in taken:
                outcomes.append((r["id"], "sent", RECOVERED, None, provider, taken[r["id"]],
                                 None, 0, r["attempt_id"]))
                events.append((r, "sent", RECOVERED))
            elif r["attempts"] >= policy.MAX_ATTEMPTS:
                reason = f"gave up after {r['attempts']} attempts (interrupted)"
                outcomes.append((r["id"], "failed", reason, None, None, None, None, 0,
                                 r["attempt_id"]))
                events.append((r, "failed", reason))
            else:
                outcomes.append((r["id"], "queued", "recovered after an interrupted send",
                                 None, None, None, 0.0, 0, r["attempt_id"]))
        settled = store.settle(tx.cur, outcomes)
        emit_outcomes(tx, [e for e in events if e[0]["id"] in settled], store_now(tx))
    log.warning("%s: %d interrupted sends settled (%d the provider had)", channel.name,
                len(rows), len(taken))
    return len(rows)


def resolve_addresses(db, customers) -> int:
    """Queued messages to customers get their phone or email (notify's system identity
    asks the customer service; each read is in its borrowing log); none: skipped."""
    with db.transaction() as tx:
        rows = store.unresolved(tx.cur, RESOLVE_PAGE)
        if not rows:
            return 0
        ids = sorted({r["customer_id"] for r in rows})
        found = {c["id"]: c for c in call(customers.contact_points,
                                          {"customer_ids": ids, "purpose": "发送通知"},
                                          timeout=10.0)["customers"]}
        resolved, skipped = [], []
        for r in rows:
            cp = found.get(r["customer_id"])
            address = (cp or {}).get("phone" if r["channel"] == "sms" else "email") or ""
            if address and r["channel"] == "sms" and not addresses.is_mobile(address):
                skipped.append((r["id"], addresses.NOT_MOBILE))
                continue
            if cp and address:
                resolved.append((r["id"], address.lower() if r["channel"] == "email"
                                 else address, cp["level"]))
            else:
                skipped.append((r["id"], "no_customer" if cp is None else policy.NO_ADDRESS))
        store.resolve(tx.cur, resolved)
        store.skip(tx.cur, skipped)
        by_id = {r["id"]: r for r in rows}
        emit_outcomes(tx, [(by_id[i], "skipped", reason) for i, reason in skipped],
                      store_now(tx))
    return len(rows)
