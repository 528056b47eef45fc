"""All SQL of the follow-up and satisfaction statistics (migration 0006): the follow-up
events seen, the task and answer facts, the rollups' deltas, the figures as read, the
rebuild's corrections and the check's sums."""
from psycopg2.extras import execute_values


def lock_tasks(cur, keys: list[int]) -> None:
    """Hold these tasks' facts for this transaction (keys ascending, one statement)."""
    if keys:
        cur.execute("SELECT count(pg_advisory_xact_lock(k)) FROM"
                    " (SELECT k FROM unnest(%s::bigint[]) k ORDER BY k) s", (keys,))


# -- the follow-up events seen, each (task, event) once ----------------------------------
def put_events(cur, events: list[dict]) -> int:
    """Store these follow-up events (the first copy of each (task, event) wins); how many
    were new."""
    if not events:
        return 0
    found = execute_values(
        cur, "INSERT INTO followup_fact_event (task_id, event, at, group_name, agent_id,"
        " due_at, outcome, was_missed) VALUES %s ON CONFLICT (task_id, event) DO NOTHING"
        " RETURNING 1",
        [(e["task_id"], e["event"], e["at"], e["group_name"], e["agent_id"], e["due_at"],
          e["outcome"], e["was_missed"]) for e in events], fetch=True, page_size=1000)
    return len(found)


def events_of(cur, task_ids: list[str]) -> list:
    cur.execute("SELECT task_id, event, at, group_name, agent_id, due_at, outcome,"
                " was_missed FROM followup_fact_event WHERE task_id = ANY (%s::text[])"
                " ORDER BY task_id, event", (task_ids,))
    return cur.fetchall()


def tasks_of(cur, task_ids: list[str]) -> list:
    cur.execute("SELECT task_id, group_name, agent_id, created_day, due_day, done_day,"
                " missed_day, reached, unreachable, on_time, generation FROM followup_fact"
                " WHERE task_id = ANY (%s::text[])", (task_ids,))
    return cur.fetchall()


PUT_TASKS = """
INSERT INTO followup_fact (task_id, group_name, agent_id, created_day, due_day, done_day,
    missed_day, reached, unreachable, on_time, generation, applied_at)
VALUES %s
ON CONFLICT (task_id) DO UPDATE SET group_name = excluded.group_name,
    agent_id = excluded.agent_id, created_day = excluded.created_day,
    due_day = excluded.due_day, done_day = excluded.done_day,
    missed_day = excluded.missed_day, reached = excluded.reached,
    unreachable = excluded.unreachable, on_time = excluded.on_time,
    generation = greatest(followup_fact.generation, excluded.generation), applied_at = now()
"""
_TASK_COLUMNS = ("task_id", "group_name", "agent_id", "created_day", "due_day", "done_day",
                 "missed_day", "reached", "unreachable", "on_time")


def put_tasks(cur, facts: list[dict], generation: int) -> None:
    """Each task's fact as merged now (the caller holds the tasks' locks), stamped with
    `generation` (never lowered)."""
    if facts:
        execute_values(cur, PUT_TASKS, [(*(f[c] for c in _TASK_COLUMNS), generation)
                                        for f in facts],
                       template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                       page_size=1000)


def stamp_tasks(cur, task_ids: list[str], generation: int) -> None:
    cur.execute("UPDATE followup_fact SET generation = %s WHERE task_id = ANY (%s::text[])"
                " AND generation < %s", (generation, task_ids, generation))


PUT_ANSWERS = """
INSERT INTO answer_fact (answer_id, day, agent_id, group_name, ticket_kind, source, answers,
    csat_answers, satisfied, nps_answers, promoters, detractors, generation, applied_at)
VALUES %s
ON CONFLICT (answer_id) DO UPDATE SET
    generation = greatest(answer_fact.generation, excluded.generation)
RETURNING answer_id, (xmax = 0) AS inserted
"""
_ANSWER_COLUMNS = ("answer_id", "day", "agent_id", "group_name", "ticket_kind", "source",
                   "answers", "csat_answers", "satisfied", "nps_answers", "promoters",
                   "detractors")


def put_answers(cur, facts: list[dict], generation: int) -> set[str]:
    """Each answer's fact kept (one already kept: only stamped — answers are counted as
    told); the ids that were new."""
    if not facts:
        return set()
    found = execute_values(cur, PUT_ANSWERS,
                           [(*(f[c] for c in _ANSWER_COLUMNS), generation) for f in facts],
                           template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                                    " now())", page_size=1000, fetch=True)
    return {r["answer_id"] for r in found if r["inserted"]}


