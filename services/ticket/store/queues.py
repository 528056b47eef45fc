"""SQL of the queues (T5): keyset pages in (accepted_at DESC, id DESC) order, and the
counts the trigger of migration 0005 keeps.

Each view's base condition repeats the predicate of its partial index
(ticket_assignee_open, ticket_group_unassigned) so the planner can use it; the filters
are fixed SQL fragments joined with psycopg2.sql, their values always bound.
"""
from psycopg2 import sql

from services.ticket.store.tickets import SUMMARY

OPEN = sql.SQL("t.status NOT IN ('closed', 'cancelled')")
# The optional filters of a queue: (query parameter, condition, its bound value).
FILTERS = (
    ("customer_id", "t.customer_id = %s", str),
    ("kind", "t.kind = %s", str),
    ("category_id", "t.category_id = %s", str),
    ("urgency", "t.urgency = ANY(%s)", list),
    ("accepted_from", "t.accepted_at >= %s", lambda at: at),
    ("accepted_to", "t.accepted_at < %s", lambda at: at),
)


def list_tickets(cur, scope: dict, query: dict, after, limit: int,
                 serial: str | None, pattern: str | None) -> list[dict]:
    """Up to `limit` tickets of the scope matching the filters, after the cursor."""
    where: list[sql.Composable] = []
    params: list = []

    def add(fragment: str, *values):
        where.append(sql.SQL(fragment))
        params.extend(values)

    if scope["view"] == "mine":
        add("t.assignee_id = %s", scope["assignee_id"])
        where.append(OPEN)
    elif scope["view"] == "group_unassigned":
        if len(scope["groups"]) == 1:
            add("t.group_name = %s", scope["groups"][0])
        else:  # one ordered index scan per group, merged (see below)
            where.append(sql.SQL("t.group_name = g.name"))
        add("t.assignee_id IS NULL")
        where.append(OPEN)
    if query.get("status"):
        if len(query["status"]) == 1:
            add("t.status = %s", query["status"][0])
        else:
            add("t.status = ANY(%s)", list(query["status"]))
    for name, fragment, value in FILTERS:
        if query.get(name):
            add(fragment, value(query[name]))
    if serial:
        add("t.serial = %s", serial)
    elif pattern:
        add("t.content ILIKE %s", pattern)
    if after:
        add("(t.accepted_at, t.id) < (%s, %s)", after[0], after[1])
    condition = sql.SQL(" AND ").join(where) if where else sql.SQL("true")
    if scope["view"] == "group_unassigned" and len(scope["groups"]) > 1:
        # Several groups: ANY(...) cannot walk the index in order, so each group's
        # queue is read by its own LIMITed index scan and the pages merged.
        statement = sql.SQL(
            "SELECT x.* FROM unnest(%s::text[]) AS g(name) CROSS JOIN LATERAL"
            " (SELECT {columns}, t.id AS sort_id FROM ticket t WHERE {condition}"
            "  ORDER BY t.accepted_at DESC, t.id DESC LIMIT %s) x"
            " ORDER BY x.accepted_at DESC, x.sort_id DESC LIMIT %s"
        ).format(columns=SUMMARY, condition=condition)
        cur.execute(statement, (list(scope["groups"]), *params, limit, limit))
        return cur.fetchall()
    statement = sql.SQL(
        "SELECT {columns} FROM ticket t WHERE {condition}"
        " ORDER BY t.accepted_at DESC, t.id DESC LIMIT %s"
    ).format(columns=SUMMARY, condition=condition)
    cur.execute(statement, (*params, limit))
    return cur.fetchall()


def counts(cur, staff_id: str, groups: list[str]) -> list[dict]:
    """Summed counter rows for one person and the unassigned queues of their groups."""
    cur.execute(
        "SELECT scope, key, status, sum(n) AS n FROM queue_count"
        " WHERE (scope = 'assignee' AND key = %s) OR (scope = 'group' AND key = ANY(%s))"
        " GROUP BY scope, key, status",
        (staff_id, list(groups)),
    )
    return cur.fetchall()
