"""SQL of sessions: refresh tokens, kept by their digest (issue 9, finding 5)."""


def insert_token(cur, token_hash: str, session_id: str, staff_id: str, expires_at) -> None:
    cur.execute(
        "INSERT INTO refresh_token (token_hash, session_id, staff_id, expires_at)"
        " VALUES (%s, %s, %s, %s)",
        (token_hash, session_id, staff_id, expires_at),
    )


def token_for_use(cur, token_hash: str) -> dict | None:
    """The token's row, locked until the transaction ends (one use at a time), with
    whether its session has ended by time (`expired`)."""
    cur.execute(
        "SELECT session_id::text, staff_id::text, expires_at, used_at, revoked_at,"
        " expires_at <= now() AS expired"
        " FROM refresh_token WHERE token_hash = %s FOR UPDATE",
        (token_hash,),
    )
    return cur.fetchone()


def mark_used(cur, token_hash: str) -> None:
    cur.execute("UPDATE refresh_token SET used_at = now() WHERE token_hash = %s", (token_hash,))


def revoke(cur, why: str, session_id: str | None = None, staff_id: str | None = None) -> int:
    """End a session (every token of it), or every session of an account; how many
    tokens were live."""
    cur.execute(
        "UPDATE refresh_token SET revoked_at = now(), revoked_why = %(why)s"
        " WHERE revoked_at IS NULL"
        " AND (session_id = %(session)s::uuid OR staff_id = %(staff)s::uuid)",
        {"why": why, "session": session_id, "staff": staff_id},
    )
    return cur.rowcount


def session_of(cur, token_hash: str) -> str | None:
    cur.execute("SELECT session_id::text FROM refresh_token WHERE token_hash = %s",
                (token_hash,))
    row = cur.fetchone()
    return row["session_id"] if row else None


def forget_ended(cur, older_than_seconds: int) -> int:
    """Drop tokens of sessions that ended (by time) longer ago than this."""
    cur.execute(
        "DELETE FROM refresh_token WHERE expires_at < now() - make_interval(secs => %s)",
        (older_than_seconds,),
    )
    return cur.rowcount


def live_session(cur, token_hash: str) -> dict | None:
    """A console's session (its cookie is a refresh token the browser never rotates):
    the account behind a live, unused, unrevoked token, or None."""
    cur.execute(
        "SELECT t.session_id::text, t.staff_id::text FROM refresh_token t"
        " WHERE t.token_hash = %s AND t.used_at IS NULL AND t.revoked_at IS NULL"
        " AND t.expires_at > now()",
        (token_hash,),
    )
    return cur.fetchone()
