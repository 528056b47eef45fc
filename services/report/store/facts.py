"""All SQL of the ticket facts, their repeat links, the rollups' deltas, the feed
positions, and the rollups corrected to the facts summed (migration 0002)."""
from typing import Any

from psycopg2.extras import execute_values

_FACT = (
    "SELECT ticket_id, revision, kind, category_id, channel, urgency, group_name,"
    " assignee_id, acceptor_id, customer_id, level, status, accepted_at, first_response_at,"
    " resolved_at, closed_at, cancelled_at, reopen_count, transfer_count, repeat, repeat_of,"
    " response_breached, resolution_breached, generation FROM ticket_fact")


def lock_ticket(cur, key: int) -> None:
    """Hold one ticket's contribution for this transaction (its fact, and its links as
    the earlier ticket): keys are taken in ascending order by the caller."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (key,))


def lock_briefly(cur) -> None:
    """A live change waits at most 2 s for any lock (a rebuild's page, a correction
    batch — each holds its rows for a moment only); longer, it fails and the event
    goes back through the platform's retry queues rather than hold one of the pool's
    connections."""
    cur.execute("SET LOCAL lock_timeout = '2s'")


def lock_tickets(cur, keys: list[int]) -> None:
    """lock_ticket for several keys, in the order given (ascending), one statement."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


def get_fact(cur, ticket_id: str) -> Any:
    cur.execute(_FACT + " WHERE ticket_id = %s", (ticket_id,))
    return cur.fetchone()


def facts_of(cur, ticket_ids: list[str]) -> list:
    """The facts kept of these tickets (those there are)."""
    cur.execute(_FACT + " WHERE ticket_id = ANY (%s::text[])", (ticket_ids,))
    return cur.fetchall()


def all_facts(cur) -> list:
    cur.execute(_FACT + " ORDER BY ticket_id")
    return cur.fetchall()


def named_later(cur, ticket_id: str) -> bool:
    """Whether a later ticket names this one in its repeat_of."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM ticket_repeat_link WHERE earlier_id = %s) AS x",
                (ticket_id,))
    return cur.fetchone()["x"]


def link(cur, earlier_ids: list[str], later_id: str) -> None:
    cur.execute("INSERT INTO ticket_repeat_link (earlier_id, later_id)"
                " SELECT e, %s FROM unnest(%s::text[]) e ON CONFLICT DO NOTHING",
                (later_id, sorted(earlier_ids)))


def unlink(cur, earlier_ids: list[str], later_id: str) -> None:
    cur.execute("DELETE FROM ticket_repeat_link WHERE later_id = %s"
                " AND earlier_id = ANY (%s::text[])", (later_id, sorted(earlier_ids)))


_COLUMNS = (
    "ticket_id", "revision", "kind", "category_id", "channel", "urgency", "group_name",
    "assignee_id", "acceptor_id", "customer_id", "level", "status", "accepted_at",
    "first_response_at", "resolved_at", "closed_at", "cancelled_at", "reopen_count",
    "transfer_count", "repeat", "repeat_of", "response_breached", "resolution_breached")
# A fact replaced only by a higher revision (the caller checked, under the ticket's lock;
# a rebuild's page relies on it).
PUT_FACTS = """
INSERT INTO ticket_fact (ticket_id, revision, kind, category_id, channel, urgency, group_name,
    assignee_id, acceptor_id, customer_id, level, status, accepted_at, first_response_at,
    resolved_at, closed_at, cancelled_at, reopen_count, transfer_count, repeat, repeat_of,
    response_breached, resolution_breached, generation, applied_at)
VALUES %s
ON CONFLICT (ticket_id) DO UPDATE SET revision = excluded.revision, kind = excluded.kind,
    category_id = excluded.category_id, channel = excluded.channel,
    urgency = excluded.urgency, group_name = excluded.group_name,
    assignee_id = excluded.assignee_id, acceptor_id = excluded.acceptor_id,
    customer_id = excluded.customer_id, level = excluded.level, status = excluded.status,
    accepted_at = excluded.accepted_at, first_response_at = excluded.first_response_at,
    resolved_at = excluded.resolved_at, closed_at = excluded.closed_at,
    cancelled_at = excluded.cancelled_at, reopen_count = excluded.reopen_count,
    transfer_count = excluded.transfer_count, repeat = excluded.repeat,
    repeat_of = excluded.repeat_of, response_breached = excluded.response_breached,
    resolution_breached = excluded.resolution_breached,
    generation = greatest(ticket_fact.generation, excluded.generation), applied_at = now()
