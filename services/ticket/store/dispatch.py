"""Field dispatch 派单 (T7): all SQL of dispatches and handling records.  A job is read
within the caller's data scope (store.scope.dispatches) and carries the level its
ticket's customer gives it."""
import json

from psycopg2 import sql

from services.ticket.store import scope as scoped

_COLUMNS = (
    "d.id::text, d.ticket_id::text, t.serial, t.kind, t.status AS ticket_status, d.staff_id,"
    " d.dispatcher_id, d.address, d.window_start, d.window_end, d.note, d.state,"
    " d.flagged_at, d.created_at, d.cancelled_at,"
    " h.done AS handling_done, h.reason AS handling_reason, h.parts AS handling_parts,"
    " h.fee AS handling_fee, h.paid AS handling_paid, h.note AS handling_note,"
    " h.arrived_at AS handling_arrived_at, h.finished_at AS handling_finished_at,"
    " h.recorded_at AS handling_recorded_at, level_of(t.customer_id) AS level")
_FROM = (" FROM dispatch d JOIN ticket t ON t.id = d.ticket_id"
         " LEFT JOIN handling_record h ON h.dispatch_id = d.id")
SELECT = sql.SQL("SELECT " + _COLUMNS + _FROM)


def ticket_for_dispatch(cur, ticket_id: str, scope: dict) -> dict | None:
    """The ticket of the scope, locked, with what a dispatch needs; None when unknown,
    out of scope or its customer was destroyed."""
    cur.execute(sql.SQL(
        "SELECT t.id::text, t.serial, t.kind, t.status, t.assignee_id, t.group_name,"
        " t.customer_id::text, t.category_id::text, t.form, t.contact, t.waiting_on, {}"
        " FROM ticket t WHERE t.id = %(id)s AND {}"
        " AND NOT EXISTS (SELECT 1 FROM destroyed_customer x WHERE x.customer_id = t.customer_id)"
        " FOR UPDATE OF t").format(scoped.level("t"), scoped.tickets(scope)),
        {"id": ticket_id, **scoped.params(scope)},
    )
    return cur.fetchone()


def cancel_open(cur, ticket_id: str) -> dict | None:
    """Cancel the ticket's open dispatch (a reschedule); returns it, or None."""
    cur.execute(
        "UPDATE dispatch SET state = 'cancelled', cancelled_at = now()"
        " WHERE ticket_id = %s AND state = 'open' RETURNING id::text, staff_id",
        (ticket_id,),
    )
    return cur.fetchone()


def insert_dispatch(cur, ticket_id: str, data: dict, address: str, dispatcher_id: str) -> str:
    cur.execute(
        "INSERT INTO dispatch (ticket_id, staff_id, dispatcher_id, address, window_start,"
        " window_end, note) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id::text",
        (ticket_id, data["staff_id"], dispatcher_id, address, data["window_start"],
         data["window_end"], data["note"]),
    )
    return cur.fetchone()["id"]


def assign_to_field(cur, ticket_id: str, staff_id: str, from_status: str,
                    to_status: str) -> bool:
    """The ticket's handler becomes the field staff member; the status moves only if
    it is still `from_status` (guarded, so no other writer's change is overwritten)."""
    cur.execute(
        "UPDATE ticket SET assignee_id = %s, status = %s, updated_at = now()"
        " WHERE id = %s AND status = %s",
        (staff_id, to_status, ticket_id, from_status),
    )
    return cur.rowcount == 1


def dispatch(cur, dispatch_id: str, staff_id: str, lock: bool = False) -> dict | None:
    """A job sent to `staff_id` (none of anyone else's).  `lock`: its ticket, then the
    job, are locked — the order dispatch_ticket takes them in (ticket_for_dispatch, then
    cancel_open), so the two never deadlock — and the ticket's status stays as read
    until commit.  NO KEY UPDATE: the overdue timer's trail row (a foreign key's KEY
    SHARE on the ticket, taken while it holds the job) is not made to wait."""
    if lock:
        cur.execute(
            "SELECT 1 FROM ticket WHERE id = (SELECT ticket_id FROM dispatch"
            " WHERE id = %s AND staff_id = %s) FOR NO KEY UPDATE",
            (dispatch_id, staff_id),
        )
    cur.execute(
        SELECT + sql.SQL(" WHERE d.id = %s AND d.staff_id = %s"
                         + (" FOR UPDATE OF d" if lock else "")),
        (dispatch_id, staff_id),
    )
    return cur.fetchone()


