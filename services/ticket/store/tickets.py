"""All SQL of the ticket service."""



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
    cur.execute(
        "INSERT INTO ticket AS t (serial, kind, customer_id, content, channel, urgency,"
        " acceptor_id, accepted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at",
        (serial, data["kind"], str(data["customer_id"]), data["content"], data["channel"],
         data["urgency"], acceptor_id, accepted_at),
    )
    return cur.fetchone()


def ticket_for_request(cur, key: str) -> dict | None:
    cur.execute(
        "SELECT t.id::text, t.serial, t.kind, t.customer_id::text, t.content, t.channel, t.urgency, t.status, t.acceptor_id, t.accepted_at FROM ticket_request r JOIN ticket t ON t.id = r.ticket_id"
        " WHERE r.key = %s",
        (key,),
    )
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
