"""All SQL of the ticket figures as read (R2): counters by period and the chosen
dimensions from one rollup, the time histograms, the backlog, the owner's check and
the daily count of created tickets."""
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
COUNTS = {"ticket_day_kind": DAY_KIND_COUNTS, "ticket_day_staff": DAY_STAFF_COUNTS,
          "ticket_month": MONTH_COUNTS}

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
    summed from `table` (ticket_day_kind, ticket_day_staff or ticket_month) over the days
    (months) from `first` to `last`; `groups`: only those groups' tickets."""
    cur.execute(COUNTS[table], _params(by, period, first, last, filters, groups))
    return cur.fetchall()


def times(cur, by, period: str, first, last, filters: dict, groups) -> list:
    """Histogram rows (period, kind, group_name, measure, bucket, n, seconds)."""
    cur.execute(TIME_COUNTS, _params(by, period, first, last, filters, groups))
    return cur.fetchall()


# -- the backlog: opened − finished, before the range and per day within it ---------------
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
BACKLOG = {"ticket_day_kind": BACKLOG_DAY_KIND, "ticket_day_staff": BACKLOG_DAY_STAFF}


def backlog_changes(cur, table: str, by, first, last, filters: dict, groups) -> list:
    """(day — None: before `first` —, kind, group_name, change) rows."""
    cur.execute(BACKLOG[table], _params(by, "day", first, last, filters, groups))
    return cur.fetchall()


def agent_in_groups(cur, agent_id: str, groups: list) -> bool:
    """Whether the agent has any ticket (assigned, on any day) in one of these groups."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM ticket_day_staff WHERE agent_id = %s"
                " AND group_name = ANY (%s::text[])) AS x", (agent_id, list(groups)))
    return cur.fetchone()["x"]


# -- the check against the owner, and the daily count -------------------------------------
def day_kind_sums(cur, first, last) -> list:
    """Per day and kind: the counters the owner also counts."""
    cur.execute(
        "SELECT day, kind, sum(created)::int AS created, sum(resolved)::int AS resolved,"
        " sum(closed)::int AS closed, sum(cancelled)::int AS cancelled,"
        " sum(reopened)::int AS reopened_tickets, sum(repeats)::int AS repeats,"
        " sum(response_breached)::int AS response_breached,"
        " sum(resolution_breached)::int AS resolution_breached"
        " FROM ticket_day_kind WHERE day BETWEEN %s AND %s GROUP BY day, kind"
        " ORDER BY day, kind", (first, last))
    return cur.fetchall()


def created_per_day(cur, first, last) -> list:
    """Tickets created per day and kind (days with none left out)."""
    cur.execute(
        "SELECT day, kind, sum(created)::int AS count FROM ticket_day_kind"
        " WHERE day BETWEEN %s AND %s GROUP BY day, kind HAVING sum(created) <> 0"
        " ORDER BY day, kind", (first, last))
    return cur.fetchall()
