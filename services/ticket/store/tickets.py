"""SQL of tickets: the record (T2), repeats (T3), the detail, lists of a customer's
tickets, the customer lifecycle (C6, C8), and the database's clock.  Every read of
tickets a caller asks for takes the caller's data scope (store.scope) into its WHERE
clause, and gives each ticket the level it inherits from its customer."""
from psycopg2 import sql
from psycopg2.extras import Json

from services.ticket.store import scope as scoped


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


# Every column of a ticket, as the contract's Ticket names them (the record).
TICKET = sql.SQL(
    "t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel,"
    " t.urgency, t.status, t.acceptor_id, t.accepted_at, t.category_id::text,"
    " t.subject, t.form, t.contact, t.asset_serial, t.warranty, t.fee, t.paid,"
    " t.repeat_of::text[], t.group_name, t.assignee_id, t.waiting_on, t.updated_at,"
    " t.first_response_at, t.response_due_at, t.resolution_due_at, t.paused_since,"
    " t.paused_seconds, t.escalated_at, t.resolved_at, t.closed_at, "
) + scoped.level("t")
# The columns of a ticket as lists show it (the contract's TicketSummary).
SUMMARY = sql.SQL(
    "t.id::text, t.serial, t.kind, t.category_id::text, t.customer_id::text, t.subject,"
    " t.content, t.channel, t.urgency, t.status, t.waiting_on, t.group_name, t.assignee_id,"
    " t.acceptor_id, t.accepted_at, t.updated_at, t.response_due_at, t.resolution_due_at,"
    " t.resolved_at, t.closed_at, t.repeat_of::text[], "
) + scoped.level("t")
FOR_UPDATE = sql.SQL(" FOR UPDATE")


def insert_ticket(cur, serial: str, data: dict, acceptor_id: str, accepted_at) -> dict:
    """Insert the whole record; `data` is a loaded TicketCreate with the clean form, the
    contact snapshot, warranty and repeat_of filled in (defaults for what is absent)."""
    cur.execute(sql.SQL(
        "INSERT INTO ticket AS t (serial, kind, customer_id, content, channel, urgency,"
        " acceptor_id, accepted_at, updated_at, category_id, subject, form, contact,"
        " asset_serial, warranty, fee, paid, repeat_of, group_name)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s::uuid[], %s) RETURNING {}").format(TICKET),
        (serial, data["kind"], str(data["customer_id"]), data["content"], data["channel"],
         data["urgency"], acceptor_id, accepted_at, accepted_at,
         _text(data.get("category_id")), data.get("subject"), Json(data.get("form") or {}),
         Json(data.get("contact") or {}), data.get("asset_serial"),
         data.get("warranty", "unknown"), data.get("fee") or 0, bool(data.get("paid")),
         list(data.get("repeat_of") or []), data.get("group_name")),
    )
    return cur.fetchone()


def ticket(cur, ticket_id: str, scope: dict, for_update: bool = False) -> dict | None:
    """One ticket of the scope with every column, or None (locked for update when
    asked)."""
    cur.execute(sql.SQL("SELECT {} FROM ticket t WHERE t.id = %(id)s AND {}{}").format(
        TICKET, scoped.tickets(scope), FOR_UPDATE if for_update else sql.SQL("")),
        {"id": ticket_id, **scoped.params(scope)})
    return cur.fetchone()


def update_ticket(cur, ticket_id: str, changes: dict) -> dict:
    """Write the editable fields (all of them; unchanged ones keep their value)."""
    cur.execute(sql.SQL(
        "UPDATE ticket AS t SET subject = %s, form = %s, contact = %s, urgency = %s, fee = %s,"
        " paid = %s, category_id = %s, updated_at = now() WHERE t.id = %s RETURNING {}"
    ).format(TICKET),
        (changes["subject"], Json(changes["form"]), Json(changes["contact"]),
         changes["urgency"], changes["fee"], changes["paid"], _text(changes["category_id"]),
         ticket_id),
    )
    return cur.fetchone()


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
    """id, serial and accepted_at of these tickets, in the order given: the identity of
    the tickets a ticket repeats (T3), part of its record whoever handled them."""
    if not ticket_ids:
        return []
    cur.execute("SELECT t.id::text, t.serial, t.accepted_at FROM ticket t"
                " WHERE t.id = ANY(%s::uuid[])", (list(ticket_ids),))
    found = {r["id"]: r for r in cur.fetchall()}
    return [found[i] for i in ticket_ids if i in found]


def _text(value) -> str | None:
    return str(value) if value is not None else None