# -- deltas: one statement per rollup, rows in key order -----------------------------------
ADD_FOLLOWUP_DAY = (
    "INSERT INTO followup_day (day, group_name, agent_id, created, due, done, reached,"
    " unreachable, missed, on_time) VALUES %s"
    " ON CONFLICT (day, group_name, agent_id) DO UPDATE SET"
    " created = followup_day.created + excluded.created,"
    " due = followup_day.due + excluded.due,"
    " done = followup_day.done + excluded.done,"
    " reached = followup_day.reached + excluded.reached,"
    " unreachable = followup_day.unreachable + excluded.unreachable,"
    " missed = followup_day.missed + excluded.missed,"
    " on_time = followup_day.on_time + excluded.on_time")
ADD_ANSWER_DAY = (
    "INSERT INTO answer_day (day, agent_id, group_name, ticket_kind, source, answers,"
    " csat_answers, satisfied, nps_answers, promoters, detractors) VALUES %s"
    " ON CONFLICT (day, agent_id, group_name, ticket_kind, source) DO UPDATE SET"
    " answers = answer_day.answers + excluded.answers,"
    " csat_answers = answer_day.csat_answers + excluded.csat_answers,"
    " satisfied = answer_day.satisfied + excluded.satisfied,"
    " nps_answers = answer_day.nps_answers + excluded.nps_answers,"
    " promoters = answer_day.promoters + excluded.promoters,"
    " detractors = answer_day.detractors + excluded.detractors")
ADD = {"followup_day": ADD_FOLLOWUP_DAY, "answer_day": ADD_ANSWER_DAY}


def add(cur, table: str, rows: list[tuple]) -> None:
    """Add each (key..., counters...) row to `table` in the order given (key order)."""
    if rows:
        execute_values(cur, ADD[table], rows, page_size=1000)


# -- the figures as read -----------------------------------------------------------------
FOLLOWUP_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       sum(r.created)::int AS created, sum(r.due)::int AS due, sum(r.done)::int AS done,
       sum(r.reached)::int AS reached, sum(r.unreachable)::int AS unreachable,
       sum(r.missed)::int AS missed, sum(r.on_time)::int AS on_time
  FROM followup_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3
HAVING sum(r.created) <> 0 OR sum(r.due) <> 0 OR sum(r.done) <> 0 OR sum(r.missed) <> 0
"""
ANSWER_COUNTS = """
SELECT CASE %(period)s WHEN 'day' THEN r.day
            WHEN 'week' THEN date_trunc('week', r.day::timestamp)::date
            ELSE date_trunc('month', r.day::timestamp)::date END AS period,
       CASE WHEN %(by_agent)s THEN r.agent_id END AS agent_id,
       CASE WHEN %(by_group)s THEN r.group_name END AS group_name,
       CASE WHEN %(by_kind)s THEN r.ticket_kind END AS ticket_kind,
       CASE WHEN %(by_source)s THEN r.source END AS source,
       sum(r.answers)::int AS answers, sum(r.csat_answers)::int AS csat_answers,
       sum(r.satisfied)::int AS satisfied, sum(r.nps_answers)::int AS nps_answers,
       sum(r.promoters)::int AS promoters, sum(r.detractors)::int AS detractors
  FROM answer_day r
 WHERE r.day BETWEEN %(from_day)s AND %(to_day)s
   AND (%(group_name)s::text IS NULL OR r.group_name = %(group_name)s)
   AND (%(agent_id)s::text IS NULL OR r.agent_id = %(agent_id)s)
   AND (%(ticket_kind)s::text IS NULL OR r.ticket_kind = %(ticket_kind)s)
   AND (%(source)s::text IS NULL OR r.source = %(source)s)
   AND (%(groups)s::text[] IS NULL OR r.group_name = ANY (%(groups)s::text[]))
 GROUP BY 1, 2, 3, 4, 5
