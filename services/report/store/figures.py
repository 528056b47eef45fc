"""All SQL of the ticket figures as read (R2): counters by period and the chosen
dimensions from one rollup, the time histograms, the backlog, the owner's check and
the daily count of created tickets."""
from services.common.db import tuple_cursor

DAY_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       NULL::text AS category_id, NULL::text AS channel,
       NULL::text AS group_name, NULL::text AS agent_id,
       sum(r.created)::int AS created,
       sum(r.resolved)::int AS resolved,
       sum(r.closed)::int AS closed,
       sum(r.cancelled)::int AS cancelled,
       sum(r.reopened)::int AS reopened,
       sum(r.repeats)::int AS repeats,
       sum(r.response_breached)::int AS response_breached,
       sum(r.resolution_breached)::int AS resolution_breached,
       sum(r.same_day)::int AS same_day,
       sum(r.fcr)::int AS fcr,
       sum(r.opened)::int AS opened,
       sum(r.finished)::int AS finished
  FROM ticket_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
 GROUP BY 1, 2, 3, 4, 5, 6
"""
DAY_GROUP_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       NULL::text AS category_id, NULL::text AS channel,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       NULL::text AS agent_id,
       sum(r.created)::int AS created,
       sum(r.resolved)::int AS resolved,
       sum(r.closed)::int AS closed,
       sum(r.cancelled)::int AS cancelled,
       sum(r.reopened)::int AS reopened,
       sum(r.repeats)::int AS repeats,
       sum(r.response_breached)::int AS response_breached,
       sum(r.resolution_breached)::int AS resolution_breached,
       sum(r.same_day)::int AS same_day,
       sum(r.fcr)::int AS fcr,
       sum(r.opened)::int AS opened,
       sum(r.finished)::int AS finished
  FROM ticket_day_group r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5, 6
"""
DAY_KIND_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       CASE WHEN %(by_category)s THEN r.category_id END AS category_id,
       CASE WHEN %(by_channel)s THEN r.channel END AS channel,
       NULL::text AS group_name, NULL::text AS agent_id,
       sum(r.created)::int AS created,
       sum(r.resolved)::int AS resolved,
       sum(r.closed)::int AS closed,
       sum(r.cancelled)::int AS cancelled,
       sum(r.reopened)::int AS reopened,
       sum(r.repeats)::int AS repeats,
       sum(r.response_breached)::int AS response_breached,
       sum(r.resolution_breached)::int AS resolution_breached,
       sum(r.same_day)::int AS same_day,
       sum(r.fcr)::int AS fcr,
       sum(r.opened)::int AS opened,
       sum(r.finished)::int AS finished
  FROM ticket_day_kind r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
   AND (%(category_id)s::text IS NULL OR r.category_id = %(category_id)s)
   AND (%(channel)s::text IS NULL OR r.channel = %(channel)s)
 GROUP BY 1, 2, 3, 4, 5, 6
"""
DAY_STAFF_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       NULL::text AS category_id, NULL::text AS channel,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       sum(r.created)::int AS created,
       sum(r.resolved)::int AS resolved,
       sum(r.closed)::int AS closed,
       sum(r.cancelled)::int AS cancelled,
       sum(r.reopened)::int AS reopened,
       sum(r.repeats)::int AS repeats,
       sum(r.response_breached)::int AS response_breached,
       sum(r.resolution_breached)::int AS resolution_breached,
       sum(r.same_day)::int AS same_day,
       sum(r.fcr)::int AS fcr,
       sum(r.opened)::int AS opened,
       sum(r.finished)::int AS finished
  FROM ticket_day_staff r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5, 6
"""
MONTH_COUNTS = """
SELECT r.month AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       CASE WHEN %(by_category)s THEN r.category_id END AS category_id,
       CASE WHEN %(by_channel)s THEN r.channel END AS channel,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       sum(r.created)::int AS created,
       sum(r.resolved)::int AS resolved,
       sum(r.closed)::int AS closed,
       sum(r.cancelled)::int AS cancelled,
       sum(r.reopened)::int AS reopened,
       sum(r.repeats)::int AS repeats,
       sum(r.response_breached)::int AS response_breached,
       sum(r.resolution_breached)::int AS resolution_breached,
       sum(r.same_day)::int AS same_day,
       sum(r.fcr)::int AS fcr,
       sum(r.opened)::int AS opened,
       sum(r.finished)::int AS finished
  FROM ticket_month r
 WHERE r.month BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
   AND (%(category_id)s::text IS NULL OR r.category_id = %(category_id)s)
   AND (%(channel)s::text IS NULL OR r.channel = %(channel)s)
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5, 6
"""
COUNTS = {"ticket_day": DAY_COUNTS, "ticket_day_group": DAY_GROUP_COUNTS,
          "ticket_day_kind": DAY_KIND_COUNTS, "ticket_day_staff": DAY_STAFF_COUNTS,
          "ticket_month": MONTH_COUNTS}