WHERE ticket_fact.revision < excluded.revision
"""
_FACT_ROW = ("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
             " %s::text[], %s, %s, %s, now())")


def put_facts(cur, facts: list[dict], generation: int) -> None:
    """Insert each fact, or replace the one kept when its revision is higher (one
    statement; ticket ids unique)."""
    if facts:
        execute_values(cur, PUT_FACTS, [(*(f[c] for c in _COLUMNS), generation) for f in facts],
                       template=_FACT_ROW, page_size=1000)


def put_fact(cur, fact: dict, generation: int) -> None:
    put_facts(cur, [{**fact, "repeat_of": list(fact["repeat_of"])}], generation)


def stamp_all(cur, ticket_ids: list[str], generation: int) -> None:
    """A rebuild saw these facts."""
    cur.execute("UPDATE ticket_fact SET generation = %s WHERE ticket_id = ANY (%s::text[])"
                " AND generation < %s", (generation, ticket_ids, generation))


def stamp(cur, ticket_id: str, generation: int) -> None:
    """A rebuild saw this fact (its revision not higher: nothing else changes)."""
    cur.execute("UPDATE ticket_fact SET generation = %s WHERE ticket_id = %s"
                " AND generation < %s", (generation, ticket_id, generation))


def current_generation(cur) -> int:
    """The newest rebuild's generation (0: none yet): what a live event stamps."""
    cur.execute("SELECT coalesce(max(generation), 0) AS g FROM report_rebuild")
    return cur.fetchone()["g"]


# -- deltas: one statement per rollup, rows in key order ----------------------------------
ADD_DAY = (
    "INSERT INTO ticket_day (day, kind, created, resolved, closed, cancelled, "
    "reopened, repeats, response_breached, resolution_breached, same_day, fcr, "
    "opened, finished) VALUES %s ON CONFLICT (day, kind) DO UPDATE SET created = "
    "ticket_day.created + excluded.created, resolved = ticket_day.resolved + "
    "excluded.resolved, closed = ticket_day.closed + excluded.closed, cancelled = "
    "ticket_day.cancelled + excluded.cancelled, reopened = ticket_day.reopened + "
    "excluded.reopened, repeats = ticket_day.repeats + excluded.repeats, "
    "response_breached = ticket_day.response_breached + excluded.response_breached,"
    " resolution_breached = ticket_day.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day.same_day + "
    "excluded.same_day, fcr = ticket_day.fcr + excluded.fcr, opened = "
    "ticket_day.opened + excluded.opened, finished = ticket_day.finished + "
    "excluded.finished")
ADD_DAY_GROUP = (
    "INSERT INTO ticket_day_group (day, group_name, kind, created, resolved, "
    "closed, cancelled, reopened, repeats, response_breached, resolution_breached, "
    "same_day, fcr, opened, finished) VALUES %s ON CONFLICT (day, group_name, kind)"
    " DO UPDATE SET created = ticket_day_group.created + excluded.created, resolved"
    " = ticket_day_group.resolved + excluded.resolved, closed = "
    "ticket_day_group.closed + excluded.closed, cancelled = "
    "ticket_day_group.cancelled + excluded.cancelled, reopened = "
    "ticket_day_group.reopened + excluded.reopened, repeats = "
    "ticket_day_group.repeats + excluded.repeats, response_breached = "
    "ticket_day_group.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_group.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_group.same_day + "
    "excluded.same_day, fcr = ticket_day_group.fcr + excluded.fcr, opened = "
    "ticket_day_group.opened + excluded.opened, finished = "
    "ticket_day_group.finished + excluded.finished")
ADD_DAY_KIND = (
    "INSERT INTO ticket_day_kind (day, kind, category_id, channel, created, "
    "resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished) VALUES %s ON CONFLICT "
    "(day, kind, category_id, channel) DO UPDATE SET created = "
    "ticket_day_kind.created + excluded.created, resolved = "
    "ticket_day_kind.resolved + excluded.resolved, closed = ticket_day_kind.closed "
    "+ excluded.closed, cancelled = ticket_day_kind.cancelled + excluded.cancelled, "
    "reopened = ticket_day_kind.reopened + excluded.reopened, repeats = "
    "ticket_day_kind.repeats + excluded.repeats, response_breached = "
    "ticket_day_kind.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_kind.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_kind.same_day + "
    "excluded.same_day, fcr = ticket_day_kind.fcr + excluded.fcr, opened = "
    "ticket_day_kind.opened + excluded.opened, finished = ticket_day_kind.finished "
    "+ excluded.finished")
