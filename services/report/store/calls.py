"""All SQL of the call and contact statistics 话务报表 (migration 0003): the call events
seen, the call and contact facts, the rollups' deltas, the figures as read, the
rebuild's corrections and the check's sums."""
from psycopg2.extras import execute_values


def lock_calls(cur, keys: list[int]) -> None:
    """Hold these calls' facts for this transaction (keys ascending, one statement)."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


# -- the call events seen, each (call, event) once ----------------------------------------
def put_events(cur, events: list[dict]) -> int:
    """Store these call events (the first copy of each (call, event) wins); how many were
    new."""
    if not events:
        return 0
    rows = execute_values(
        cur, "INSERT INTO call_fact_event (call_id, event, at, queue, agent_id, wait_seconds)"
        " VALUES %s ON CONFLICT (call_id, event) DO NOTHING RETURNING 1",
        [(e["call_id"], e["event"], e["at"], e.get("queue"), e.get("agent_id"),
          e.get("wait_seconds")) for e in events], fetch=True)
    return len(rows)


def events_of(cur, call_ids: list[str]) -> list:
    """The events seen of these calls."""
    cur.execute("SELECT call_id, event, at, queue, agent_id, wait_seconds FROM call_fact_event"
                " WHERE call_id = ANY (%s::text[]) ORDER BY call_id, at, event", (call_ids,))
    return cur.fetchall()


# -- the facts -------------------------------------------------------------------------------
_CALL_FACT = ("SELECT call_id, day, hour, queue, agent_id, offered, answered, abandoned,"
              " ring_seconds, rung, talk_seconds, talked, quick_hangups, generation"
              " FROM call_fact")


def calls_of(cur, call_ids: list[str]) -> list:
    cur.execute(_CALL_FACT + " WHERE call_id = ANY (%s::text[])", (call_ids,))
    return cur.fetchall()


PUT_CALLS = """
INSERT INTO call_fact (call_id, day, hour, queue, agent_id, offered, answered, abandoned,
    ring_seconds, rung, talk_seconds, talked, quick_hangups, generation, applied_at)
VALUES %s
ON CONFLICT (call_id) DO UPDATE SET day = excluded.day, hour = excluded.hour,
    queue = excluded.queue, agent_id = excluded.agent_id, offered = excluded.offered,
    answered = excluded.answered, abandoned = excluded.abandoned,
    ring_seconds = excluded.ring_seconds, rung = excluded.rung,
    talk_seconds = excluded.talk_seconds, talked = excluded.talked,
    quick_hangups = excluded.quick_hangups,
    generation = greatest(call_fact.generation, excluded.generation), applied_at = now()
"""
_CALL_COLUMNS = ("call_id", "day", "hour", "queue", "agent_id", "offered", "answered",
                 "abandoned", "ring_seconds", "rung", "talk_seconds", "talked", "quick_hangups")


def put_calls(cur, facts: list[dict], generation: int) -> None:
    """Each call's fact as merged now (the caller holds the calls' locks), stamped with
    `generation` (never lowered)."""
    if facts:
        execute_values(cur, PUT_CALLS, [(*(f[c] for c in _CALL_COLUMNS), generation)
                                        for f in facts],
                       template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                                " now())", page_size=1000)


def stamp_calls(cur, call_ids: list[str], generation: int) -> None:
    """A rebuild (or a live event after it was asked for) saw these calls."""
    cur.execute("UPDATE call_fact SET generation = %s WHERE call_id = ANY (%s::text[])"
                " AND generation < %s", (generation, call_ids, generation))


PUT_CONTACTS = """
INSERT INTO contact_fact (contact_id, day, hour, channel, direction, agent_id, contacts,
    answered, duration_seconds, generation, applied_at)
VALUES %s
ON CONFLICT (contact_id) DO UPDATE SET
    generation = greatest(contact_fact.generation, excluded.generation)
RETURNING contact_id, (xmax = 0) AS inserted
"""
_CONTACT_COLUMNS = ("contact_id", "day", "hour", "channel", "direction", "agent_id",
                    "contacts", "answered", "duration_seconds")


def put_contacts(cur, facts: list[dict], generation: int) -> set[str]:
    """Each contact's fact kept (one already kept: only stamped — contacts are counted as
    logged); the ids that were new."""
    if not facts:
        return set()
    rows = execute_values(cur, PUT_CONTACTS,
                          [(*(f[c] for c in _CONTACT_COLUMNS), generation) for f in facts],
                          template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                          page_size=1000, fetch=True)
    return {r["contact_id"] for r in rows if r["inserted"]}


# -- deltas: one statement per rollup, rows in key order -----------------------------------
ADD_CALL_HOUR = (
    "INSERT INTO call_hour (day, hour, queue, agent_id, offered, answered, abandoned,"
    " ring_seconds, rung, talk_seconds, talked, quick_hangups) VALUES %s"
    " ON CONFLICT (day, hour, queue, agent_id) DO UPDATE SET"
    " offered = call_hour.offered + excluded.offered,"
    " answered = call_hour.answered + excluded.answered,"
    " abandoned = call_hour.abandoned + excluded.abandoned,"
    " ring_seconds = call_hour.ring_seconds + excluded.ring_seconds,"
    " rung = call_hour.rung + excluded.rung,"
    " talk_seconds = call_hour.talk_seconds + excluded.talk_seconds,"
    " talked = call_hour.talked + excluded.talked,"
    " quick_hangups = call_hour.quick_hangups + excluded.quick_hangups")
ADD_CONTACT_HOUR = (
    "INSERT INTO contact_hour (day, hour, channel, direction, agent_id, contacts, answered,"
    " duration_seconds) VALUES %s"
    " ON CONFLICT (day, hour, channel, direction, agent_id) DO UPDATE SET"
    " contacts = contact_hour.contacts + excluded.contacts,"
    " answered = contact_hour.answered + excluded.answered,"
    " duration_seconds = contact_hour.duration_seconds + excluded.duration_seconds")
ADD = {"call_hour": ADD_CALL_HOUR, "contact_hour": ADD_CONTACT_HOUR}


def add(cur, table: str, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to `table` (call_hour, contact_hour), in the
    order given (the caller sorts by key; keys unique), in one statement."""
    if rows:
        execute_values(cur, ADD[table], rows, page_size=1000)


