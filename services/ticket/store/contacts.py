"""Contact log and call events (T8): all SQL.  Lists of contacts are cut to the
caller's data scope (store.scope.contacts); a contact carries the level its customer
gives it."""
from psycopg2 import sql

from services.ticket.store import scope as scoped

# A contact as the contract's Contact names it.
CONTACT = sql.SQL("c.id::text, c.channel, c.direction, c.agent_id, c.started_at,"
                  " c.duration_seconds, c.ivr_path, c.customer_id::text, c.ticket_id::text,"
                  " c.call_id, c.note, c.logged_by, c.logged_at, ") + scoped.level("c")
# The lists of contacts: a customer's, a ticket's (each by its own index).
OF = {"customer": sql.SQL("c.customer_id"), "ticket": sql.SQL("c.ticket_id")}


def customer_destroyed(cur, customer_id: str) -> bool:
    """True when the customer was destroyed (C6).  The shared advisory lock pairs with
    the exclusive one of the anonymising handlers: a contact logged meanwhile is either
    seen by them or sees the destruction."""
    cur.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s::uuid::text, 6))",
                (customer_id,))
    cur.execute("SELECT 1 FROM destroyed_customer WHERE customer_id = %s", (customer_id,))
    return cur.fetchone() is not None


def contact_for_request(cur, key: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM contact_log c WHERE c.request_key = %s").format(CONTACT),
                (key,))
    return cur.fetchone()


def insert_contact(cur, data: dict, agent_id: str, customer_id: str | None,
                   logged_by: str, key: str | None) -> dict | None:
    """Insert a contact; None when the request key was taken meanwhile."""
    cur.execute(
        "INSERT INTO contact_log (channel, direction, agent_id, started_at, duration_seconds,"
        " ivr_path, customer_id, ticket_id, call_id, note, logged_by, request_key)"
        " VALUES (%s, %s, %s, coalesce(%s, now()), %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (request_key) DO NOTHING"
        " RETURNING id::text, channel, direction, agent_id, started_at, duration_seconds,"
        " ivr_path, customer_id::text, ticket_id::text, call_id, note, logged_by, logged_at,"
        " level_of(customer_id) AS level",
        (data["channel"], data["direction"], agent_id, data["started_at"],
         data["duration_seconds"], list(data["ivr_path"]), customer_id,
         str(data["ticket_id"]) if data["ticket_id"] else None, data["call_id"], data["note"],
         logged_by, key),
    )
    return cur.fetchone()


def contacts_of(cur, of: str, of_id: str, before, limit: int, scope: dict) -> list[dict]:
    """The contacts of the scope of a customer or a ticket (`of`), newest first, keyset
    (started_at, id) descending from before the cursor's position."""
    before_at, before_id = before or (None, None)
    cur.execute(sql.SQL(
        "SELECT {columns} FROM contact_log c WHERE {of} = %(id)s AND {scope}"
        " AND (%(at)s::timestamptz IS NULL OR (c.started_at, c.id) < (%(at)s, %(bid)s::uuid))"
        " ORDER BY c.started_at DESC, c.id DESC LIMIT %(limit)s").format(
            columns=CONTACT, of=OF[of], scope=scoped.contacts(scope)),
        {"id": of_id, "at": before_at, "bid": before_id, "limit": limit,
         **scoped.params(scope)},
    )
    return cur.fetchall()


def insert_call_event(cur, event: dict, caller: str | None) -> dict | None:
    """Store one call event; None when (call_id, event) is already stored.  A missing
    queue is taken from an earlier event of the same call, so statistics per queue
    need no join."""
    cur.execute(
        "INSERT INTO call_event (call_id, event, at, caller, queue, agent_id, wait_seconds,"
        " ivr_path) VALUES (%(call)s, %(event)s, %(at)s, %(caller)s,"
        " coalesce(%(queue)s, (SELECT e.queue FROM call_event e WHERE e.call_id = %(call)s"
        "                       AND e.queue IS NOT NULL LIMIT 1)),"
        " %(agent)s, %(wait)s, %(ivr)s)"
        " ON CONFLICT (call_id, event) DO NOTHING"
        " RETURNING call_id, event, at, queue, agent_id, wait_seconds",
        {"call": event["call_id"], "event": event["event"], "at": event["at"],
         "caller": caller, "queue": event["queue"], "agent": event["agent_id"],
         "wait": event["wait_seconds"], "ivr": list(event["ivr_path"])},
    )
    return cur.fetchone()


def call_counts(cur, start, end) -> list[dict]:
    """Per queue (and a total row with queue_total = true): events by kind in the
    period, average and 90th percentile wait of answered calls."""
    cur.execute(
        "SELECT queue, GROUPING(queue) = 1 AS queue_total,"
        " count(*) FILTER (WHERE event = 'offered') AS offered,"
        " count(*) FILTER (WHERE event = 'answered') AS answered,"
        " count(*) FILTER (WHERE event = 'abandoned') AS abandoned,"
        " avg(wait_seconds) FILTER (WHERE event = 'answered') AS avg_wait,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_seconds)"
        "     FILTER (WHERE event = 'answered') AS p90_wait"
        " FROM call_event WHERE at >= %s AND at < %s"
        " AND event IN ('offered', 'answered', 'abandoned')"
        " GROUP BY ROLLUP (queue) ORDER BY GROUPING(queue), queue NULLS LAST",
        (start, end),
    )
    return cur.fetchall()


def anonymise_customer(cur, customer_id: str, redacted: str) -> int:
    """C6: the destroyed customer's contact notes and the caller numbers of the calls
    linked to its contacts become `redacted` (after tickets.mark_destroyed, in the same
    transaction).  Idempotent; returns contacts changed."""
    cur.execute(
        "UPDATE call_event SET caller = %s WHERE caller IS NOT NULL AND caller <> %s AND call_id IN"
        " (SELECT call_id FROM contact_log WHERE customer_id = %s AND call_id IS NOT NULL)",
        (redacted, redacted, customer_id),
    )
    cur.execute(
        "UPDATE contact_log SET note = %s, anonymised_at = now()"
        " WHERE customer_id = %s AND anonymised_at IS NULL",
        (redacted, customer_id),
    )
    return cur.rowcount


def repoint_customer(cur, merged_id: str, survivor_id: str) -> int:
    """C8: the merged-away customer's contacts now belong to the survivor (idempotent)."""
    cur.execute("UPDATE contact_log SET customer_id = %s WHERE customer_id = %s",
                (survivor_id, merged_id))
    return cur.rowcount
