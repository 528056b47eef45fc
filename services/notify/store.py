"""All SQL of the notify service."""


def insert_inbox_item(cur, item: dict) -> None:
    cur.execute(
        "INSERT INTO inbox_item (staff_id, title, body, ref_type, ref_id)"
        " VALUES (%(staff_id)s, %(title)s, %(body)s, %(ref_type)s, %(ref_id)s)",
        item,
    )


def inbox_of(cur, staff_id: str, limit: int) -> list[dict]:
    cur.execute(
        "SELECT id::text, title, body, ref_type, ref_id, created_at, read_at FROM inbox_item"
        " WHERE staff_id = %s ORDER BY created_at DESC, id LIMIT %s",
        (staff_id, limit),
    )
    return cur.fetchall()
