"""All SQL of field work 外勤 (migration 0007): the job facts, field_day's deltas, the
figures and the biggest customers as read, the rebuild's corrections and the check's
sums."""
from psycopg2.extras import execute_values

# a fact's columns in PUT_FACTS' order (domain/field.py FACT_FIELDS)
FACT_COLUMNS = ("dispatch_id", "ticket_id", "staff_id", "customer_id", "level",
                "dispatched_at", "window_end", "d_category", "handled_at", "minutes", "parts",
                "fee_fen", "paid", "h_category")


def lock_jobs(cur, keys: list[int]) -> None:
    """Hold these jobs' facts for this transaction (keys ascending, one statement)."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


_FACT = ("SELECT dispatch_id, ticket_id, staff_id, customer_id, level, dispatched_at,"
         " window_end, d_category, handled_at, minutes, parts, fee_fen, paid, h_category,"
         " generation FROM field_fact")


def facts_of(cur, dispatch_ids: list[str]) -> list:
    cur.execute(_FACT + " WHERE dispatch_id = ANY (%s::text[])", (dispatch_ids,))
    return cur.fetchall()


PUT_FACTS = """
INSERT INTO field_fact (dispatch_id, ticket_id, staff_id, customer_id, level,
    dispatched_at, window_end, d_category, handled_at, minutes, parts, fee_fen, paid,
    h_category, generation, applied_at)
VALUES %s
ON CONFLICT (dispatch_id) DO UPDATE SET ticket_id = excluded.ticket_id,
    staff_id = excluded.staff_id, customer_id = excluded.customer_id,
    level = excluded.level, dispatched_at = excluded.dispatched_at,
    window_end = excluded.window_end, d_category = excluded.d_category,
    handled_at = excluded.handled_at, minutes = excluded.minutes, parts = excluded.parts,
    fee_fen = excluded.fee_fen, paid = excluded.paid, h_category = excluded.h_category,
    generation = greatest(field_fact.generation, excluded.generation), applied_at = now()
"""


def put_facts(cur, facts: list[dict], generation: int) -> None:
    """Each job's fact as merged now (the caller holds the jobs' locks), stamped with
    `generation` (never lowered)."""
    if facts:
        execute_values(cur, PUT_FACTS, [(*(f[c] for c in FACT_COLUMNS), generation)
                                        for f in facts],
                       template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                                " %s, now())", page_size=1000)


ADD_FIELD_DAY = (
    "INSERT INTO field_day (day, staff_id, category_id, dispatched, handled, minutes,"
    " timed, parts, fee_fen, paid_fen, late) VALUES %s"
    " ON CONFLICT (day, staff_id, category_id) DO UPDATE SET"
    " dispatched = field_day.dispatched + excluded.dispatched,"
    " handled = field_day.handled + excluded.handled,"
    " minutes = field_day.minutes + excluded.minutes,"
    " timed = field_day.timed + excluded.timed,"
    " parts = field_day.parts + excluded.parts,"
    " fee_fen = field_day.fee_fen + excluded.fee_fen,"
    " paid_fen = field_day.paid_fen + excluded.paid_fen,"
    " late = field_day.late + excluded.late")


def add(cur, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to field_day, in the order given (the caller
    sorts by key; keys unique), in one statement."""
    if rows:
        execute_values(cur, ADD_FIELD_DAY, rows, page_size=1000)


# -- the figures as read -----------------------------------------------------------------
FIELD_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_staff)s THEN r.staff_id END AS staff_id,
       CASE WHEN %(by_category)s THEN r.category_id END AS category_id,
       sum(r.dispatched)::bigint AS dispatched, sum(r.handled)::bigint AS handled,
       sum(r.minutes)::bigint AS minutes, sum(r.timed)::bigint AS timed,
       sum(r.parts)::bigint AS parts, sum(r.fee_fen)::bigint AS fee_fen,
       sum(r.paid_fen)::bigint AS paid_fen, sum(r.late)::bigint AS late
  FROM field_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(staff_id)s::text IS NULL OR r.staff_id = %(staff_id)s)
   AND (%(category_id)s::text IS NULL OR r.category_id = %(category_id)s)
 GROUP BY 1, 2, 3
