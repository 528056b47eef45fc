"""All SQL of what notify tells the report (issue 13): each message of an outcome event
(id, creation time, level, template name), the report's rebuild pages over every message
(keyset by id) and the per-day counts its check compares (migration 0007 indexes them)."""
from typing import Any


def outcome_messages(cur, ids: list[str]) -> dict[str, Any]:
    """{id: {created_at, level, template}} of these messages."""
    if not ids:
        return {}
    cur.execute(
        "SELECT m.id::text AS id, m.created_at, m.level, t.name AS template FROM message m"
        " LEFT JOIN template t ON t.id = m.template_id WHERE m.id = ANY (%s::uuid[])", (ids,))
    return {r["id"]: r for r in cur.fetchall()}


def page(cur, after: str | None, limit: int) -> list:
    """Up to `limit` messages by id after `after`: no address, recipient nor content."""
    cur.execute(
        "SELECT m.id::text AS message_id, m.channel, t.name AS template, m.created_at,"
        " m.status, left(m.reason, 200) AS reason, m.level FROM message m"
        " LEFT JOIN template t ON t.id = m.template_id"
        " WHERE %(after)s::uuid IS NULL OR m.id > %(after)s::uuid"
        " ORDER BY m.id LIMIT %(limit)s", {"after": after, "limit": limit})
    return cur.fetchall()


# A message counts on the China day it was made: sent once the provider took it (sent,
# delivered, or failed with the receipt's reason undelivered), delivered, undelivered,
# failed (any other failure) and skipped; queued and sending count nowhere.
COUNTS = """
SELECT (m.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, m.channel,
       count(*) FILTER (WHERE m.status IN ('sent', 'delivered')
                        OR (m.status = 'failed' AND m.reason = 'undelivered'))::int AS sent,
       count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered,
       count(*) FILTER (WHERE m.status = 'failed' AND m.reason = 'undelivered')::int
         AS undelivered,
       count(*) FILTER (WHERE m.status = 'failed'
                        AND m.reason IS DISTINCT FROM 'undelivered')::int AS failed,
       count(*) FILTER (WHERE m.status = 'skipped')::int AS skipped
  FROM message m
 WHERE m.created_at >= %(start)s AND m.created_at < %(end)s
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


def counts(cur, start, end) -> list:
    """Per China day and channel of the messages made in [start, end)."""
    cur.execute(COUNTS, {"start": start, "end": end})
    return cur.fetchall()