# The same counts as one row per key group, each counter an array over the key's
# periods (only the counters asked: the others NULL, never built) — the `columns`
# layout read without a row per point (P6: thousands of points per answer).  The
# arrays of one key are built from the same rows in the same order (period order as
# the inner ORDER BY hands them; the reader does not rely on it).
_PER_KEY_HEAD = """
SELECT c.kind, c.category_id, c.channel, c.group_name, c.agent_id,
       array_agg(c.period) AS periods,
       array_agg(c.created) FILTER (WHERE %(m_created)s) AS created,
       array_agg(c.resolved) FILTER (WHERE %(m_resolved)s) AS resolved,
       array_agg(c.closed) FILTER (WHERE %(m_closed)s) AS closed,
       array_agg(c.cancelled) FILTER (WHERE %(m_cancelled)s) AS cancelled,
       array_agg(c.reopened) FILTER (WHERE %(m_reopened)s) AS reopened,
       array_agg(c.repeats) FILTER (WHERE %(m_repeats)s) AS repeats,
       array_agg(c.response_breached) FILTER (WHERE %(m_response_breached)s) AS response_breached,
       array_agg(c.resolution_breached) FILTER (WHERE %(m_resolution_breached)s) AS resolution_breached,
       array_agg(c.same_day) FILTER (WHERE %(m_same_day)s) AS same_day,
       array_agg(c.fcr) FILTER (WHERE %(m_fcr)s) AS fcr,
       array_agg(c.opened) FILTER (WHERE %(m_opened)s) AS opened,
       array_agg(c.finished) FILTER (WHERE %(m_finished)s) AS finished
  FROM ("""
_PER_KEY_TAIL = """) c
 GROUP BY c.kind, c.category_id, c.channel, c.group_name, c.agent_id
"""
COUNTS_PER_KEY = {table: _PER_KEY_HEAD + query + _PER_KEY_TAIL for table, query in COUNTS.items()}

TIME_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_kind)s THEN r.kind END AS kind,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       r.measure, r.bucket,
       sum(r.n)::int AS n,
       sum(r.seconds)::bigint AS seconds
  FROM ticket_time_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5
