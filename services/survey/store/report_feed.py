"""SQL of the report feed (issue 13): follow-up tasks and answers as counted, keyset
paged by id, and the survey service's own counts by China day, which the report's check
compares with its rollups.  No scope: only the report's system identity calls."""


def followup_page(cur, after: str | None, limit: int) -> list:
    """Up to `limit` tasks after the id `after` (None: from the first), by id."""
    cur.execute(
        "SELECT id::text AS task_id, groups, assignee_id, due_at, created_at, missed_at,"
        " completed_at, outcome FROM followup_task"
        " WHERE %(after)s::uuid IS NULL OR id > %(after)s::uuid ORDER BY id LIMIT %(limit)s",
        {"after": after, "limit": limit})
    return cur.fetchall()


def answer_page(cur, after: str | None, limit: int) -> list:
    """Up to `limit` answers after the id `after` (None: from the first), by id."""
    cur.execute(
        "SELECT a.id::text AS answer_id, a.source, a.questionnaire_id::text AS"
        " questionnaire_id, q.version, a.customer_id, a.agent_id, a.group_name, a.ticket_id,"
        " a.task_id, a.call_id, a.ticket_kind, a.category_id, a.csat_score, a.nps_score,"
        " a.answered_at FROM answer a LEFT JOIN questionnaire q ON q.id = a.questionnaire_id"
        " WHERE %(after)s::uuid IS NULL OR a.id > %(after)s::uuid ORDER BY a.id"
        " LIMIT %(limit)s", {"after": after, "limit": limit})
    return cur.fetchall()


def followup_counts(cur, start, end) -> list:
    """By China day over [start, end): tasks created, done (reached / unreachable, by
    completed_at) and missed (by missed_at)."""
    cur.execute(
        "SELECT day, sum(created)::int AS created, sum(done)::int AS done,"
        " sum(reached)::int AS reached, sum(unreachable)::int AS unreachable,"
        " sum(missed)::int AS missed FROM ("
        "  SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, 1 AS created,"
        "   0 AS done, 0 AS reached, 0 AS unreachable, 0 AS missed FROM followup_task"
        "   WHERE created_at >= %(start)s AND created_at < %(end)s"
        "  UNION ALL"
        "  SELECT (completed_at AT TIME ZONE 'Asia/Shanghai')::date, 0, 1,"
        "   (outcome = 'reached')::int, (outcome = 'unreachable')::int, 0 FROM followup_task"
        "   WHERE status = 'done' AND outcome IN ('reached', 'unreachable')"
        "   AND completed_at >= %(start)s AND completed_at < %(end)s"
        "  UNION ALL"
        "  SELECT (missed_at AT TIME ZONE 'Asia/Shanghai')::date, 0, 0, 0, 0, 1"
        "   FROM followup_task WHERE missed_at >= %(start)s AND missed_at < %(end)s) s"
        " GROUP BY day ORDER BY day", {"start": start, "end": end})
    return cur.fetchall()


def answer_counts(cur, start, end) -> list:
    """By China day over [start, end): answers, CSAT and NPS counts (the same thresholds
    as the satisfaction rollup's trigger, migration 0002)."""
    cur.execute(
        "SELECT (answered_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        " count(*)::int AS answers, count(csat_score)::int AS csat_answers,"
        " count(*) FILTER (WHERE csat_score >= 4)::int AS satisfied,"
        " count(nps_score)::int AS nps_answers,"
        " count(*) FILTER (WHERE nps_score >= 9)::int AS promoters,"
        " count(*) FILTER (WHERE nps_score <= 6)::int AS detractors"
        " FROM answer WHERE answered_at >= %(start)s AND answered_at < %(end)s"
        " GROUP BY 1 ORDER BY 1", {"start": start, "end": end})
    return cur.fetchall()
