"""All SQL of messages: queueing, the sender's claims and results, receipts, reading."""
from typing import Any

from psycopg2.extras import Json, execute_values

# message_row (migration 0003) is a message as read; the sender reads the table's
# columns (SENDING) with its ids as text.
INSERT_COLUMNS = ("idem_key", "channel", "recipient", "address", "customer_id", "level",
                  "template_id", "purpose", "quiet_hours", "params", "subject", "content",
                  "batch_id", "status", "reason", "not_before", "created_by", "link_request")


def _values(m: dict) -> tuple:
    return tuple(Json(m[c]) if c == "params" or (c == "link_request" and m.get(c))
                 else m.get(c) for c in INSERT_COLUMNS)


_INSERT = (
    "INSERT INTO message (idem_key, channel, recipient, address, customer_id, level,"
    " template_id, purpose, quiet_hours, params, subject, content, batch_id, status, reason,"
    " not_before, created_by, link_request) VALUES %s"
    " ON CONFLICT (idem_key, recipient, channel) DO NOTHING RETURNING id::text,"
    " channel, template_id::text AS template_id, batch_id::text AS batch_id, purpose,"
    " level, status, reason")


def now(cur):
    """The database's clock: every rule of time in notify reads this one."""
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def insert(cur, m: dict) -> tuple[dict, bool]:
    """The message, and whether this call made it: an existing (idem_key, recipient,
    channel) is answered as it is."""
    made = execute_values(cur, _INSERT, [_values(m)], fetch=True)
    if made:
        return get(cur, made[0]["id"]), True
    cur.execute("SELECT * FROM message_row WHERE idem_key = %s AND recipient = %s"
                " AND channel = %s", (m["idem_key"], m["recipient"], m["channel"]))
    return _row(cur.fetchone()), False


def insert_many(cur, messages: list[dict]) -> list:
    """Many messages in one statement; those already there are left alone.  The new
    ones: id, channel, template_id, batch_id, purpose, level, status, reason."""
    if not messages:
        return []
    return execute_values(cur, _INSERT, [_values(m) for m in messages], page_size=1000,
                          fetch=True)


def get(cur, message_id: str) -> Any:
    cur.execute("SELECT * FROM message_row WHERE id = %s", (message_id,))
    return _row(cur.fetchone())


def _row(row: Any) -> Any:
    if row is None:
        return None
    out = dict(row)
    out["id"] = out.pop("message_id")
    out.pop("customer_ref", None)
    out.pop("batch_ref", None)
    return out


def page(cur, customer_id: str | None, batch_id: str | None, status: str | None,
         before: tuple | None, limit: int) -> list[dict]:
    """Newest first, keyset paged on (created_at, id)."""
    at, mid = before or (None, None)
    cur.execute(
        "SELECT * FROM message_row m"
        " WHERE (%(cid)s::uuid IS NULL OR m.customer_ref = %(cid)s::uuid)"
        " AND (%(bid)s::uuid IS NULL OR m.batch_ref = %(bid)s::uuid)"
        " AND (%(status)s::text IS NULL OR m.status = %(status)s)"
        " AND (%(at)s::timestamptz IS NULL OR (m.created_at, m.id) < (%(at)s, %(mid)s::uuid))"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT %(limit)s",
        {"cid": customer_id, "bid": batch_id, "status": status, "at": at, "mid": mid,
         "limit": limit})
    return [_row(r) for r in cur.fetchall()]


# ---- the sender ----------------------------------------------------------------------

def due(cur, channel: str, limit: int) -> list[dict]:
    """Queued messages of a channel whose time has come and whose address (and survey
    link, when one is wanted) is known, oldest due first, locked (other replicas skip
    them)."""
    cur.execute(
        "SELECT id::text, channel, recipient, address, customer_id::text, level,"
        " template_id::text, purpose, quiet_hours, params, subject, content, batch_id::text,"
        " attempts, attempt_id::text, sending_since, not_before FROM message"
        " WHERE channel = %s AND status = 'queued' AND not_before <= now()"
        " AND address <> '' AND link_request IS NULL"
        " ORDER BY not_before LIMIT %s FOR UPDATE SKIP LOCKED", (channel, limit))
    return cur.fetchall()


def stale(cur, channel: str, lease_seconds: float, limit: int) -> list[dict]:
    """Messages left `sending` longer than the lease (their sender died), locked."""
    cur.execute(
        "SELECT id::text, channel, recipient, address, customer_id::text, level,"
        " template_id::text, purpose, quiet_hours, params, subject, content, batch_id::text,"
        " attempts, attempt_id::text, sending_since, not_before FROM message"
        " WHERE channel = %s AND status = 'sending'"
        " AND sending_since < now() - make_interval(secs => %s)"
        " ORDER BY sending_since LIMIT %s FOR UPDATE SKIP LOCKED",
        (channel, lease_seconds, limit))
    return cur.fetchall()


