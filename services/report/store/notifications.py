"""All SQL of the notification statistics (migration 0008): the message facts, the
daily rollup's deltas, the figures as read, the rebuild's corrections and the check's
sums."""
from psycopg2.extras import execute_values


def lock_messages(cur, keys: list[int]) -> None:
    """Hold these messages' facts for this transaction (keys ascending, one statement)."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


def facts_of(cur, message_ids: list[str]) -> list:
    cur.execute("SELECT message_id, day, channel, template, level, state, generation"
                " FROM notification_fact WHERE message_id = ANY (%s::text[])", (message_ids,))
    return cur.fetchall()


PUT_FACTS = """
INSERT INTO notification_fact (message_id, day, channel, template, level, state,
    generation, applied_at)
VALUES %s
ON CONFLICT (message_id) DO UPDATE SET level = excluded.level, state = excluded.state,
    generation = greatest(notification_fact.generation, excluded.generation),
    applied_at = now()
"""
_COLUMNS = ("message_id", "day", "channel", "template", "level", "state")


def put_facts(cur, facts: list[dict], generation: int) -> None:
    """Each message's fact as merged now (the caller holds their locks), stamped with
    `generation` (never lowered)."""
    if facts:
        execute_values(cur, PUT_FACTS, [(*(f[c] for c in _COLUMNS), generation)
                                        for f in facts],
                       template="(%s, %s, %s, %s, %s, %s, %s, now())", page_size=1000)


ADD = (
    "INSERT INTO notification_day (day, channel, template, level, sent, delivered,"
    " undelivered, failed, skipped) VALUES %s"
    " ON CONFLICT (day, channel, template, level) DO UPDATE SET"
    " sent = notification_day.sent + excluded.sent,"
    " delivered = notification_day.delivered + excluded.delivered,"
    " undelivered = notification_day.undelivered + excluded.undelivered,"
    " failed = notification_day.failed + excluded.failed,"
    " skipped = notification_day.skipped + excluded.skipped")


def add(cur, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to notification_day, in the order given (the
    caller sorts by key; keys unique), in one statement."""
    if rows:
        execute_values(cur, ADD, rows, page_size=1000)


# -- the figures as read -----------------------------------------------------------------
COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_channel)s THEN r.channel END AS channel,
       CASE WHEN %(by_template)s THEN r.template END AS template,
       sum(r.sent)::int AS sent, sum(r.delivered)::int AS delivered,
       sum(r.undelivered)::int AS undelivered, sum(r.failed)::int AS failed,
       sum(r.skipped)::int AS skipped
  FROM notification_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND r.level <= %(clearance)s
   AND (%(channel)s::text IS NULL OR r.channel = %(channel)s)
   AND (%(template)s::text IS NULL OR r.template = %(template)s)
 GROUP BY 1, 2, 3
HAVING sum(r.sent) + sum(r.failed) + sum(r.skipped) <> 0
"""


def counts(cur, by, period: str, first, last, channel, template, clearance: int) -> list:
    """Sums per (period's first day, channel, template; None where not grouped) of the
    messages at or below `clearance`."""
    cur.execute(COUNTS, {"period": period, "from_day": first, "to_day": last,
                         "channel": channel, "template": template, "clearance": clearance,
                         "by_channel": "channel" in by, "by_template": "template" in by})
    return cur.fetchall()


# -- the check against the owner ------------------------------------------------------------
def day_sums(cur, first, last) -> list:
    """Per day and channel: sent, delivered, undelivered, failed, skipped."""
    cur.execute(
        "SELECT day, channel, sum(sent)::int AS sent, sum(delivered)::int AS delivered,"
        " sum(undelivered)::int AS undelivered, sum(failed)::int AS failed,"
        " sum(skipped)::int AS skipped FROM notification_day"
        " WHERE day BETWEEN %s AND %s GROUP BY day, channel ORDER BY day, channel",
        (first, last))
    return cur.fetchall()


# -- a rebuild's last steps: stale facts go, the rollup corrected (as store/calls.py) -----
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
CORRECTIONS = """
INSERT INTO notification_rollup_fix (day, channel, template, level, sent, delivered,
    undelivered, failed, skipped)
SELECT day, channel, template, level, sum(sent), sum(delivered), sum(undelivered),
       sum(failed), sum(skipped)
  FROM (SELECT day, channel, template, level,
               (state IN (1, 2, 3))::int AS sent, (state = 2)::int AS delivered,
               (state = 3)::int AS undelivered, (state = 4)::int AS failed,
               (state = 5)::int AS skipped
          FROM notification_fact
        UNION ALL
        SELECT day, channel, template, level, -sent, -delivered, -undelivered, -failed,
               -skipped FROM notification_day) x
 GROUP BY day, channel, template, level
HAVING ROW(sum(sent), sum(delivered), sum(undelivered), sum(failed), sum(skipped))
       <> ROW(0, 0, 0, 0, 0)
"""
# A batch of corrections added, taken out of notification_rollup_fix; rows in key order
# (Python's sorted keys, as a live event's deltas: COLLATE "C").
APPLY = (
    "WITH batch AS (DELETE FROM notification_rollup_fix WHERE id IN (SELECT id FROM"
    " notification_rollup_fix ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO notification_day (day, channel, template, level, sent, delivered,"
    " undelivered, failed, skipped)"
    " SELECT day, channel, template, level, sent, delivered, undelivered, failed, skipped"
    ' FROM batch ORDER BY day, channel COLLATE "C", template COLLATE "C", level'
    " ON CONFLICT (day, channel, template, level) DO UPDATE SET"
    " sent = notification_day.sent + excluded.sent,"
    " delivered = notification_day.delivered + excluded.delivered,"
    " undelivered = notification_day.undelivered + excluded.undelivered,"
    " failed = notification_day.failed + excluded.failed,"
    " skipped = notification_day.skipped + excluded.skipped")


def remove_stale(cur, generation: int) -> int:
    """Message facts older than `generation` (notify no longer has them) go; how many.
    (Their contributions go with the correction.)"""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM notification_fact WHERE generation < %s", (generation,))
    return cur.rowcount


def compute_corrections(cur) -> int:
    """The rollup's difference to the facts summed, into notification_rollup_fix (what
    was there before: dropped); the rows.  One statement: one snapshot."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM notification_rollup_fix")
    cur.execute(CORRECTIONS)
    return cur.rowcount


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of notification_day added to it; how many."""
    cur.execute(APPLY, (limit,))
    return cur.rowcount