def open_job(cur, ticket_id: str) -> dict | None:
    """The ticket's open dispatch (one at most: dispatch_one_open), or None."""
    cur.execute("SELECT id::text, staff_id, window_end FROM dispatch"
                " WHERE ticket_id = %s AND state = 'open'", (ticket_id,))
    return cur.fetchone()


def insert_handling(cur, row: dict, staff_id: str, data: dict) -> None:
    cur.execute(
        "INSERT INTO handling_record (dispatch_id, ticket_id, staff_id, done, reason, parts,"
        " fee, paid, note, arrived_at, finished_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (row["id"], row["ticket_id"], staff_id, data["done"], data["reason"],
         json.dumps([{"name": p["name"], "quantity": p["quantity"],
                      "price": None if p["price"] is None else str(p["price"])}
                     for p in data["parts"]], ensure_ascii=False),
         data["fee"], data["paid"], data["note"], data["arrived_at"], data["finished_at"]),
    )
    cur.execute("UPDATE dispatch SET state = 'handled' WHERE id = %s", (row["id"],))


def set_ticket_fee(cur, ticket_id: str, fee, paid: bool) -> None:
    cur.execute("UPDATE ticket SET fee = %s, paid = %s, updated_at = now() WHERE id = %s",
                (fee, paid, ticket_id))


def flag_overdue(cur, limit: int = 200) -> list[dict]:
    """Claim open dispatches whose window ended without a handling record and mark them
    flagged.  SKIP LOCKED: replicas running the same timer claim disjoint rows."""
    cur.execute(
        "WITH due AS (SELECT id FROM dispatch WHERE state = 'open' AND flagged_at IS NULL"
        " AND window_end < now() ORDER BY window_end LIMIT %s FOR UPDATE SKIP LOCKED)"
        " UPDATE dispatch d SET flagged_at = now() FROM due"
        " WHERE d.id = due.id AND d.flagged_at IS NULL AND d.state = 'open'"
        " RETURNING d.id::text, d.ticket_id::text, d.staff_id, d.window_end",
        (limit,),
    )
    return cur.fetchall()


def open_dispatches(cur, scope: dict, overdue: bool, staff_id: str | None, after,
                    limit: int) -> list[dict]:
    """Open dispatches of the scope by (window_end, id); `overdue` only the flagged
    ones.  The optional filters are constants to the planner (psycopg2 binds
    client-side), so it folds them away and walks the matching partial index."""
    after_at, after_id = after or (None, None)
    cur.execute(
        SELECT + sql.SQL(
            " WHERE d.state = 'open' AND (NOT %(overdue)s OR d.flagged_at IS NOT NULL)"
            " AND (%(staff)s::text IS NULL OR d.staff_id = %(staff)s) AND {}"
            " AND (%(after_at)s::timestamptz IS NULL"
            "      OR (d.window_end, d.id) > (%(after_at)s, %(after_id)s::uuid))"
            " ORDER BY d.window_end, d.id LIMIT %(limit)s").format(scoped.dispatches(scope)),
        {"overdue": overdue, "staff": staff_id, "after_at": after_at, "after_id": after_id,
         "limit": limit, **scoped.params(scope)},
    )
    return cur.fetchall()


def of_ticket(cur, ticket_id: str) -> list[dict]:
    """Every job of a ticket (the caller reached the ticket first), newest first."""
    cur.execute(SELECT + sql.SQL(" WHERE d.ticket_id = %s"
                                 " ORDER BY d.created_at DESC LIMIT 100"), (ticket_id,))
    return cur.fetchall()


def anonymise_customer(cur, customer_id: str, redacted: str) -> int:
    """C6: the addresses and notes of a destroyed customer's dispatches and handling
    records become `redacted`.  Idempotent; returns how many dispatches changed now."""
    cur.execute(
        "UPDATE handling_record SET note = %s WHERE note <> %s AND note <> ''"
        " AND ticket_id IN (SELECT id FROM ticket WHERE customer_id = %s)",
        (redacted, redacted, customer_id),
    )
    cur.execute(
        "UPDATE dispatch SET address = %s, note = CASE WHEN note = '' THEN note ELSE %s END"
        " WHERE address <> %s AND ticket_id IN (SELECT id FROM ticket WHERE customer_id = %s)",
        (redacted, redacted, redacted, customer_id),
    )
    return cur.rowcount
