"""SQL of tickets: the record (T2), repeats (T3), the detail, the customer lifecycle."""
from psycopg2.extras import Json


def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def next_serial_number(cur, prefix: str, day) -> int:
    cur.execute(
        "INSERT INTO serial_counter (prefix, day, last) VALUES (%s, %s, 1)"
        " ON CONFLICT (prefix, day) DO UPDATE SET last = serial_counter.last + 1"
        " RETURNING last",
        (prefix, day),
    )
    return cur.fetchone()["last"]


def insert_ticket(cur, serial: str, data: dict, acceptor_id: str, accepted_at) -> dict:
    """Insert the whole record; `data` is a loaded TicketCreate with the clean form, the
    contact snapshot, warranty and repeat_of filled in (defaults for what is absent)."""
    cur.execute(
        "INSERT INTO ticket AS t (serial, kind, customer_id, content, channel, urgency,"
        " acceptor_id, accepted_at, updated_at, category_id, subject, form, contact,"
        " asset_serial, warranty, fee, paid, repeat_of, group_name)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s::uuid[], %s)"
        " RETURNING t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel,"
        " t.urgency, t.status, t.acceptor_id, t.accepted_at, t.category_id::text, t.subject,"
        " t.form, t.contact, t.asset_serial, t.warranty, t.fee, t.paid, t.repeat_of::text[],"
        " t.group_name, t.assignee_id, t.waiting_on, t.updated_at, t.first_response_at,"
        " t.response_due_at, t.resolution_due_at, t.paused_since, t.paused_seconds,"
        " t.escalated_at, t.resolved_at, t.closed_at",
        (serial, data["kind"], str(data["customer_id"]), data["content"], data["channel"],
         data["urgency"], acceptor_id, accepted_at, accepted_at,
         _text(data.get("category_id")), data.get("subject"), Json(data.get("form") or {}),
         Json(data.get("contact") or {}), data.get("asset_serial"),
         data.get("warranty", "unknown"), data.get("fee") or 0, bool(data.get("paid")),
         list(data.get("repeat_of") or []), data.get("group_name")),
    )
    return cur.fetchone()


# Every column of a ticket, as the contract's Ticket names them.
SELECT_TICKET = (
    "SELECT t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel,"
    " t.urgency, t.status, t.acceptor_id, t.accepted_at, t.category_id::text,"
    " t.subject, t.form, t.contact, t.asset_serial, t.warranty, t.fee, t.paid,"
    " t.repeat_of::text[], t.group_name, t.assignee_id, t.waiting_on, t.updated_at,"
    " t.first_response_at, t.response_due_at, t.resolution_due_at, t.paused_since,"
    " t.paused_seconds, t.escalated_at, t.resolved_at, t.closed_at"
)


def ticket(cur, ticket_id: str, for_update: bool = False) -> dict | None:
    """One ticket with every column, or None (locked for update when asked)."""
    if for_update:
        cur.execute(SELECT_TICKET + " FROM ticket t WHERE t.id = %s FOR UPDATE", (ticket_id,))
    else:
        cur.execute(SELECT_TICKET + " FROM ticket t WHERE t.id = %s", (ticket_id,))
    return cur.fetchone()


def update_ticket(cur, ticket_id: str, changes: dict) -> dict:
    """Write the editable fields (all of them; unchanged ones keep their value)."""
    cur.execute(
        "UPDATE ticket AS t SET subject = %s, form = %s, contact = %s, urgency = %s, fee = %s,"
        " paid = %s, category_id = %s, updated_at = now() WHERE t.id = %s"
        " RETURNING t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel,"
        " t.urgency, t.status, t.acceptor_id, t.accepted_at, t.category_id::text, t.subject,"
        " t.form, t.contact, t.asset_serial, t.warranty, t.fee, t.paid, t.repeat_of::text[],"
        " t.group_name, t.assignee_id, t.waiting_on, t.updated_at, t.first_response_at,"
        " t.response_due_at, t.resolution_due_at, t.paused_since, t.paused_seconds,"
        " t.escalated_at, t.resolved_at, t.closed_at",
        (changes["subject"], Json(changes["form"]), Json(changes["contact"]),
         changes["urgency"], changes["fee"], changes["paid"], _text(changes["category_id"]),
         ticket_id),
    )
    return cur.fetchone()


