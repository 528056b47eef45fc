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


# -- the keypad's offers and the campaigns' invitations (issue 13) ------------------------
def offer(cur, call_id: str) -> dict | None:
    """One offer as told (ivr_offer_updated)."""
    cur.execute("SELECT call_id AS offer_id, offered_at, rated, agent_id, group_name,"
                " ticket_kind, category_id FROM ivr_offer WHERE call_id = %s", (call_id,))
    return cur.fetchone()


def offer_page(cur, after: str | None, limit: int) -> list:
    """Up to `limit` offers after the call id `after` (None: from the first), by id."""
    cur.execute(
        "SELECT call_id AS offer_id, offered_at, rated, agent_id, group_name, ticket_kind,"
        " category_id FROM ivr_offer WHERE %(after)s::text IS NULL OR call_id > %(after)s"
        " ORDER BY call_id LIMIT %(limit)s", {"after": after, "limit": limit})
    return cur.fetchall()


def offer_counts(cur, start, end) -> list:
    """By China day over [start, end): calls offered a rating, and those rated."""
    cur.execute(
        "SELECT (offered_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        " count(*)::int AS offered, count(*) FILTER (WHERE rated)::int AS rated"
        " FROM ivr_offer WHERE offered_at >= %(start)s AND offered_at < %(end)s"
        " GROUP BY 1 ORDER BY 1", {"start": start, "end": end})
    return cur.fetchall()


def invitations(cur, invitation_ids: list[str]) -> list:
    """These invitations as told (campaign_invitation_updated), by id."""
    if not invitation_ids:
        return []
    cur.execute(
        "SELECT i.id::text AS invitation_id, i.campaign_id::text AS campaign_id,"
        " c.starts_at AS campaign_starts_at, i.revision, i.agent_id, i.groups, i.level,"
        " i.invited, i.accepted, i.came, i.satisfaction, i.gift_taken, i.coupon_taken,"
        " i.closed_at IS NOT NULL AS closed, i.updated_at"
        " FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.id = ANY (%s::uuid[]) ORDER BY i.id", (list(invitation_ids),))
    return cur.fetchall()


def listed(cur, campaign_id: str, first: int, after_last: int) -> list:
    """The invitations of a campaign's list at positions [first, after_last), in order
    (a page just frozen in this transaction: made at now(), which the list's index
    (campaign_id, created_at, position) reaches directly)."""
    cur.execute(
        "SELECT i.id::text AS invitation_id, i.campaign_id::text AS campaign_id,"
        " c.starts_at AS campaign_starts_at, i.revision, i.agent_id, i.groups, i.level,"
        " i.invited, i.accepted, i.came, i.satisfaction, i.gift_taken, i.coupon_taken,"
        " i.closed_at IS NOT NULL AS closed, i.updated_at"
        " FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.campaign_id = %s AND i.created_at = now() AND i.position >= %s"
        " AND i.position < %s"
        " ORDER BY i.position", (campaign_id, first, after_last))
    return cur.fetchall()


def invitation_page(cur, after: str | None, limit: int) -> list:
    """Up to `limit` invitations after the id `after` (None: from the first), by id."""
    cur.execute(
        "SELECT i.id::text AS invitation_id, i.campaign_id::text AS campaign_id,"
        " c.starts_at AS campaign_starts_at, i.revision, i.agent_id, i.groups, i.level,"
        " i.invited, i.accepted, i.came, i.satisfaction, i.gift_taken, i.coupon_taken,"
        " i.closed_at IS NOT NULL AS closed, i.updated_at"
        " FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE %(after)s::uuid IS NULL OR i.id > %(after)s::uuid"
        " ORDER BY i.id LIMIT %(limit)s", {"after": after, "limit": limit})
    return cur.fetchall()


def invitation_counts(cur, start, end) -> list:
    """Per campaign starting in [start, end) (by China day of its start): its list's
    counts as campaign_rates counts them (closed invitations nowhere; every level)."""
    cur.execute(
        "SELECT (c.starts_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        " c.id::text AS campaign_id, count(i.id)::int AS total,"
        " count(i.invited)::int AS called,"
        " count(*) FILTER (WHERE i.invited)::int AS invited,"
        " count(*) FILTER (WHERE i.accepted)::int AS accepted,"
        " count(*) FILTER (WHERE i.came)::int AS came,"
        " count(i.satisfaction)::int AS with_outcome,"
        " count(*) FILTER (WHERE i.satisfaction = 'satisfied')::int AS satisfied"
        " FROM campaign c JOIN campaign_invitation i ON i.campaign_id = c.id"
        " AND i.closed_at IS NULL"
        " WHERE c.starts_at >= %(start)s AND c.starts_at < %(end)s"
        " GROUP BY 1, 2 ORDER BY 1, 2", {"start": start, "end": end})
    return cur.fetchall()
