"""SQL of the queues (T5): keyset pages in (accepted_at DESC, id DESC) order, and the
counts the trigger of migration 0005 keeps.

Each view's base condition repeats the predicate of its partial index
(ticket_assignee_open, ticket_group_unassigned) so the planner can use it; the filters
are fixed SQL fragments joined with psycopg2.sql, their values always bound.  Every
list is cut to the caller's data scope (store.scope) in its WHERE clause.
"""
from psycopg2 import sql

from services.ticket.store import scope as scoped
from services.ticket.store.tickets import SUMMARY

OPEN = sql.SQL("t.status NOT IN ('closed', 'cancelled')")
# The optional filters of a queue: (query parameter, condition, its bound value).
FILTERS = (
    ("customer_id", "t.customer_id = %({})s", str),
    ("kind", "t.kind = %({})s", str),
    ("category_id", "t.category_id = %({})s", str),
    ("urgency", "t.urgency = ANY(%({})s)", list),
    ("accepted_from", "t.accepted_at >= %({})s", lambda at: at),
    ("accepted_to", "t.accepted_at < %({})s", lambda at: at),
)
# Words in the content: every pair of adjacent characters of the text is in the
# content's bigram index (migration 0010), then ILIKE checks the few rows it gives;
# only ordinary (level 0) content is searched — classified content is withheld in
# lists, so it never matches (issue 9, findings 7 and 11).
IN_CONTENT = sql.SQL("text_bigrams(t.content) @> text_bigrams(%(text)s)"
                     " AND t.content ILIKE %(pattern)s AND level_of(t.customer_id) = 0")


def list_tickets(cur, view: dict, scope: dict, query: dict, after, limit: int,
                 serial: str | None = None, text: str | None = None,
                 pattern: str | None = None) -> list[dict]:
    """Up to `limit` tickets of the view and the caller's scope matching the filters,
    after the cursor; `serial` (exactly) or `text` (in the content, as the LIKE
    `pattern`)."""
    where: list[sql.Composable] = [scoped.tickets(scope)]
    params: dict = {**scoped.params(scope), "limit": limit}

    def add(fragment: str, **values):
        where.append(sql.SQL(fragment))
        params.update(values)

    if view["view"] == "mine":
        add("t.assignee_id = %(mine)s", mine=view["assignee_id"])
        where.append(OPEN)
    elif view["view"] == "group_unassigned":
        if len(view["groups"]) == 1:
            add("t.group_name = %(group)s", group=view["groups"][0])
        else:  # one ordered index scan per group, merged (see below)
            add("t.group_name = g.name", groups=list(view["groups"]))
        add("t.assignee_id IS NULL")
        where.append(OPEN)
    if query.get("status"):
        if len(query["status"]) == 1:
            add("t.status = %(status)s", status=query["status"][0])
        else:
            add("t.status = ANY(%(status)s)", status=list(query["status"]))
    for name, fragment, value in FILTERS:
        if query.get(name):
            add(fragment.format(name), **{name: value(query[name])})
    if serial:
        add("t.serial = %(serial)s", serial=serial)
    elif text:
        where.append(IN_CONTENT)
        params.update(text=text, pattern=pattern)
    if after:
        add("(t.accepted_at, t.id) < (%(after_at)s, %(after_id)s)", after_at=after[0],
            after_id=after[1])
    condition = sql.SQL(" AND ").join(where)
    if view["view"] == "group_unassigned" and len(view["groups"]) > 1:
        # Several groups: ANY(...) cannot walk the index in order, so each group's
        # queue is read by its own LIMITed index scan and the pages merged.
        statement = sql.SQL(
            "SELECT x.* FROM unnest(%(groups)s::text[]) AS g(name) CROSS JOIN LATERAL"
            " (SELECT {columns}, t.id AS sort_id FROM ticket t WHERE {condition}"
            "  ORDER BY t.accepted_at DESC, t.id DESC LIMIT %(limit)s) x"
            " ORDER BY x.accepted_at DESC, x.sort_id DESC LIMIT %(limit)s"
        ).format(columns=SUMMARY, condition=condition)
    else:
        statement = sql.SQL(
            "SELECT {columns} FROM ticket t WHERE {condition}"
            " ORDER BY t.accepted_at DESC, t.id DESC LIMIT %(limit)s"
        ).format(columns=SUMMARY, condition=condition)
    cur.execute(statement, params)
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