def mark_sending(cur, ids: list[str], attempt_id: str) -> None:
    """Before the provider is called: the attempt is on record, so a crash after the
    call is settled by asking the provider (never by sending again blindly)."""
    cur.execute(
        "UPDATE message SET status = 'sending', attempt_id = %s, sending_since = now(),"
        " attempts = attempts + 1 WHERE id = ANY(%s::uuid[])", (attempt_id, ids))


def settle(cur, outcomes: list[tuple]) -> set[str]:
    """[(id, status, reason, code, provider, provider_id, not_before_delay_seconds or None,
    attempts_back, attempt_id)], applied to messages still in that attempt (a send settled
    by recovery meanwhile is left as recovery left it; a receipt may have come first:
    `delivered` is not undone); the ids it settled."""
    if not outcomes:
        return set()
    settled = execute_values(
        cur,
        "UPDATE message m SET"
        " status = CASE WHEN m.status IN ('delivered') THEN m.status ELSE v.status END,"
        " reason = v.reason, code = v.code,"
        " provider = coalesce(v.provider, m.provider),"
        " provider_id = coalesce(v.provider_id, m.provider_id),"
        " not_before = CASE WHEN v.delay IS NULL THEN m.not_before"
        "   ELSE now() + make_interval(secs => v.delay) END,"
        " attempts = m.attempts - v.back,"
        " sending_since = NULL,"
        " sent_at = CASE WHEN v.status IN ('sent', 'delivered') THEN coalesce(m.sent_at, now())"
        "   ELSE m.sent_at END,"
        " done_at = CASE WHEN v.status IN ('failed', 'skipped', 'delivered') THEN now()"
        "   ELSE m.done_at END"
        " FROM (VALUES %s) AS v (id, status, reason, code, provider, provider_id, delay, back,"
        " attempt)"
        " WHERE m.id = v.id::uuid AND m.attempt_id = v.attempt::uuid"
        " AND (m.status = 'sending' OR m.status = 'delivered' AND v.status = 'sent')"
        " RETURNING m.id::text AS id",
        outcomes,
        template="(%s, %s, %s, %s, %s, %s, %s::float8, %s::int, %s)", page_size=1000,
        fetch=True)
    return {row["id"] for row in settled}


def skip(cur, skipped: list[tuple[str, str]]) -> None:
    """[(id, reason)] skipped before any send (opt-out, cap, no address)."""
    if skipped:
        execute_values(
            cur, "UPDATE message m SET status = 'skipped', reason = v.reason, done_at = now()"
            " FROM (VALUES %s) AS v (id, reason) WHERE m.id = v.id::uuid", skipped,
            page_size=1000)


def defer(cur, deferred: list[tuple[str, object, str]]) -> None:
    """[(id, not_before, reason)] put back in the queue until later (quiet hours)."""
    if deferred:
        execute_values(
            cur, "UPDATE message m SET not_before = v.at::timestamptz, reason = v.reason"
            " FROM (VALUES %s) AS v (id, at, reason) WHERE m.id = v.id::uuid", deferred,
            page_size=1000)


def marketing_sent(cur, customer_ids: list[str], day_start, week_start) -> dict[str, tuple]:
    """{customer_id: (today, this week)} of marketing messages that went out or are
    going out now (`sending`: another channel's round claimed them)."""
    cur.execute(
        "SELECT customer_id::text, count(*) FILTER (WHERE at >= %s) AS day, count(*) AS week"
        " FROM (SELECT customer_id, sent_at AS at FROM message"
        "       WHERE purpose = 'marketing' AND customer_id = ANY(%s::uuid[])"
        "       AND sent_at IS NOT NULL AND sent_at >= %s"
        "       UNION ALL"
        "       SELECT customer_id, sending_since FROM message"
        "       WHERE purpose = 'marketing' AND customer_id = ANY(%s::uuid[])"
        "       AND status = 'sending' AND sent_at IS NULL) AS went"
        " GROUP BY customer_id",
        (day_start, customer_ids, week_start, customer_ids))
    return {r["customer_id"]: (r["day"], r["week"]) for r in cur.fetchall()}


MARKETING_CLAIMS = 0x6B6566750001  # an advisory lock key of notify's database