def set_due_times(row: dict, due: dict) -> dict:
    """The row with the due times the SLA hook set in the same transaction."""
    return {**row, **{k: v for k, v in due.items() if k in row}}


def repeats_of(cur, customer_id: str, kind: str, category_id: str | None, content: str,
               since, until, threshold: float, limit: int) -> list[str]:
    """T3: ids of the customer's tickets of `kind` accepted in [since, until] (both
    inclusive) of the same category (NULL matching NULL) or with content at least
    `threshold` similar; newest first.  Reads the customer's tickets of the kind by
    index (ticket_customer_kind / ticket_customer), a handful of rows."""
    # The CTE is fenced so the planner reads the customer's few tickets by the index
    # and never walks ticket_order (accepted_at, id) looking for them.
    cur.execute(
        "WITH recent AS MATERIALIZED (SELECT t.id, t.accepted_at, t.category_id, t.content"
        "  FROM ticket t WHERE t.customer_id = %(customer)s AND t.kind = %(kind)s"
        "  AND t.accepted_at >= %(since)s AND t.accepted_at <= %(until)s)"
        " SELECT r.id::text FROM recent r"
        " WHERE r.category_id IS NOT DISTINCT FROM %(category)s::uuid"
        "    OR similarity(r.content, %(content)s) >= %(threshold)s"
        " ORDER BY r.accepted_at DESC, r.id DESC LIMIT %(limit)s",
        {"customer": customer_id, "kind": kind, "since": since, "until": until,
         "category": category_id, "content": content, "threshold": threshold,
         "limit": limit},
    )
    return [r["id"] for r in cur.fetchall()]


def serials(cur, ticket_ids: list[str]) -> list[dict]:
    """id, serial and accepted_at of these tickets, in the order given."""
    if not ticket_ids:
        return []
    cur.execute("SELECT t.id::text, t.serial, t.accepted_at FROM ticket t"
                " WHERE t.id = ANY(%s::uuid[])", (list(ticket_ids),))
    found = {r["id"]: r for r in cur.fetchall()}
    return [found[i] for i in ticket_ids if i in found]


def staff_name(cur, staff_id: str) -> str | None:
    cur.execute("SELECT display_name FROM staff_member WHERE id = %s", (staff_id,))
    row = cur.fetchone()
    return row["display_name"] if row else None


def _text(value) -> str | None:
    return str(value) if value is not None else None


def ticket_for_request(cur, key: str) -> dict | None:
    cur.execute(SELECT_TICKET + " FROM ticket_request r JOIN ticket t ON t.id = r.ticket_id"
                " WHERE r.key = %s", (key,))
    return cur.fetchone()


def remember_request(cur, key: str, ticket_id: str) -> None:
    cur.execute("INSERT INTO ticket_request (key, ticket_id) VALUES (%s, %s)", (key, ticket_id))


def tickets_of_customer(cur, customer_id: str, limit: int) -> list[dict]:
    cur.execute(
        "SELECT t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at FROM ticket t WHERE t.customer_id = %s"
        " ORDER BY t.accepted_at DESC LIMIT %s",
        (customer_id, limit),
    )
    return cur.fetchall()


# What a destroyed customer's ticket content becomes (the same text as in the
# ticket_guard_destroyed trigger of migration 0002).
REDACTED = "[已销毁]"


def anonymise_customer(cur, customer_id: str) -> int:
    """The customer was destroyed (C6): remember it and redact its tickets' content.

    Idempotent.  The exclusive per-customer advisory lock pairs with the shared
    one in the ticket_guard_destroyed trigger (migration 0002), so no ticket
    created meanwhile escapes.  Returns how many tickets were redacted now."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s::uuid::text, 6))",
                (customer_id,))
    cur.execute("INSERT INTO destroyed_customer (customer_id) VALUES (%s) ON CONFLICT DO NOTHING",
                (customer_id,))
    cur.execute(
        "UPDATE ticket SET content = %s, anonymised_at = now()"
        " WHERE customer_id = %s AND anonymised_at IS NULL",
        (REDACTED, customer_id),
    )
    return cur.rowcount


def repoint_customer(cur, merged_id: str, survivor_id: str) -> int:
    """Customer `merged_id` was merged into `survivor_id` (C8): its tickets follow.
    Idempotent (a repeat finds nothing left to move); returns how many moved."""
    cur.execute("UPDATE ticket SET customer_id = %s WHERE customer_id = %s",
                (survivor_id, merged_id))
    return cur.rowcount
