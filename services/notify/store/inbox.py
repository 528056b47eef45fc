"""All SQL of the staff inbox."""


def insert_inbox_item(cur, item: dict, event_id: str | None = None) -> None:
    """One notice; with an event id, at most one per (event, recipient)."""
    cur.execute(
        "INSERT INTO inbox_item (staff_id, title, body, ref_type, ref_id, event_id)"
        " VALUES (%(staff_id)s, %(title)s, %(body)s, %(ref_type)s, %(ref_id)s, %(event_id)s)"
        " ON CONFLICT (event_id, staff_id) WHERE event_id IS NOT NULL DO NOTHING",
        {**item, "event_id": event_id},
    )


def inbox_of(cur, staff_id: str, limit: int, unread: bool = False) -> list[dict]:
    cur.execute(
        "SELECT id::text, title, body, ref_type, ref_id, created_at, read_at FROM inbox_item"
        " WHERE staff_id = %s AND (NOT %s OR read_at IS NULL)"
        " ORDER BY created_at DESC, id LIMIT %s",
        (staff_id, unread, limit),
    )
    return cur.fetchall()


def mark_read(cur, staff_id: str, item_id: str) -> dict | None:
    """Mark one's own notice read (the first read time stays); None when it is not
    the staff member's."""
    cur.execute(
        "UPDATE inbox_item SET read_at = coalesce(read_at, now())"
        " WHERE id = %s AND staff_id = %s"
        " RETURNING id::text, title, body, ref_type, ref_id, created_at, read_at",
        (item_id, staff_id),
    )
    return cur.fetchone()
