"""The trail (T4): every step of a ticket, append-only (the runtime role may only
insert and read; see migration 0003)."""


def append(cur, ticket_id: str, actor_id: str, action: str, *, from_status=None,
           to_status=None, from_handler=None, to_handler=None, note: str = "") -> dict:
    cur.execute(
        "INSERT INTO ticket_trail (ticket_id, actor_id, action, from_status, to_status,"
        " from_handler, to_handler, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id, ticket_id::text, at, actor_id, action, from_status, to_status,"
        " from_handler, to_handler, note",
        (ticket_id, actor_id, action, from_status, to_status, from_handler, to_handler, note),
    )
    return cur.fetchone()


def of_ticket(cur, ticket_id: str) -> list[dict]:
    cur.execute(
        "SELECT id, ticket_id::text, at, actor_id, action, from_status, to_status,"
        " from_handler, to_handler, note FROM ticket_trail WHERE ticket_id = %s ORDER BY id",
        (ticket_id,),
    )
    return cur.fetchall()
