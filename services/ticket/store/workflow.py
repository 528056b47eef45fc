"""SQL of the workflow (T4): read a ticket for a step, and apply the step under an
optimistic guard (the status and assignee it was read with)."""
from psycopg2 import sql

TICKET = (
    "t.id::text, t.serial, t.kind, t.category_id::text, t.customer_id::text, t.subject,"
    " t.content, t.channel, t.urgency, t.status, t.waiting_on, t.group_name, t.assignee_id,"
    " t.acceptor_id, t.accepted_at, t.updated_at, t.response_due_at, t.resolution_due_at,"
    " t.resolved_at, t.closed_at"
)
COLUMNS = sql.SQL(TICKET)


def ticket(cur, ticket_id: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM ticket t WHERE t.id = %s").format(COLUMNS),
                (ticket_id,))
    return cur.fetchone()


def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def apply(cur, before: dict, change: dict) -> dict | None:
    """Write status, waiting_on, group, assignee and the resolved/closed stamps, only if
    the ticket still has the status and assignee it was read with; None otherwise."""
    cur.execute(sql.SQL(
        "UPDATE ticket t SET status = %s, waiting_on = %s, group_name = %s, assignee_id = %s,"
        " resolved_at = %s, closed_at = %s, updated_at = now()"
        " WHERE t.id = %s AND t.status = %s AND t.assignee_id IS NOT DISTINCT FROM %s"
        " AND t.group_name IS NOT DISTINCT FROM %s"
        " RETURNING {}").format(COLUMNS),
        (change["status"], change["waiting_on"], change["group_name"], change["assignee_id"],
         change["resolved_at"], change["closed_at"], before["id"], before["status"],
         before["assignee_id"], before["group_name"]),
    )
    return cur.fetchone()