# -- the figures as read -----------------------------------------------------------------
CALL_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_queue)s THEN r.queue END AS queue,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       CASE WHEN %(by_hour)s THEN r.hour::int END AS hour,
       sum(r.offered)::int AS offered, sum(r.answered)::int AS answered,
       sum(r.abandoned)::int AS abandoned, sum(r.ring_seconds)::bigint AS ring_seconds,
       sum(r.rung)::int AS rung, sum(r.talk_seconds)::bigint AS talk_seconds,
       sum(r.talked)::int AS talked, sum(r.quick_hangups)::int AS quick_hangups
  FROM call_hour r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(queue)s::text IS NULL OR r.queue = %(queue)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
 GROUP BY 1, 2, 3, 4
HAVING sum(r.offered) <> 0
"""
# Outbound attempts (phone, out) and online contacts (web and wechat, in): no queue — none
# when a queue is asked for.
CONTACT_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       NULL::text AS queue,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       CASE WHEN %(by_hour)s THEN r.hour::int END AS hour,
       coalesce(sum(r.contacts) FILTER (WHERE r.channel = 'phone'), 0)::int AS outbound,
       coalesce(sum(r.answered) FILTER (WHERE r.channel = 'phone'), 0)::int
         AS outbound_answered,
       coalesce(sum(r.contacts) FILTER (WHERE r.channel <> 'phone'), 0)::int AS online,
       coalesce(sum(r.duration_seconds) FILTER (WHERE r.channel <> 'phone'), 0)::bigint
         AS online_seconds
  FROM contact_hour r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND %(queue)s::text IS NULL
   AND ((r.channel = 'phone' AND r.direction = 'out')
        OR (r.channel IN ('web', 'wechat') AND r.direction = 'in'))
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
 GROUP BY 1, 2, 3, 4
HAVING sum(r.contacts) <> 0
"""


def _params(by, period: str, first, last, queue, agent_id) -> dict:
    return {"period": period, "from_day": first, "to_day": last, "queue": queue,
            "agent_id": agent_id, **{f"by_{d}": d in by for d in ("queue", "agent", "hour")}}


def call_counts(cur, by, period: str, first, last, queue, agent_id) -> list:
    """Call sums per (period's first day, queue, agent, hour; None where not grouped)."""
    cur.execute(CALL_COUNTS, _params(by, period, first, last, queue, agent_id))
    return cur.fetchall()


def contact_counts(cur, by, period: str, first, last, queue, agent_id) -> list:
    """Outbound and online sums per (period, None, agent, hour)."""
    cur.execute(CONTACT_COUNTS, _params(by, period, first, last, queue, agent_id))
    return cur.fetchall()


# -- the check against the owner ------------------------------------------------------------
def day_sums(cur, first, last) -> list:
    """Per day: calls offered, answered, abandoned, and outbound attempts."""
    cur.execute(
        "SELECT day, sum(offered)::int AS offered, sum(answered)::int AS answered,"
        " sum(abandoned)::int AS abandoned, sum(outbound)::int AS outbound FROM"
        " (SELECT day, offered, answered, abandoned, 0 AS outbound FROM call_hour"
        "   WHERE day BETWEEN %(first)s AND %(last)s"
        "  UNION ALL"
        "  SELECT day, 0, 0, 0, contacts FROM contact_hour WHERE day BETWEEN %(first)s"
        "   AND %(last)s AND channel = 'phone' AND direction = 'out') s"
        " GROUP BY day ORDER BY day", {"first": first, "last": last})
    return cur.fetchall()


