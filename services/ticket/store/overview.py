"""SQL of the customer overview the screen pop shows: open and recent tickets (the
customer's index ticket_customer (customer_id, accepted_at DESC) serves both)."""

_SUMMARY = (
    "SELECT t.id::text, t.serial, t.kind, t.category_id::text, t.subject, t.content,"
    " t.channel, t.urgency, t.status, t.waiting_on, t.group_name, t.assignee_id,"
    " t.accepted_at, t.resolution_due_at, t.repeat_of::text[] FROM ticket t"
)


def open_tickets(cur, customer_id: str, limit: int) -> list[dict]:
    cur.execute(
        _SUMMARY + " WHERE t.customer_id = %s AND t.status NOT IN ('closed', 'cancelled')"
        " ORDER BY t.accepted_at DESC LIMIT %s",
        (customer_id, limit),
    )
    return cur.fetchall()


def recent_tickets(cur, customer_id: str, limit: int) -> list[dict]:
    cur.execute(_SUMMARY + " WHERE t.customer_id = %s ORDER BY t.accepted_at DESC LIMIT %s",
                (customer_id, limit))
    return cur.fetchall()
