"""SQL of the field work feed (issue 13): every dispatch with its handling record's
counted columns, keyset paged by id, and the owner's per-day counts.  No scope: only
the report's system identity calls."""


def dispatch_page(cur, after: str | None, limit: int) -> list[dict]:
    """Up to `limit` dispatches after the id `after` (None: from the first), by id (the
    primary key's order and index), with what their handling record counts."""
    cur.execute(
        "SELECT d.id::text AS dispatch_id, d.ticket_id::text AS ticket_id, d.staff_id,"
        " t.customer_id::text AS customer_id, t.category_id::text AS category_id,"
        " level_of(t.customer_id) AS level, d.created_at AS dispatched_at, d.window_end,"
        " CASE WHEN h.done THEN least(h.finished_at, h.recorded_at) END AS handled_at,"
        " h.done, h.arrived_at, h.finished_at, h.fee, h.paid,"
        " (SELECT coalesce(sum((p ->> 'quantity')::int), 0)"
        "    FROM jsonb_array_elements(h.parts) p) AS parts"
        " FROM dispatch d JOIN ticket t ON t.id = d.ticket_id"
        " LEFT JOIN handling_record h ON h.dispatch_id = d.id"
        " WHERE %(after)s::uuid IS NULL OR d.id > %(after)s::uuid"
        " ORDER BY d.id LIMIT %(limit)s",
        {"after": after, "limit": limit})
    return cur.fetchall()


def dispatch_counts(cur, start, end) -> list[dict]:
    """By China day over [start, end): dispatches created, and handling records done
    by their finish (finished_at, never after recorded_at) with their fees in fen
    (migration 0013's indexes serve both ranges)."""
    cur.execute(
        "WITH sent AS (SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        "   count(*) AS dispatched FROM dispatch"
        "  WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1),"
        " handled AS (SELECT (least(finished_at, recorded_at) AT TIME ZONE 'Asia/Shanghai')"
        "   ::date AS day, count(*) AS handled, sum((fee * 100)::bigint) AS fee_fen"
        "  FROM handling_record WHERE done"
        "   AND least(finished_at, recorded_at) >= %(start)s"
        "   AND least(finished_at, recorded_at) < %(end)s GROUP BY 1)"
        " SELECT day, dispatched, handled, fee_fen FROM sent FULL JOIN handled USING (day)"
        " ORDER BY day",
        {"start": start, "end": end})
    return cur.fetchall()
