"""SQL of known devices (sign_in_device): the device tokens of good sign-ins, by digest."""


def owner(cur, token_hash: str, username: str, days: int) -> str | None:
    """The account id when this device token was given to `username` and used within
    `days`; None otherwise."""
    cur.execute(
        "SELECT d.staff_id::text AS staff_id FROM sign_in_device d"
        " JOIN staff s ON s.id = d.staff_id"
        " WHERE d.token_hash = %s AND s.username = %s"
        " AND d.last_used_at > now() - make_interval(days => %s)",
        (token_hash, username, days),
    )
    row = cur.fetchone()
    return row["staff_id"] if row else None


def remember(cur, token_hash: str, staff_id: str) -> None:
    """A device token given out, or one presented again with a good password."""
    cur.execute(
        "INSERT INTO sign_in_device (token_hash, staff_id) VALUES (%s, %s)"
        " ON CONFLICT (token_hash) DO UPDATE SET last_used_at = now()",
        (token_hash, staff_id),
    )


def forget_account(cur, staff_id: str) -> int:
    cur.execute("DELETE FROM sign_in_device WHERE staff_id = %s", (staff_id,))
    return cur.rowcount


def forget_unused(cur, days: int) -> int:
    cur.execute("DELETE FROM sign_in_device"
                " WHERE last_used_at < now() - make_interval(days => %s)", (days,))
    return cur.rowcount