"""

FILTER_FIELDS = ("kind", "category_id", "channel", "group_name", "agent_id")
DIMENSIONS = ("kind", "category", "channel", "group", "agent")


def _params(by, period: str, first, last, filters: dict, groups) -> dict:
    return {"period": period, "from_day": first, "to_day": last,
            **{f"by_{d}": d in by for d in DIMENSIONS},
            **{f: filters.get(f) for f in FILTER_FIELDS},
            "groups": list(groups) if groups is not None else None}


def counts(cur, table: str, by, period: str, first, last, filters: dict, groups) -> list:
    """Counters per (period's first day, the chosen dimensions; None where not grouped)
    summed from `table` (a key of COUNTS) over the days
    (months) from `first` to `last`; `groups`: only those groups' tickets."""
    return _dicts(cur, COUNTS[table], _params(by, period, first, last, filters, groups))


def counts_per_key(cur, table: str, by, period: str, first, last, filters: dict, groups,
                   measures) -> list:
    """`counts` as one row per key group: its fields, `periods` (the periods it has rows
    for, in order) and each counter of `measures` (none: all) as an array over them."""
    asked = set(measures)
    params = {**_params(by, period, first, last, filters, groups),
              **{f"m_{c}": not asked or c in asked for c in COUNTERS_ORDER}}
    return _dicts(cur, COUNTS_PER_KEY[table], params)


COUNTERS_ORDER = ("created", "resolved", "closed", "cancelled", "reopened", "repeats",
                  "response_breached", "resolution_breached", "same_day", "fcr", "opened",
                  "finished")


def times(cur, by, period: str, first, last, filters: dict, groups) -> list:
    """Histogram rows (period, kind, group_name, measure, bucket, n, seconds)."""
    return _dicts(cur, TIME_COUNTS, _params(by, period, first, last, filters, groups))


def _dicts(cur, query: str, params: dict) -> list[dict]:
    """The rows as plain dicts, read through a tuple cursor: thousands of rows of 18
    columns, where the dict cursor's per-column Python was most of an answer (P6)."""
    with tuple_cursor(cur) as plain:
        plain.execute(query, params)
        names = [d[0] for d in plain.description]
        return [dict(zip(names, row, strict=True)) for row in plain.fetchall()]


# -- the backlog: opened − finished, before the range and per day within it ---------------
BACKLOG_DAY = (
    "SELECT CASE WHEN r.day < %(from_day)s THEN NULL ELSE r.day END AS day,"
    " CASE WHEN %(by_kind)s THEN r.kind END AS kind, NULL::text AS group_name,"
    " sum(r.opened - r.finished)::int AS change"
    " FROM ticket_day r WHERE r.day <= %(to_day)s"
    " AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)"
    " GROUP BY 1, 2, 3")
BACKLOG_DAY_GROUP = (
    "SELECT CASE WHEN r.day < %(from_day)s THEN NULL ELSE r.day END AS day,"
    " CASE WHEN %(by_kind)s THEN r.kind END AS kind,"
    " CASE WHEN %(by_group)s THEN r.group_name END AS group_name,"
    " sum(r.opened - r.finished)::int AS change"
    " FROM ticket_day_group r WHERE r.day <= %(to_day)s"
    " AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)"
    " AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)"
    " AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))"
    " GROUP BY 1, 2, 3")
BACKLOG_DAY_KIND = (
    "SELECT CASE WHEN r.day < %(from_day)s THEN NULL ELSE r.day END AS day,"
    " CASE WHEN %(by_kind)s THEN r.kind END AS kind, NULL::text AS group_name,"
    " sum(r.opened - r.finished)::int AS change"
    " FROM ticket_day_kind r WHERE r.day <= %(to_day)s"
    " AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)"
    " GROUP BY 1, 2, 3")
BACKLOG_DAY_STAFF = (
    "SELECT CASE WHEN r.day < %(from_day)s THEN NULL ELSE r.day END AS day,"
    " CASE WHEN %(by_kind)s THEN r.kind END AS kind,"
    " CASE WHEN %(by_group)s THEN r.group_name END AS group_name,"
    " sum(r.opened - r.finished)::int AS change"
    " FROM ticket_day_staff r WHERE r.day <= %(to_day)s"
    " AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)"
    " AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)"
    " AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)"
    " AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))"
    " GROUP BY 1, 2, 3")
BACKLOG = {"ticket_day": BACKLOG_DAY, "ticket_day_group": BACKLOG_DAY_GROUP,
           "ticket_day_kind": BACKLOG_DAY_KIND, "ticket_day_staff": BACKLOG_DAY_STAFF}


def backlog_changes(cur, table: str, by, first, last, filters: dict, groups) -> list:
    """(day — None: before `first` —, kind, group_name, change) rows."""
    return _dicts(cur, BACKLOG[table], _params(by, "day", first, last, filters, groups))


def agent_in_groups(cur, agent_id: str, groups: list) -> bool:
    """Whether the agent has any ticket (assigned, on any day) in one of these groups."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM ticket_day_staff WHERE agent_id = %s"
                " AND group_name = ANY (%s::text[])) AS x", (agent_id, list(groups)))
    return cur.fetchone()["x"]


# -- the check against the owner, and the daily count -------------------------------------
def day_kind_sums(cur, first, last) -> list:
    """Per day and kind: the counters the owner also counts, from ticket_day_kind."""
    cur.execute(DAY_SUMS_FROM_DAY_KIND, (first, last))
    return cur.fetchall()


def day_sums(cur, first, last) -> list:
    """The same from the narrow ticket_day (it must agree with the owner too)."""
    cur.execute(DAY_SUMS_FROM_DAY, (first, last))
    return cur.fetchall()


DAY_SUMS_FROM_DAY_KIND = (
    "SELECT day, kind, sum(created)::int AS created, sum(resolved)::int AS resolved,"
    " sum(closed)::int AS closed, sum(cancelled)::int AS cancelled,"
    " sum(reopened)::int AS reopened_tickets, sum(repeats)::int AS repeats,"
    " sum(response_breached)::int AS response_breached,"
    " sum(resolution_breached)::int AS resolution_breached"
    " FROM ticket_day_kind WHERE day BETWEEN %s AND %s GROUP BY day, kind"
    " ORDER BY day, kind")
DAY_SUMS_FROM_DAY = (
    "SELECT day, kind, created, resolved, closed, cancelled, reopened AS reopened_tickets,"
    " repeats, response_breached, resolution_breached"
    " FROM ticket_day WHERE day BETWEEN %s AND %s ORDER BY day, kind")


def created_per_day(cur, first, last) -> list:
    """Tickets created per day and kind (days with none left out)."""
    cur.execute(
        "SELECT day, kind, created AS count FROM ticket_day"
        " WHERE day BETWEEN %s AND %s AND created <> 0"
        " ORDER BY day, kind", (first, last))
    return cur.fetchall()