ADD_DAY_STAFF = (
    "INSERT INTO ticket_day_staff (day, group_name, agent_id, kind, created, "
    "resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished) VALUES %s ON CONFLICT "
    "(day, group_name, agent_id, kind) DO UPDATE SET created = "
    "ticket_day_staff.created + excluded.created, resolved = "
    "ticket_day_staff.resolved + excluded.resolved, closed = "
    "ticket_day_staff.closed + excluded.closed, cancelled = "
    "ticket_day_staff.cancelled + excluded.cancelled, reopened = "
    "ticket_day_staff.reopened + excluded.reopened, repeats = "
    "ticket_day_staff.repeats + excluded.repeats, response_breached = "
    "ticket_day_staff.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_staff.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_staff.same_day + "
    "excluded.same_day, fcr = ticket_day_staff.fcr + excluded.fcr, opened = "
    "ticket_day_staff.opened + excluded.opened, finished = "
    "ticket_day_staff.finished + excluded.finished")
ADD_MONTH = (
    "INSERT INTO ticket_month (month, kind, category_id, channel, group_name, "
    "agent_id, created, resolved, closed, cancelled, reopened, repeats, "
    "response_breached, resolution_breached, same_day, fcr, opened, finished) "
    "VALUES %s ON CONFLICT (month, kind, category_id, channel, group_name, "
    "agent_id) DO UPDATE SET created = ticket_month.created + excluded.created, "
    "resolved = ticket_month.resolved + excluded.resolved, closed = "
    "ticket_month.closed + excluded.closed, cancelled = ticket_month.cancelled + "
    "excluded.cancelled, reopened = ticket_month.reopened + excluded.reopened, "
    "repeats = ticket_month.repeats + excluded.repeats, response_breached = "
    "ticket_month.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_month.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_month.same_day + "
    "excluded.same_day, fcr = ticket_month.fcr + excluded.fcr, opened = "
    "ticket_month.opened + excluded.opened, finished = ticket_month.finished + "
    "excluded.finished")
ADD_TIME_DAY = (
    "INSERT INTO ticket_time_day (day, kind, group_name, measure, bucket, n, "
    "seconds) VALUES %s ON CONFLICT (day, kind, group_name, measure, bucket) DO "
    "UPDATE SET n = ticket_time_day.n + excluded.n, seconds = "
    "ticket_time_day.seconds + excluded.seconds")
ADD = {"ticket_day": ADD_DAY, "ticket_day_group": ADD_DAY_GROUP, "ticket_day_kind": ADD_DAY_KIND, "ticket_day_staff": ADD_DAY_STAFF,
       "ticket_month": ADD_MONTH, "ticket_time_day": ADD_TIME_DAY}