def ticket_for_request(cur, key: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM ticket_request r JOIN ticket t ON t.id = r.ticket_id"
                        " WHERE r.key = %s").format(TICKET), (key,))
    return cur.fetchone()


def remember_request(cur, key: str, ticket_id: str) -> None:
    cur.execute("INSERT INTO ticket_request (key, ticket_id) VALUES (%s, %s)", (key, ticket_id))


def of_customer(cur, customer_id: str, limit: int, scope: dict, columns=SUMMARY,
                open_only: bool = False) -> list[dict]:
    """The customer's most recent tickets of the scope (open ones only, when asked),
    newest first: the summary, or the record (columns=TICKET).  The customer's index
    ticket_customer (customer_id, accepted_at DESC) serves it."""
    cur.execute(sql.SQL(
        "SELECT {} FROM ticket t WHERE t.customer_id = %(customer)s AND {}"
        " AND (NOT %(open)s OR t.status NOT IN ('closed', 'cancelled'))"
        " ORDER BY t.accepted_at DESC LIMIT %(limit)s").format(columns, scoped.tickets(scope)),
        {"customer": customer_id, "open": open_only, "limit": limit, **scoped.params(scope)},
    )
    return cur.fetchall()


def mark_destroyed(cur, customer_id: str) -> None:
    """Remember that the customer was destroyed (C6): later tickets and contacts for it
    are refused.  Idempotent.  The exclusive per-customer advisory lock pairs with the
    shared one of the ticket_guard_destroyed trigger (migration 0002) and of
    contacts.customer_destroyed, so nothing created meanwhile escapes."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s::uuid::text, 6))",
                (customer_id,))
    cur.execute("INSERT INTO destroyed_customer (customer_id) VALUES (%s) ON CONFLICT DO NOTHING",
                (customer_id,))


def anonymise_customer(cur, customer_id: str, redacted: str) -> int:
    """Redact what a destroyed customer's tickets say — content and subject become
    `redacted`, form values and contact go (after mark_destroyed, in the same
    transaction).  Idempotent; returns how many tickets were redacted now."""
    cur.execute(
        "UPDATE ticket SET content = %(r)s,"
        " subject = CASE WHEN subject IS NULL THEN NULL ELSE %(r)s END,"
        " form = '{}', contact = '{}', anonymised_at = now()"
        " WHERE customer_id = %(customer)s AND anonymised_at IS NULL",
        {"r": redacted, "customer": customer_id},
    )
    return cur.rowcount


def scrub_events(cur, customer_id: str, free_text: list[str], redacted: str) -> None:
    """C6 (issue 9, finding 11): the outbox rows about a destroyed customer's tickets and
    contacts get `redacted` for each free-text field they hold; the parked events that
    name the customer keep their identity and lose their payload."""
    cur.execute(
        "UPDATE outbox o SET envelope = jsonb_set(o.envelope, '{data}', (o.envelope -> 'data')"
        " || (SELECT jsonb_object_agg(k, %(r)s::text) FROM unnest(%(keys)s::text[]) AS k"
        "     WHERE coalesce(o.envelope -> 'data' ->> k, '') NOT IN ('', %(r)s)))"
        " WHERE EXISTS (SELECT 1 FROM unnest(%(keys)s::text[]) AS k"
        "             WHERE coalesce(o.envelope -> 'data' ->> k, '') NOT IN ('', %(r)s))"
        " AND (o.envelope -> 'data' ->> 'customer_id' = %(customer)s"
        "      OR o.envelope -> 'data' ->> 'ticket_id' IN"
        "         (SELECT t.id::text FROM ticket t WHERE t.customer_id = %(customer)s::uuid))",
        {"r": redacted, "keys": list(free_text), "customer": customer_id},
    )
    cur.execute(
        "UPDATE parked_event SET body = jsonb_build_object('event_id', body -> 'event_id',"
        " 'type', body -> 'type', 'occurred_at', body -> 'occurred_at', 'data', '{}'::jsonb,"
        " 'scrubbed', %(r)s::text)"
        " WHERE body::text LIKE '%%' || %(customer)s || '%%'",
        {"r": redacted, "customer": customer_id},
    )


def repoint_customer(cur, merged_id: str, survivor_id: str) -> list[dict]:
    """Customer `merged_id` was merged into `survivor_id` (C8): its tickets follow.
    Idempotent (a repeat finds nothing left to move); returns those moved (id, serial,
    kind)."""
    cur.execute("UPDATE ticket SET customer_id = %s WHERE customer_id = %s"
                " RETURNING id::text, serial, kind", (survivor_id, merged_id))
    return cur.fetchall()
