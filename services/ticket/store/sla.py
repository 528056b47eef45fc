"""SLA hooks (T6) the other areas call in their own transactions.  Being built:
until then they change nothing."""


def apply_on_create(cur, ticket: dict) -> dict:
    """Set response_due_at / resolution_due_at of a just-inserted ticket (a dict with
    id, kind, urgency, accepted_at); returns {"response_due_at", "resolution_due_at"}."""
    return {"response_due_at": None, "resolution_due_at": None}


def apply_on_status(cur, ticket_id: str, from_status: str, to_status: str,
                    waiting_on: str | None = None) -> None:
    """After a status change in the same transaction: pause while waiting on the
    customer, resume (pushing due times by the business time paused), stamp the
    first response."""