HAVING sum(r.answers) <> 0
"""


def followup_counts(cur, by, period: str, first, last, filters: dict,
                    groups: list | None) -> list:
    """Follow-up sums per (period's first day, group, agent; None where not grouped)."""
    cur.execute(FOLLOWUP_COUNTS, {
        "period": period, "from_day": first, "to_day": last, "groups": groups,
        "group_name": filters.get("group_name"), "agent_id": filters.get("agent_id"),
        "by_group": "group" in by, "by_agent": "agent" in by})
    return cur.fetchall()


def answer_counts(cur, by, period: str, first, last, filters: dict,
                  groups: list | None) -> list:
    """Answer sums per (period, agent, group, kind, source; None where not grouped)."""
    cur.execute(ANSWER_COUNTS, {
        "period": period, "from_day": first, "to_day": last, "groups": groups,
        **{f: filters.get(f) for f in ("group_name", "agent_id", "ticket_kind", "source")},
        **{f"by_{d}": d in by for d in ("agent", "group", "kind", "source")}})
    return cur.fetchall()


def agent_in_groups(cur, agent_id: str, groups: list) -> bool:
    """Whether the agent has a follow-up or an answer counted in one of these groups."""
    cur.execute("SELECT EXISTS (SELECT 1 FROM followup_day WHERE agent_id = %(a)s"
                " AND group_name = ANY (%(g)s::text[])) OR EXISTS (SELECT 1 FROM answer_day"
                " WHERE agent_id = %(a)s AND group_name = ANY (%(g)s::text[])) AS known",
                {"a": agent_id, "g": groups})
    return bool(cur.fetchone()["known"])


# -- the check against the owner ------------------------------------------------------------
def followup_day_sums(cur, first, last) -> list:
    cur.execute("SELECT day, sum(created)::int AS created, sum(done)::int AS done,"
                " sum(reached)::int AS reached, sum(unreachable)::int AS unreachable,"
                " sum(missed)::int AS missed FROM followup_day"
                " WHERE day BETWEEN %s AND %s GROUP BY day ORDER BY day", (first, last))
    return cur.fetchall()


def answer_day_sums(cur, first, last) -> list:
    cur.execute("SELECT day, sum(answers)::int AS answers,"
                " sum(csat_answers)::int AS csat_answers, sum(satisfied)::int AS satisfied,"
                " sum(nps_answers)::int AS nps_answers, sum(promoters)::int AS promoters,"
                " sum(detractors)::int AS detractors FROM answer_day"
                " WHERE day BETWEEN %s AND %s GROUP BY day ORDER BY day", (first, last))
    return cur.fetchall()


# -- a rebuild's last steps: stale facts go, the rollups corrected (as store/calls.py) ----
NO_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = 0"
REMOVE_STALE = """
WITH tasks AS (DELETE FROM followup_fact WHERE generation < %(g)s RETURNING task_id),
     events AS (DELETE FROM followup_fact_event e USING tasks WHERE e.task_id = tasks.task_id),
     answers AS (DELETE FROM answer_fact WHERE generation < %(g)s RETURNING 1)
SELECT (SELECT count(*) FROM tasks)::int + (SELECT count(*) FROM answers)::int AS removed
"""
# A task's contribution: created on its created day, due on its due day, done (reached,
# unreachable, on time) on its done day, missed on its missed day (domain/survey.py).
CORRECTIONS = """
WITH contributions AS (
    SELECT created_day AS day, group_name, agent_id, 1 AS created, 0 AS due, 0 AS done,
           0 AS reached, 0 AS unreachable, 0 AS missed, 0 AS on_time
      FROM followup_fact WHERE created_day IS NOT NULL
    UNION ALL
    SELECT due_day, group_name, agent_id, 0, 1, 0, 0, 0, 0, 0 FROM followup_fact
    UNION ALL
    SELECT done_day, group_name, agent_id, 0, 0, 1, reached, unreachable, 0, on_time
      FROM followup_fact WHERE done_day IS NOT NULL
    UNION ALL
    SELECT missed_day, group_name, agent_id, 0, 0, 0, 0, 0, 1, 0
      FROM followup_fact WHERE missed_day IS NOT NULL
    UNION ALL
    SELECT day, group_name, agent_id, -created, -due, -done, -reached, -unreachable,
           -missed, -on_time FROM followup_day),
followups AS (
INSERT INTO survey_rollup_fix (target, day, group_name, agent_id, created, due, done,
    reached, unreachable, missed, on_time)
SELECT 'followup_day', day, group_name, agent_id, sum(created), sum(due), sum(done),
       sum(reached), sum(unreachable), sum(missed), sum(on_time)
  FROM contributions
 GROUP BY day, group_name, agent_id
HAVING ROW(sum(created), sum(due), sum(done), sum(reached), sum(unreachable), sum(missed),
           sum(on_time)) <> ROW(0, 0, 0, 0, 0, 0, 0)
RETURNING 1),
answers AS (
INSERT INTO survey_rollup_fix (target, day, agent_id, group_name, ticket_kind, source,
    answers, csat_answers, satisfied, nps_answers, promoters, detractors)
SELECT 'answer_day', day, agent_id, group_name, ticket_kind, source, sum(answers),
       sum(csat_answers), sum(satisfied), sum(nps_answers), sum(promoters), sum(detractors)
  FROM (SELECT day, agent_id, group_name, ticket_kind, source, answers, csat_answers,
               satisfied, nps_answers, promoters, detractors FROM answer_fact
        UNION ALL
        SELECT day, agent_id, group_name, ticket_kind, source, -answers, -csat_answers,
               -satisfied, -nps_answers, -promoters, -detractors FROM answer_day) x
 GROUP BY day, agent_id, group_name, ticket_kind, source
HAVING ROW(sum(answers), sum(csat_answers), sum(satisfied), sum(nps_answers),
           sum(promoters), sum(detractors)) <> ROW(0, 0, 0, 0, 0, 0)
RETURNING 1)
SELECT (SELECT count(*) FROM followups) + (SELECT count(*) FROM answers) AS fixes
"""
APPLY_FOLLOWUP_DAY = (
    "WITH batch AS (DELETE FROM survey_rollup_fix WHERE id IN (SELECT id FROM"
    " survey_rollup_fix WHERE target = 'followup_day' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO followup_day (day, group_name, agent_id, created, due, done, reached,"
    " unreachable, missed, on_time)"
    " SELECT day, group_name, agent_id, created, due, done, reached, unreachable, missed,"
    ' on_time FROM batch ORDER BY day, group_name COLLATE "C", agent_id COLLATE "C"'
    " ON CONFLICT (day, group_name, agent_id) DO UPDATE SET"
    " created = followup_day.created + excluded.created,"
    " due = followup_day.due + excluded.due,"
    " done = followup_day.done + excluded.done,"
    " reached = followup_day.reached + excluded.reached,"
    " unreachable = followup_day.unreachable + excluded.unreachable,"
    " missed = followup_day.missed + excluded.missed,"
    " on_time = followup_day.on_time + excluded.on_time")
APPLY_ANSWER_DAY = (
    "WITH batch AS (DELETE FROM survey_rollup_fix WHERE id IN (SELECT id FROM"
    " survey_rollup_fix WHERE target = 'answer_day' ORDER BY id LIMIT %s) RETURNING *)"
    " INSERT INTO answer_day (day, agent_id, group_name, ticket_kind, source, answers,"
    " csat_answers, satisfied, nps_answers, promoters, detractors)"
    " SELECT day, agent_id, group_name, ticket_kind, source, answers, csat_answers,"
    " satisfied, nps_answers, promoters, detractors FROM batch"
    ' ORDER BY day, agent_id COLLATE "C", group_name COLLATE "C", ticket_kind COLLATE "C",'
    ' source COLLATE "C"'
    " ON CONFLICT (day, agent_id, group_name, ticket_kind, source) DO UPDATE SET"
    " answers = answer_day.answers + excluded.answers,"
    " csat_answers = answer_day.csat_answers + excluded.csat_answers,"
    " satisfied = answer_day.satisfied + excluded.satisfied,"
    " nps_answers = answer_day.nps_answers + excluded.nps_answers,"
    " promoters = answer_day.promoters + excluded.promoters,"
    " detractors = answer_day.detractors + excluded.detractors")
APPLY = {"followup_day": APPLY_FOLLOWUP_DAY, "answer_day": APPLY_ANSWER_DAY}


def remove_stale(cur, generation: int) -> int:
    """Task and answer facts older than `generation` (the owner no longer has them), and
    the tasks' events, go; how many facts."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute(REMOVE_STALE, {"g": generation})
    return cur.fetchone()["removed"]


def compute_corrections(cur) -> int:
    """Each rollup's difference to the facts summed, into survey_rollup_fix (what was
    there before: dropped); the rows.  One statement: one snapshot."""
    cur.execute(NO_STATEMENT_TIMEOUT)
    cur.execute("DELETE FROM survey_rollup_fix")
    cur.execute(CORRECTIONS)
    return cur.fetchone()["fixes"]


def apply_corrections(cur, table: str, limit: int) -> int:
    """Up to `limit` corrections of `table` added to it; how many."""
    cur.execute(APPLY[table], (limit,))
    return cur.rowcount
