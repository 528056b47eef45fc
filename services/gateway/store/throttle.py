"""SQL of the sign-in throttle: failures in a row per username, and the lock."""


def locked_until(cur, username: str):
    """The end of the lock if it is still in force, else None."""
    cur.execute(
        "SELECT locked_until FROM login_throttle WHERE username = %s AND locked_until > now()",
        (username,),
    )
    row = cur.fetchone()
    return row["locked_until"] if row else None


def record_failure(cur, username: str) -> int:
    """The failures in a row, this one included."""
    cur.execute(
        "INSERT INTO login_throttle (username, failures) VALUES (%s, 1)"
        " ON CONFLICT (username) DO UPDATE SET failures = login_throttle.failures + 1"
        " RETURNING failures",
        (username,),
    )
    return cur.fetchone()["failures"]


def lock(cur, username: str, period) -> None:
    cur.execute(
        "UPDATE login_throttle SET locked_until = now() + %s WHERE username = %s",
        (period, username),
    )


def clear_failures(cur, username: str) -> None:
    cur.execute("DELETE FROM login_throttle WHERE username = %s", (username,))
