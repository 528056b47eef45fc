"""SQL of the report feed (issue 13): the snapshot columns of tickets (one, several, a
keyset page by id) and the owner's own counts by China day x kind, which the report's
check compares with its rollups.  No scope: only the report's system identity calls."""
from psycopg2 import sql

# The columns domain.report_feed.snapshot reads.
SNAPSHOT = sql.SQL(
    "t.id::text, t.revision, t.kind, t.category_id::text, t.channel, t.urgency,"
    " t.group_name, t.assignee_id, t.acceptor_id, t.customer_id::text, t.status,"
    " t.accepted_at, t.first_response_at, t.resolved_at, t.closed_at, t.cancelled_at,"
    " t.reopen_count, t.transfer_count, t.repeat_of::text[], t.response_escalated_at,"
    " t.escalated_at, level_of(t.customer_id) AS level")


def snapshot(cur, ticket_id: str) -> dict | None:
    """One ticket's snapshot columns (by its primary key), as this transaction sees it."""
    cur.execute(sql.SQL("SELECT {} FROM ticket t WHERE t.id = %s").format(SNAPSHOT),
                (ticket_id,))
    return cur.fetchone()


def snapshots(cur, ticket_ids: list[str]) -> list[dict]:
    """The snapshot columns of these tickets (by primary key), in no order."""
    if not ticket_ids:
        return []
    cur.execute(sql.SQL("SELECT {} FROM ticket t WHERE t.id = ANY(%s::uuid[])").format(
        SNAPSHOT), (list(ticket_ids),))
    return cur.fetchall()


def page(cur, after: str | None, limit: int) -> list[dict]:
    """Up to `limit` tickets after the id `after` (None: from the first), by id (the
    primary key's order and index)."""
    cur.execute(sql.SQL(
        "SELECT {} FROM ticket t WHERE (%(after)s::uuid IS NULL OR t.id > %(after)s::uuid)"
        " ORDER BY t.id LIMIT %(limit)s").format(SNAPSHOT),
        {"after": after, "limit": limit})
    return cur.fetchall()


def counts(cur, start, end) -> list[dict]:
    """By China day x kind over [start, end): tickets accepted (created; of those, the
    ones reopened, the repeats, the response and resolution breaches), resolved (by
    resolved_at), closed (closed_at) and cancelled (cancelled_at).  ticket_order and
    the partial indexes of migration 0012 serve the four ranges."""
    cur.execute(
        "WITH created AS (SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   kind, count(*) AS created,"
        "   count(*) FILTER (WHERE reopen_count > 0) AS reopened_tickets,"
        "   count(*) FILTER (WHERE cardinality(repeat_of) > 0) AS repeats,"
        "   count(*) FILTER (WHERE response_escalated_at IS NOT NULL) AS response_breached,"
        "   count(*) FILTER (WHERE escalated_at IS NOT NULL) AS resolution_breached"
        "  FROM ticket WHERE accepted_at >= %(start)s AND accepted_at < %(end)s"
        "  GROUP BY 1, 2),"
        " resolved AS (SELECT (resolved_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   kind, count(*) AS resolved FROM ticket"
        "  WHERE resolved_at >= %(start)s AND resolved_at < %(end)s GROUP BY 1, 2),"
        " closed AS (SELECT (closed_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   kind, count(*) AS closed FROM ticket"
        "  WHERE closed_at >= %(start)s AND closed_at < %(end)s GROUP BY 1, 2),"
        " cancelled AS (SELECT (cancelled_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   kind, count(*) AS cancelled FROM ticket"
        "  WHERE cancelled_at >= %(start)s AND cancelled_at < %(end)s GROUP BY 1, 2)"
        " SELECT day, kind, created, resolved, closed, cancelled, reopened_tickets, repeats,"
        "  response_breached, resolution_breached"
        " FROM created FULL JOIN resolved USING (day, kind) FULL JOIN closed USING (day, kind)"
        " FULL JOIN cancelled USING (day, kind) ORDER BY day, kind",
        {"start": start, "end": end})
    return cur.fetchall()


# -- calls and contacts 话务报表 --------------------------------------------------------------
def call_page(cur, after: str | None, limit: int) -> list[dict]:
    """Up to `limit` calls after the call id `after` (None: from the first), by call id
    (the primary key's order and index), each with its events in time order."""
    cur.execute(
        "WITH ids AS (SELECT DISTINCT call_id FROM call_event"
        "  WHERE %(after)s::text IS NULL OR call_id > %(after)s"
        "  ORDER BY call_id LIMIT %(limit)s)"
        " SELECT e.call_id, json_agg(json_build_object('event', e.event, 'at', e.at,"
        "   'queue', e.queue, 'agent_id', e.agent_id, 'wait_seconds', e.wait_seconds)"
        "   ORDER BY e.at, e.event) AS events"
        " FROM call_event e JOIN ids USING (call_id) GROUP BY e.call_id ORDER BY e.call_id",
        {"after": after, "limit": limit})
    return cur.fetchall()


def contact_page(cur, after: str | None, limit: int) -> list[dict]:
    """Up to `limit` contacts after the id `after` (None: from the first), by id."""
    cur.execute(
        "SELECT id::text AS contact_id, ticket_id::text AS ticket_id, channel, direction,"
        " agent_id, started_at, duration_seconds, call_id FROM contact_log"
        " WHERE %(after)s::uuid IS NULL OR id > %(after)s::uuid ORDER BY id LIMIT %(limit)s",
        {"after": after, "limit": limit})
    return cur.fetchall()


def call_counts(cur, start, end) -> list[dict]:
    """By China day over [start, end): calls first offered (else first heard of) that
    day — offered, answered, abandoned — and phone contacts out started that day.  The
    calls with an event in the range (call_event_at) are the only candidates: a call's
    first event is one of its events."""
    cur.execute(
        "WITH ids AS (SELECT DISTINCT call_id FROM call_event"
        "  WHERE at >= %(start)s AND at < %(end)s),"
        " calls AS (SELECT e.call_id,"
        "   coalesce(min(e.at) FILTER (WHERE e.event = 'offered'), min(e.at)) AS first_at,"
        "   bool_or(e.event = 'answered') AS answered,"
        "   bool_or(e.event = 'abandoned') AS abandoned"
        "  FROM call_event e JOIN ids USING (call_id) GROUP BY e.call_id),"
        " by_day AS (SELECT (first_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   count(*) AS offered, count(*) FILTER (WHERE answered) AS answered,"
        "   count(*) FILTER (WHERE abandoned) AS abandoned FROM calls"
        "  WHERE first_at >= %(start)s AND first_at < %(end)s GROUP BY 1),"
        " outbound AS (SELECT (started_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   count(*) AS outbound FROM contact_log WHERE channel = 'phone'"
        "   AND direction = 'out' AND started_at >= %(start)s AND started_at < %(end)s"
        "  GROUP BY 1)"
        " SELECT day, offered, answered, abandoned, outbound"
        " FROM by_day FULL JOIN outbound USING (day) ORDER BY day",
        {"start": start, "end": end})
    return cur.fetchall()