def add(cur, table: str, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to `table` (one of domain/facts.py TABLES), in the order given (the caller sorts by key; keys
    unique), in one statement."""
    if rows:
        execute_values(cur, ADD[table], rows, page_size=1000)


# -- feed positions (the lag) ------------------------------------------------------------
def advance_feed(cur, source: str, occurred_at, events: int = 1) -> None:
    cur.execute(
        "INSERT INTO feed_position (source, last_occurred_at, last_applied_at, events)"
        " VALUES (%s, %s, now(), %s) ON CONFLICT (source) DO UPDATE SET"
        " last_occurred_at = greatest(feed_position.last_occurred_at,"
        " excluded.last_occurred_at), last_applied_at = now(),"
        " events = feed_position.events + excluded.events", (source, occurred_at, events))


def feed_position(cur, source: str) -> Any:
    cur.execute("SELECT source, last_occurred_at, last_applied_at, events FROM feed_position"
                " WHERE source = %s", (source,))
    return cur.fetchone()


# -- the rollups made equal to the facts (a rebuild's last steps), no table lock ---------
# Live events keep every rollup by exact deltas, so whatever a rollup is off by (pages
# kept facts without deltas, facts that went) stays the same while they go on: the
# correction (the facts' contributions summed − the rollup, both read in ONE statement's
# snapshot) is computed into rollup_fix, then added to the rollups in short batches, each
# in key order like a live event's deltas.  The result equals the facts summed, whatever
# live events came meanwhile; nothing holds a table.
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
# Facts the owner no longer has (not seen by this rebuild, nor changed since it was asked
# for), and the repeat links they made.
REMOVE_STALE = """
WITH gone AS (DELETE FROM ticket_fact WHERE generation < %s RETURNING ticket_id),
     unlinked AS (DELETE FROM ticket_repeat_link l USING gone WHERE l.later_id = gone.ticket_id)
SELECT count(*)::int AS removed FROM gone
"""
CLEAR_FIX = "DELETE FROM rollup_fix"
# Each fact's contributions, one row per (day it lands on, its dimensions): the same as
# domain/facts.py contributions(); each rollup's difference to them into rollup_fix.
CORRECTIONS = """
WITH f AS (
  SELECT f.kind, coalesce(f.category_id, '') AS category_id, f.channel,
         coalesce(f.group_name, '') AS group_name, coalesce(f.assignee_id, '') AS agent_id,
         (f.accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS accepted_day,
         (f.resolved_at AT TIME ZONE 'Asia/Shanghai')::date AS resolved_day,
         (f.closed_at AT TIME ZONE 'Asia/Shanghai')::date AS closed_day,
         (f.cancelled_at AT TIME ZONE 'Asia/Shanghai')::date AS cancelled_day,
         (CASE f.status WHEN 'closed' THEN f.closed_at WHEN 'cancelled' THEN f.cancelled_at
          END AT TIME ZONE 'Asia/Shanghai')::date AS finished_day,
         f.repeat, f.reopen_count, f.transfer_count, f.response_breached,
         f.resolution_breached,
         EXISTS (SELECT 1 FROM ticket_repeat_link l WHERE l.earlier_id = f.ticket_id)
           AS named_later
    FROM ticket_fact f),
c AS (
SELECT accepted_day AS day, kind, category_id, channel, group_name, agent_id,
       1 AS created, 0 AS resolved, 0 AS closed, 0 AS cancelled,
       (reopen_count > 0)::int AS reopened, repeat::int AS repeats,
       response_breached::int AS response_breached,
       resolution_breached::int AS resolution_breached, 0 AS same_day, 0 AS fcr,
       1 AS opened, 0 AS finished
  FROM f
UNION ALL
SELECT resolved_day, kind, category_id, channel, group_name, agent_id, 0, 1, 0, 0, 0, 0, 0,
       0, (resolved_day = accepted_day)::int,
       (transfer_count = 0 AND reopen_count = 0 AND NOT named_later)::int, 0, 0
  FROM f WHERE resolved_day IS NOT NULL
UNION ALL
SELECT closed_day, kind, category_id, channel, group_name, agent_id, 0, 0, 1, 0, 0, 0, 0, 0,
       0, 0, 0, 0
  FROM f WHERE closed_day IS NOT NULL
UNION ALL
SELECT cancelled_day, kind, category_id, channel, group_name, agent_id, 0, 0, 0, 1, 0, 0, 0,
       0, 0, 0, 0, 0
  FROM f WHERE cancelled_day IS NOT NULL
UNION ALL
SELECT finished_day, kind, category_id, channel, group_name, agent_id, 0, 0, 0, 0, 0, 0, 0,
       0, 0, 0, 0, 1
  FROM f WHERE finished_day IS NOT NULL),
t AS (
SELECT day, kind, group_name, measure,
       width_bucket(seconds, ARRAY[60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400,
                                   172800, 259200, 604800]::bigint[]) AS bucket,
       seconds
  FROM (SELECT (accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day, kind,
               coalesce(group_name, '') AS group_name, 'response' AS measure,
               greatest(0, floor(extract(epoch FROM first_response_at - accepted_at)))::bigint
                 AS seconds
          FROM ticket_fact WHERE first_response_at IS NOT NULL
        UNION ALL
        SELECT (resolved_at AT TIME ZONE 'Asia/Shanghai')::date, kind,
               coalesce(group_name, ''), 'resolution',
               greatest(0, floor(extract(epoch FROM resolved_at - accepted_at)))::bigint
          FROM ticket_fact WHERE resolved_at IS NOT NULL) s),
narrow AS (
INSERT INTO rollup_fix (target, day, kind, created, resolved, closed, cancelled, reopened,
    repeats, response_breached, resolution_breached, same_day, fcr, opened, finished)
SELECT 'ticket_day', day, kind, sum(created), sum(resolved), sum(closed), sum(cancelled),
       sum(reopened), sum(repeats), sum(response_breached), sum(resolution_breached),
       sum(same_day), sum(fcr), sum(opened), sum(finished)
  FROM (SELECT day, kind, created, resolved, closed, cancelled, reopened, repeats,
               response_breached, resolution_breached, same_day, fcr, opened, finished
          FROM c
        UNION ALL
        SELECT day, kind, -created, -resolved, -closed, -cancelled, -reopened, -repeats,
               -response_breached, -resolution_breached, -same_day, -fcr, -opened,
               -finished FROM ticket_day) x
 GROUP BY day, kind
HAVING ROW(sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
           sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
           sum(fcr), sum(opened), sum(finished))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
narrow_group AS (
INSERT INTO rollup_fix (target, day, group_name, kind, created, resolved, closed, cancelled, reopened,
    repeats, response_breached, resolution_breached, same_day, fcr, opened, finished)
SELECT 'ticket_day_group', day, group_name, kind, sum(created), sum(resolved), sum(closed), sum(cancelled),
       sum(reopened), sum(repeats), sum(response_breached), sum(resolution_breached),
       sum(same_day), sum(fcr), sum(opened), sum(finished)
  FROM (SELECT day, group_name, kind, created, resolved, closed, cancelled, reopened, repeats,
               response_breached, resolution_breached, same_day, fcr, opened, finished
          FROM c
        UNION ALL
        SELECT day, group_name, kind, -created, -resolved, -closed, -cancelled, -reopened, -repeats,
               -response_breached, -resolution_breached, -same_day, -fcr, -opened,
               -finished FROM ticket_day_group) x
 GROUP BY day, group_name, kind
HAVING ROW(sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
           sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
           sum(fcr), sum(opened), sum(finished))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
day_kind AS (
INSERT INTO rollup_fix (target, day, kind, category_id, channel, created, resolved, closed,
    cancelled, reopened, repeats, response_breached, resolution_breached, same_day, fcr,
    opened, finished)
SELECT 'ticket_day_kind', day, kind, category_id, channel, sum(created), sum(resolved),
       sum(closed), sum(cancelled), sum(reopened), sum(repeats), sum(response_breached),
       sum(resolution_breached), sum(same_day), sum(fcr), sum(opened), sum(finished)
  FROM (SELECT day, kind, category_id, channel, created, resolved, closed, cancelled,
               reopened, repeats, response_breached, resolution_breached, same_day, fcr,
               opened, finished FROM c
        UNION ALL
        SELECT day, kind, category_id, channel, -created, -resolved, -closed, -cancelled,
               -reopened, -repeats, -response_breached, -resolution_breached, -same_day,
               -fcr, -opened, -finished FROM ticket_day_kind) x
 GROUP BY day, kind, category_id, channel
HAVING ROW(sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
           sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
           sum(fcr), sum(opened), sum(finished))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
day_staff AS (
INSERT INTO rollup_fix (target, day, group_name, agent_id, kind, created, resolved, closed,
    cancelled, reopened, repeats, response_breached, resolution_breached, same_day, fcr,
    opened, finished)
SELECT 'ticket_day_staff', day, group_name, agent_id, kind, sum(created), sum(resolved),
       sum(closed), sum(cancelled), sum(reopened), sum(repeats), sum(response_breached),
       sum(resolution_breached), sum(same_day), sum(fcr), sum(opened), sum(finished)
  FROM (SELECT day, group_name, agent_id, kind, created, resolved, closed, cancelled,
               reopened, repeats, response_breached, resolution_breached, same_day, fcr,
               opened, finished FROM c
        UNION ALL
        SELECT day, group_name, agent_id, kind, -created, -resolved, -closed, -cancelled,
               -reopened, -repeats, -response_breached, -resolution_breached, -same_day,
               -fcr, -opened, -finished FROM ticket_day_staff) x
 GROUP BY day, group_name, agent_id, kind
HAVING ROW(sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
           sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
           sum(fcr), sum(opened), sum(finished))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
month AS (
INSERT INTO rollup_fix (target, day, kind, category_id, channel, group_name, agent_id,
    created, resolved, closed, cancelled, reopened, repeats, response_breached,
    resolution_breached, same_day, fcr, opened, finished)
SELECT 'ticket_month', month, kind, category_id, channel, group_name, agent_id,
       sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
       sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
       sum(fcr), sum(opened), sum(finished)
  FROM (SELECT date_trunc('month', day::timestamp)::date AS month, kind, category_id,
               channel, group_name, agent_id, created, resolved, closed, cancelled,
               reopened, repeats, response_breached, resolution_breached, same_day, fcr,
               opened, finished FROM c
        UNION ALL
        SELECT month, kind, category_id, channel, group_name, agent_id, -created,
               -resolved, -closed, -cancelled, -reopened, -repeats, -response_breached,
               -resolution_breached, -same_day, -fcr, -opened, -finished
          FROM ticket_month) x
 GROUP BY month, kind, category_id, channel, group_name, agent_id
HAVING ROW(sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
           sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
           sum(fcr), sum(opened), sum(finished))
       <> ROW(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
time_day AS (
INSERT INTO rollup_fix (target, day, kind, group_name, measure, bucket, n, seconds)
SELECT 'ticket_time_day', day, kind, group_name, measure, bucket, sum(n), sum(seconds)
  FROM (SELECT day, kind, group_name, measure, bucket, 1 AS n, seconds FROM t
        UNION ALL
        SELECT day, kind, group_name, measure, bucket, -n, -seconds FROM ticket_time_day) x
 GROUP BY day, kind, group_name, measure, bucket
HAVING ROW(sum(n), sum(seconds)) <> ROW(0, 0)
RETURNING 1)
SELECT (SELECT count(*) FROM narrow) + (SELECT count(*) FROM narrow_group)
       + (SELECT count(*) FROM day_kind) + (SELECT count(*) FROM day_staff)
       + (SELECT count(*) FROM month) + (SELECT count(*) FROM time_day) AS fixes
"""
# A batch of one rollup's corrections added, taken out of rollup_fix; rows in key order
# (the order of Python's sorted keys, as a live event's deltas: COLLATE "C").
APPLY_DAY = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_day' ORDER BY id LIMIT %s) RETURNING *) INSERT INTO "
    "ticket_day (day, kind, created, resolved, closed, cancelled, reopened, "
    "repeats, response_breached, resolution_breached, same_day, fcr, opened, "
    "finished) SELECT day, kind, created, resolved, closed, cancelled, reopened, "
    "repeats, response_breached, resolution_breached, same_day, fcr, opened, "
    'finished FROM batch ORDER BY day, kind COLLATE "C" ON CONFLICT (day, kind) DO '
    "UPDATE SET created = ticket_day.created + excluded.created, resolved = "
    "ticket_day.resolved + excluded.resolved, closed = ticket_day.closed + "
    "excluded.closed, cancelled = ticket_day.cancelled + excluded.cancelled, "
    "reopened = ticket_day.reopened + excluded.reopened, repeats = "
    "ticket_day.repeats + excluded.repeats, response_breached = "
    "ticket_day.response_breached + excluded.response_breached, resolution_breached"
    " = ticket_day.resolution_breached + excluded.resolution_breached, same_day = "
    "ticket_day.same_day + excluded.same_day, fcr = ticket_day.fcr + excluded.fcr, "
    "opened = ticket_day.opened + excluded.opened, finished = ticket_day.finished +"
    " excluded.finished")
APPLY_DAY_GROUP = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_day_group' ORDER BY id LIMIT %s) RETURNING *) INSERT "
    "INTO ticket_day_group (day, group_name, kind, created, resolved, closed, "
    "cancelled, reopened, repeats, response_breached, resolution_breached, "
    "same_day, fcr, opened, finished) SELECT day, group_name, kind, created, "
    "resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished FROM batch ORDER BY day, "
    'group_name COLLATE "C", kind COLLATE "C" ON CONFLICT (day, group_name, kind) '
    "DO UPDATE SET created = ticket_day_group.created + excluded.created, resolved "
    "= ticket_day_group.resolved + excluded.resolved, closed = "
    "ticket_day_group.closed + excluded.closed, cancelled = "
    "ticket_day_group.cancelled + excluded.cancelled, reopened = "
    "ticket_day_group.reopened + excluded.reopened, repeats = "
    "ticket_day_group.repeats + excluded.repeats, response_breached = "
    "ticket_day_group.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_group.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_group.same_day + "
    "excluded.same_day, fcr = ticket_day_group.fcr + excluded.fcr, opened = "
    "ticket_day_group.opened + excluded.opened, finished = "
    "ticket_day_group.finished + excluded.finished")
APPLY_DAY_KIND = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_day_kind' ORDER BY id LIMIT %s) RETURNING *) INSERT "
    "INTO ticket_day_kind (day, kind, category_id, channel, created, resolved, "
    "closed, cancelled, reopened, repeats, response_breached, resolution_breached, "
    "same_day, fcr, opened, finished) SELECT day, kind, category_id, channel, "
    "created, resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished FROM batch ORDER BY day, "
    'kind COLLATE "C", category_id COLLATE "C", channel COLLATE "C" ON CONFLICT '
    "(day, kind, category_id, channel) DO UPDATE SET created = "
    "ticket_day_kind.created + excluded.created, resolved = "
    "ticket_day_kind.resolved + excluded.resolved, closed = ticket_day_kind.closed "
    "+ excluded.closed, cancelled = ticket_day_kind.cancelled + excluded.cancelled, "
    "reopened = ticket_day_kind.reopened + excluded.reopened, repeats = "
    "ticket_day_kind.repeats + excluded.repeats, response_breached = "
    "ticket_day_kind.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_kind.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_kind.same_day + "
    "excluded.same_day, fcr = ticket_day_kind.fcr + excluded.fcr, opened = "
    "ticket_day_kind.opened + excluded.opened, finished = ticket_day_kind.finished "
    "+ excluded.finished")
APPLY_DAY_STAFF = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_day_staff' ORDER BY id LIMIT %s) RETURNING *) INSERT "
    "INTO ticket_day_staff (day, group_name, agent_id, kind, created, resolved, "
    "closed, cancelled, reopened, repeats, response_breached, resolution_breached, "
    "same_day, fcr, opened, finished) SELECT day, group_name, agent_id, kind, "
    "created, resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished FROM batch ORDER BY day, "
    'group_name COLLATE "C", agent_id COLLATE "C", kind COLLATE "C" ON CONFLICT '
    "(day, group_name, agent_id, kind) DO UPDATE SET created = "
    "ticket_day_staff.created + excluded.created, resolved = "
    "ticket_day_staff.resolved + excluded.resolved, closed = "
    "ticket_day_staff.closed + excluded.closed, cancelled = "
    "ticket_day_staff.cancelled + excluded.cancelled, reopened = "
    "ticket_day_staff.reopened + excluded.reopened, repeats = "
    "ticket_day_staff.repeats + excluded.repeats, response_breached = "
    "ticket_day_staff.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_day_staff.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_day_staff.same_day + "
    "excluded.same_day, fcr = ticket_day_staff.fcr + excluded.fcr, opened = "
    "ticket_day_staff.opened + excluded.opened, finished = "
    "ticket_day_staff.finished + excluded.finished")
APPLY_MONTH = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_month' ORDER BY id LIMIT %s) RETURNING *) INSERT INTO "
    "ticket_month (month, kind, category_id, channel, group_name, agent_id, "
    "created, resolved, closed, cancelled, reopened, repeats, response_breached, "
    "resolution_breached, same_day, fcr, opened, finished) SELECT day, kind, "
    "category_id, channel, group_name, agent_id, created, resolved, closed, "
    "cancelled, reopened, repeats, response_breached, resolution_breached, "
    'same_day, fcr, opened, finished FROM batch ORDER BY day, kind COLLATE "C", '
    'category_id COLLATE "C", channel COLLATE "C", group_name COLLATE "C", agent_id '
    'COLLATE "C" ON CONFLICT (month, kind, category_id, channel, group_name, '
    "agent_id) DO UPDATE SET created = ticket_month.created + excluded.created, "
    "resolved = ticket_month.resolved + excluded.resolved, closed = "
    "ticket_month.closed + excluded.closed, cancelled = ticket_month.cancelled + "
    "excluded.cancelled, reopened = ticket_month.reopened + excluded.reopened, "
    "repeats = ticket_month.repeats + excluded.repeats, response_breached = "
    "ticket_month.response_breached + excluded.response_breached, "
    "resolution_breached = ticket_month.resolution_breached + "
    "excluded.resolution_breached, same_day = ticket_month.same_day + "
    "excluded.same_day, fcr = ticket_month.fcr + excluded.fcr, opened = "
    "ticket_month.opened + excluded.opened, finished = ticket_month.finished + "
    "excluded.finished")
APPLY_TIME_DAY = (
    "WITH batch AS (DELETE FROM rollup_fix WHERE id IN (SELECT id FROM rollup_fix "
    "WHERE target = 'ticket_time_day' ORDER BY id LIMIT %s) RETURNING *) INSERT "
    "INTO ticket_time_day (day, kind, group_name, measure, bucket, n, seconds) "
    "SELECT day, kind, group_name, measure, bucket, n, seconds FROM batch ORDER BY "
    'day, kind COLLATE "C", group_name COLLATE "C", measure COLLATE "C", bucket ON '
    "CONFLICT (day, kind, group_name, measure, bucket) DO UPDATE SET n = "
    "ticket_time_day.n + excluded.n, seconds = ticket_time_day.seconds + "
    "excluded.seconds")
APPLY = {"ticket_day": APPLY_DAY, "ticket_day_group": APPLY_DAY_GROUP,
         "ticket_day_kind": APPLY_DAY_KIND, "ticket_day_staff": APPLY_DAY_STAFF,
         "ticket_month": APPLY_MONTH, "ticket_time_day": APPLY_TIME_DAY}


def remove_stale(cur, generation: int) -> int:
    """Facts older than `generation` (the owner no longer has them) and their links go;
    how many.  (Their contributions go with the correction.)"""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(REMOVE_STALE, (generation,))
    return cur.fetchone()["removed"]


def compute_corrections(cur) -> int:
    """Each rollup's difference to the facts summed, into rollup_fix (what was there
    before: dropped); the rows.  One statement: one snapshot of facts and rollups."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(CLEAR_FIX)
    cur.execute(CORRECTIONS)
    return cur.fetchone()["fixes"]


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of `table` added to it (and out of rollup_fix); how many."""
    cur.execute(APPLY[table], (limit,))
    return cur.rowcount

def rollup_rows(cur, table: str) -> list:
    """Every row of a rollup with a counter not zero (tests and the check compare them)."""
    cur.execute(ROLLUP_ROWS[table])
    return cur.fetchall()


ROLLUP_ROWS = {
    "ticket_day": "SELECT * FROM ticket_day WHERE created <> 0 OR resolved <> 0"
                  " OR closed <> 0 OR cancelled <> 0 OR reopened <> 0 OR repeats <> 0"
                  " OR response_breached <> 0 OR resolution_breached <> 0"
                  " OR same_day <> 0 OR fcr <> 0 OR opened <> 0 OR finished <> 0",
    "ticket_day_group": "SELECT * FROM ticket_day_group WHERE created <> 0 OR resolved <> 0"
                        " OR closed <> 0 OR cancelled <> 0 OR reopened <> 0 OR repeats <> 0"
                        " OR response_breached <> 0 OR resolution_breached <> 0"
                        " OR same_day <> 0 OR fcr <> 0 OR opened <> 0 OR finished <> 0",
    "ticket_day_kind": "SELECT * FROM ticket_day_kind WHERE created <> 0 OR resolved <> 0"
                       " OR closed <> 0 OR cancelled <> 0 OR reopened <> 0 OR repeats <> 0"
                       " OR response_breached <> 0 OR resolution_breached <> 0"
                       " OR same_day <> 0 OR fcr <> 0 OR opened <> 0 OR finished <> 0",
    "ticket_day_staff": "SELECT * FROM ticket_day_staff WHERE created <> 0 OR resolved <> 0"
                        " OR closed <> 0 OR cancelled <> 0 OR reopened <> 0 OR repeats <> 0"
                        " OR response_breached <> 0 OR resolution_breached <> 0"
                        " OR same_day <> 0 OR fcr <> 0 OR opened <> 0 OR finished <> 0",
    "ticket_month": "SELECT * FROM ticket_month WHERE created <> 0 OR resolved <> 0"
                    " OR closed <> 0 OR cancelled <> 0 OR reopened <> 0 OR repeats <> 0"
                    " OR response_breached <> 0 OR resolution_breached <> 0"
                    " OR same_day <> 0 OR fcr <> 0 OR opened <> 0 OR finished <> 0",
    "ticket_time_day": "SELECT * FROM ticket_time_day WHERE n <> 0 OR seconds <> 0",
}