# -- a rebuild's last steps: stale facts go, the rollups corrected (as store/facts.py) ----
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
REMOVE_STALE = """
WITH calls AS (DELETE FROM call_fact WHERE generation < %(g)s RETURNING call_id),
     events AS (DELETE FROM call_fact_event e USING calls WHERE e.call_id = calls.call_id),
     contacts AS (DELETE FROM contact_fact WHERE generation < %(g)s RETURNING 1)
SELECT (SELECT count(*) FROM calls)::int + (SELECT count(*) FROM contacts)::int AS removed
"""
CORRECTIONS = """
WITH calls AS (
INSERT INTO call_rollup_fix (target, day, hour, queue, agent_id, offered, answered,
    abandoned, ring_seconds, rung, talk_seconds, talked, quick_hangups)
SELECT 'call_hour', day, hour, queue, agent_id, sum(offered), sum(answered),
       sum(abandoned), sum(ring_seconds), sum(rung), sum(talk_seconds), sum(talked),
       sum(quick_hangups)
  FROM (SELECT day, hour, queue, agent_id, offered, answered, abandoned, ring_seconds, rung,
               talk_seconds, talked, quick_hangups FROM call_fact
        UNION ALL
        SELECT day, hour, queue, agent_id, -offered, -answered, -abandoned, -ring_seconds,
               -rung, -talk_seconds, -talked, -quick_hangups FROM call_hour) x
 GROUP BY day, hour, queue, agent_id
HAVING ROW(sum(offered), sum(answered), sum(abandoned), sum(ring_seconds), sum(rung),
           sum(talk_seconds), sum(talked), sum(quick_hangups))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
contacts AS (
INSERT INTO call_rollup_fix (target, day, hour, channel, direction, agent_id, contacts,
    answered, duration_seconds)
SELECT 'contact_hour', day, hour, channel, direction, agent_id, sum(contacts),
       sum(answered), sum(duration_seconds)
  FROM (SELECT day, hour, channel, direction, agent_id, contacts, answered,
               duration_seconds FROM contact_fact
        UNION ALL
        SELECT day, hour, channel, direction, agent_id, -contacts, -answered,
               -duration_seconds FROM contact_hour) x
 GROUP BY day, hour, channel, direction, agent_id
HAVING ROW(sum(contacts), sum(answered), sum(duration_seconds)) <> ROW(0, 0, 0)
RETURNING 1)
SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM contacts) AS fixes
"""
# A batch of one rollup's corrections added, taken out of call_rollup_fix; rows in key
# order (Python's sorted keys, as a live event's deltas: COLLATE "C").
APPLY_CALL_HOUR = (
    "WITH batch AS (DELETE FROM call_rollup_fix WHERE id IN (SELECT id FROM call_rollup_fix"
    " WHERE target = 'call_hour' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO call_hour (day, hour, queue, agent_id, offered, answered, abandoned,"
    " ring_seconds, rung, talk_seconds, talked, quick_hangups)"
    " SELECT day, hour, queue, agent_id, offered, answered, abandoned, ring_seconds, rung,"
    " talk_seconds, talked, quick_hangups FROM batch"
    ' ORDER BY day, hour, queue COLLATE "C", agent_id COLLATE "C"'
    " ON CONFLICT (day, hour, queue, agent_id) DO UPDATE SET"
    " offered = call_hour.offered + excluded.offered,"
    " answered = call_hour.answered + excluded.answered,"
    " abandoned = call_hour.abandoned + excluded.abandoned,"
    " ring_seconds = call_hour.ring_seconds + excluded.ring_seconds,"
    " rung = call_hour.rung + excluded.rung,"
    " talk_seconds = call_hour.talk_seconds + excluded.talk_seconds,"
    " talked = call_hour.talked + excluded.talked,"
    " quick_hangups = call_hour.quick_hangups + excluded.quick_hangups")
APPLY_CONTACT_HOUR = (
    "WITH batch AS (DELETE FROM call_rollup_fix WHERE id IN (SELECT id FROM call_rollup_fix"
    " WHERE target = 'contact_hour' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO contact_hour (day, hour, channel, direction, agent_id, contacts, answered,"
    " duration_seconds)"
    " SELECT day, hour, channel, direction, agent_id, contacts, answered, duration_seconds"
    ' FROM batch ORDER BY day, hour, channel COLLATE "C", direction COLLATE "C",'
    ' agent_id COLLATE "C"'
    " ON CONFLICT (day, hour, channel, direction, agent_id) DO UPDATE SET"
    " contacts = contact_hour.contacts + excluded.contacts,"
    " answered = contact_hour.answered + excluded.answered,"
    " duration_seconds = contact_hour.duration_seconds + excluded.duration_seconds")
APPLY = {"call_hour": APPLY_CALL_HOUR, "contact_hour": APPLY_CONTACT_HOUR}


def remove_stale(cur, generation: int) -> int:
    """Call and contact facts older than `generation` (the owner no longer has them), and
    the calls' events, go; how many facts.  (Their contributions go with the correction.)"""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(REMOVE_STALE, {"g": generation})
    return cur.fetchone()["removed"]


def compute_corrections(cur) -> int:
    """Each rollup's difference to the facts summed, into call_rollup_fix (what was there
    before: dropped); the rows.  One statement: one snapshot of facts and rollups."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM call_rollup_fix")
    cur.execute(CORRECTIONS)
    return cur.fetchone()["fixes"]


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of `table` added to it; how many."""
    cur.execute(APPLY[table], (limit,))
    return cur.rowcount
