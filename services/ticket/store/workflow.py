"""SQL of the workflow (T4): apply a step under an optimistic guard (the status, group
and assignee the ticket was read with)."""
from psycopg2 import sql

from services.ticket.store.tickets import TICKET


def apply(cur, before: dict, change: dict) -> dict | None:
    """Write status, waiting_on, group, assignee and the resolved/closed stamps (the
    cancelled stamp when given), add the step's reopens and transfers to their counts,
    only if the ticket still has the status, group and assignee it was read with; the
    ticket after, or None otherwise."""
    cur.execute(sql.SQL(
        "UPDATE ticket t SET status = %s, waiting_on = %s, group_name = %s, assignee_id = %s,"
        " resolved_at = %s, closed_at = %s, cancelled_at = coalesce(%s, t.cancelled_at),"
        " reopen_count = t.reopen_count + %s, transfer_count = t.transfer_count + %s,"
        " updated_at = now()"
        " WHERE t.id = %s AND t.status = %s AND t.assignee_id IS NOT DISTINCT FROM %s"
        " AND t.group_name IS NOT DISTINCT FROM %s"
        " RETURNING {}").format(TICKET),
        (change["status"], change["waiting_on"], change["group_name"], change["assignee_id"],
         change["resolved_at"], change["closed_at"], change.get("cancelled_at"),
         change.get("reopens", 0), change.get("transfers", 0), before["id"],
         before["status"], before["assignee_id"], before["group_name"]),
    )
    return cur.fetchone()