def lock_marketing_claims(cur) -> None:
    """Until the transaction ends, the only round counting marketing caps (the SMS and
    the email senders, and other replicas, would otherwise both see a customer under
    the cap and both send)."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (MARKETING_CLAIMS,))


def unresolved(cur, limit: int) -> list[dict]:
    """Queued messages to a customer whose address is not known yet, locked."""
    cur.execute(
        "SELECT id::text, channel, customer_id::text, template_id::text, batch_id::text,"
        " purpose, level FROM message"
        " WHERE status = 'queued' AND address = '' ORDER BY created_at LIMIT %s"
        " FOR UPDATE SKIP LOCKED", (limit,))
    return cur.fetchall()


def resolve(cur, resolved: list[tuple[str, str, int]]) -> None:
    """[(id, address, level)]."""
    if resolved:
        execute_values(
            cur, "UPDATE message m SET address = v.address, level = v.level"
            " FROM (VALUES %s) AS v (id, address, level) WHERE m.id = v.id::uuid", resolved,
            template="(%s, %s, %s::smallint)")


# ---- survey links (migration 0006) ------------------------------------------------------

def waiting_for_links(cur, limit: int) -> list[dict]:
    """Queued messages waiting for their survey link whose time has come, locked."""
    cur.execute(
        "SELECT id::text, idem_key, channel, template_id::text, params, link_request,"
        " link_tries FROM message"
        " WHERE status = 'queued' AND link_request IS NOT NULL AND not_before <= now()"
        " ORDER BY not_before LIMIT %s FOR UPDATE SKIP LOCKED", (limit,))
    return cur.fetchall()


def fill_link(cur, message_id: str, params: dict, subject: str, content: str) -> None:
    """The message with its link in its parameters and text: it may go now."""
    cur.execute(
        "UPDATE message SET params = %s, subject = %s, content = %s, link_request = NULL"
        " WHERE id = %s", (Json(params), subject, content, message_id))


def link_later(cur, later: list[tuple[str, float]]) -> None:
    """[(id, seconds)]: asked again for its link after the delay."""
    if later:
        execute_values(
            cur, "UPDATE message m SET link_tries = m.link_tries + 1,"
            " not_before = now() + make_interval(secs => v.delay)"
            " FROM (VALUES %s) AS v (id, delay) WHERE m.id = v.id::uuid", later,
            template="(%s, %s::float8)")


# ---- receipts ------------------------------------------------------------------------

_RECEIPT_SET = (
    "UPDATE message m SET status = CASE WHEN v.ok THEN 'delivered' ELSE 'failed' END,"
    " reason = CASE WHEN v.ok THEN m.reason ELSE 'undelivered' END, code = v.code,"
    " provider = coalesce(m.provider, v.provider),"
    " provider_id = coalesce(m.provider_id, nullif(v.pid, '')), done_at = now(),"
    " sent_at = coalesce(m.sent_at, now())"
    " FROM (VALUES %s) AS v (oid, pid, address, ok, code, provider)"
    " WHERE m.address = v.address AND m.channel = 'sms' AND m.status IN ('sending', 'sent')")
_BY_OUT_ID = _RECEIPT_SET + (
    " AND (m.id = v.oid OR m.attempt_id = v.oid)"
    " RETURNING m.id::text, m.channel, m.status, m.reason, m.purpose, m.batch_id::text,"
    " m.customer_id::text, m.level, m.template_id::text")
_BY_PROVIDER_ID = _RECEIPT_SET + (
    " AND m.provider = v.provider AND m.provider_id = v.pid"
    " RETURNING m.id::text, m.channel, m.status, m.reason, m.purpose, m.batch_id::text,"
    " m.customer_id::text, m.level, m.template_id::text")


def apply_receipts(cur, provider: str, receipts: list[tuple]) -> list[dict]:
    """[(out_id (a uuid or None), provider_id, address, delivered, code)]: each matches
    the message it reports on — by our OutId (the message id, or the attempt id of a
    batch) and the number, else by the provider's id and the number — in one statement
    a kind.  A message already delivered or failed keeps its state.  The messages
    changed."""
    changed: list[dict] = []
    with_oid = [r for r in receipts if r[0]]
    without = [r for r in receipts if not r[0] and r[1]]
    for rows, statement in ((with_oid, _BY_OUT_ID), (without, _BY_PROVIDER_ID)):
        if rows:
            changed.extend(execute_values(
                cur, statement, [(*r, provider) for r in rows],
                template="(%s::uuid, %s, %s, %s::bool, %s, %s)", page_size=500, fetch=True))
    return changed


def last_customer_of(cur, address: str) -> str | None:
    """The customer the newest message to this address was for (an uplink's sender)."""
    cur.execute(
        "SELECT customer_id::text FROM message WHERE address = %s AND customer_id IS NOT NULL"
        " ORDER BY created_at DESC LIMIT 1", (address,))
    row = cur.fetchone()
    return row["customer_id"] if row else None


# ---- provider callbacks ----------------------------------------------------------------

def first_callback(cur, digest: bytes, window_seconds: int) -> bool:
    """Record a verified callback's digest: True the first time, False for a replay.
    Digests older than the signature's freshness window go (a replay that old fails
    the signature check anyway)."""
    cur.execute("DELETE FROM callback_seen WHERE seen_at < now() - %s * interval '1 second'",
                (window_seconds,))
    cur.execute("INSERT INTO callback_seen (digest) VALUES (%s) ON CONFLICT DO NOTHING",
                (digest,))
    return cur.rowcount == 1