HAVING sum(r.dispatched) <> 0 OR sum(r.handled) <> 0
"""


def field_counts(cur, by, period: str, first, last, staff_id, category_id) -> list:
    """Sums per (period's first day, staff member, category; None where not grouped)."""
    cur.execute(FIELD_COUNTS, {"period": period, "from_day": first, "to_day": last,
                               "staff_id": staff_id, "category_id": category_id,
                               "by_staff": "staff" in by, "by_category": "category" in by})
    return cur.fetchall()


# The biggest customers: tickets accepted and field jobs sent in [start, end), each
# counted only when its level is within the reader's clearance; ranked by tickets, then
# jobs, then id.
TOP_CUSTOMERS = """
WITH tickets AS (
    SELECT customer_id, count(*) AS tickets FROM ticket_fact
     WHERE accepted_at >= %(start)s AND accepted_at < %(end)s
       AND level <= %(clearance)s AND customer_id <> ''
     GROUP BY customer_id),
jobs AS (
    SELECT customer_id, count(*) AS field_jobs FROM field_fact
     WHERE dispatched_at >= %(start)s AND dispatched_at < %(end)s
       AND level <= %(clearance)s AND customer_id <> ''
     GROUP BY customer_id)
SELECT customer_id, coalesce(tickets, 0)::bigint AS tickets,
       coalesce(field_jobs, 0)::bigint AS field_jobs
  FROM tickets FULL JOIN jobs USING (customer_id)
 ORDER BY 2 DESC, 3 DESC, customer_id COLLATE "C"
 LIMIT %(limit)s
"""


def top_customers(cur, start, end, clearance: int, limit: int) -> list:
    cur.execute(TOP_CUSTOMERS, {"start": start, "end": end, "clearance": clearance,
                                "limit": limit})
    return cur.fetchall()


# -- the check against the owner ------------------------------------------------------------
def day_sums(cur, first, last) -> list:
    """Per day: jobs dispatched, handled, and their fees in fen."""
    cur.execute("SELECT day, sum(dispatched)::bigint AS dispatched,"
                " sum(handled)::bigint AS handled, sum(fee_fen)::bigint AS fee_fen"
                " FROM field_day WHERE day BETWEEN %s AND %s GROUP BY day ORDER BY day",
                (first, last))
    return cur.fetchall()


# -- a rebuild's last steps: stale facts go, the rollup corrected (as store/facts.py) -----
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
REMOVE_STALE = ("WITH gone AS (DELETE FROM field_fact WHERE generation < %s RETURNING 1)"
                " SELECT count(*)::int AS removed FROM gone")
# Each fact's contribution in SQL (domain/field.py contribution): the dispatched day's
# and the handled day's rows.
CORRECTIONS = """
WITH facts AS (
    SELECT staff_id, handled_at, window_end, minutes, parts, fee_fen, paid, dispatched_at,
           coalesce(CASE WHEN dispatched_at IS NOT NULL THEN d_category
                         ELSE h_category END, '') AS category_id
      FROM field_fact),
made AS (
INSERT INTO field_rollup_fix (day, staff_id, category_id, dispatched, handled, minutes,
    timed, parts, fee_fen, paid_fen, late)
SELECT day, staff_id, category_id, sum(dispatched), sum(handled), sum(minutes),
       sum(timed), sum(parts), sum(fee_fen), sum(paid_fen), sum(late)
  FROM (SELECT (dispatched_at AT TIME ZONE 'Asia/Shanghai')::date AS day, staff_id,
               category_id, 1 AS dispatched, 0 AS handled, 0::bigint AS minutes,
               0 AS timed, 0::bigint AS parts, 0::bigint AS fee_fen, 0::bigint AS paid_fen,
               0 AS late
          FROM facts WHERE dispatched_at IS NOT NULL
        UNION ALL
        SELECT (handled_at AT TIME ZONE 'Asia/Shanghai')::date, staff_id, category_id, 0, 1,
               coalesce(minutes, 0), (minutes IS NOT NULL)::int, coalesce(parts, 0),
               coalesce(fee_fen, 0), CASE WHEN paid THEN coalesce(fee_fen, 0) ELSE 0 END,
               (window_end IS NOT NULL AND handled_at > window_end)::int
          FROM facts WHERE handled_at IS NOT NULL
        UNION ALL
        SELECT day, staff_id, category_id, -dispatched, -handled, -minutes, -timed, -parts,
               -fee_fen, -paid_fen, -late FROM field_day) x
 GROUP BY day, staff_id, category_id
HAVING ROW(sum(dispatched), sum(handled), sum(minutes), sum(timed), sum(parts),
           sum(fee_fen), sum(paid_fen), sum(late)) <> ROW(0, 0, 0, 0, 0, 0, 0, 0)
RETURNING 1)
SELECT count(*) AS fixes FROM made
"""
APPLY_FIELD_DAY = (
    "WITH batch AS (DELETE FROM field_rollup_fix WHERE id IN (SELECT id FROM"
    " field_rollup_fix ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO field_day (day, staff_id, category_id, dispatched, handled, minutes,"
    " timed, parts, fee_fen, paid_fen, late)"
    " SELECT day, staff_id, category_id, dispatched, handled, minutes, timed, parts,"
    " fee_fen, paid_fen, late FROM batch"
    ' ORDER BY day, staff_id COLLATE "C", category_id COLLATE "C"'
    " ON CONFLICT (day, staff_id, category_id) DO UPDATE SET"
    " dispatched = field_day.dispatched + excluded.dispatched,"
    " handled = field_day.handled + excluded.handled,"
    " minutes = field_day.minutes + excluded.minutes,"
    " timed = field_day.timed + excluded.timed,"
    " parts = field_day.parts + excluded.parts,"
    " fee_fen = field_day.fee_fen + excluded.fee_fen,"
    " paid_fen = field_day.paid_fen + excluded.paid_fen,"
    " late = field_day.late + excluded.late")


def remove_stale(cur, generation: int) -> int:
    """Job facts older than `generation` (the owner no longer has them) go; how many.
    (Their contributions go with the correction.)"""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(REMOVE_STALE, (generation,))
    return cur.fetchone()["removed"]


def compute_corrections(cur) -> int:
    """field_day's difference to the facts summed, into field_rollup_fix (what was
    there before: dropped); the rows.  One statement: one snapshot of facts and rollup."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM field_rollup_fix")
    cur.execute(CORRECTIONS)
    return cur.fetchone()["fixes"]


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of field_day added to it; how many."""
    cur.execute(APPLY_FIELD_DAY, (limit,))
    return cur.rowcount
