"""SQL of the sign-in throttle: attempts in a row per (scope, key), and the lock.

One statement counts an attempt and refuses a locked key; the row stays locked
until the transaction ends, so the lock the count calls for is set before any
parallel attempt reads the row.
"""


def charge(cur, scope: str, key: str, forget_seconds: int) -> int | None:
    """Count one attempt: the attempts in a row, this one included (failures older
    than `forget_seconds` are forgotten); None while the key is locked (nothing
    counted)."""
    cur.execute(
        "INSERT INTO login_throttle AS t (scope, key, failures, last_failure_at)"
        " VALUES (%(scope)s, %(key)s, 1, now())"
        " ON CONFLICT (scope, key) DO UPDATE SET last_failure_at = now(), failures ="
        " CASE WHEN t.last_failure_at > now() - make_interval(secs => %(forget)s)"
        " THEN t.failures + 1 ELSE 1 END"
        " WHERE t.locked_until IS NULL OR t.locked_until <= now()"
        " RETURNING failures",
        {"scope": scope, "key": key, "forget": forget_seconds},
    )
    row = cur.fetchone()
    return row["failures"] if row else None


def lock(cur, scope: str, key: str, period) -> None:
    cur.execute(
        "UPDATE login_throttle SET locked_until = now() + %s WHERE scope = %s AND key = %s",
        (period, scope, key),
    )


def clear(cur, scope: str, key: str) -> None:
    cur.execute("DELETE FROM login_throttle WHERE scope = %s AND key = %s", (scope, key))


def give_back(cur, scope: str, key: str, free: int) -> None:
    """Uncount one attempt (it succeeded, or never ran); the lock goes with it when
    the attempts left are fewer than `free`."""
    cur.execute(
        "UPDATE login_throttle SET failures = greatest(failures - 1, 0), locked_until ="
        " CASE WHEN failures - 1 < %s THEN NULL ELSE locked_until END"
        " WHERE scope = %s AND key = %s",
        (free, scope, key),
    )


def forget_stale(cur, older_than_seconds: int) -> int:
    """Drop the keys whose last failure is older than that and that are not locked."""
    cur.execute(
        "DELETE FROM login_throttle WHERE last_failure_at < now() - make_interval(secs => %s)"
        " AND (locked_until IS NULL OR locked_until <= now())",
        (older_than_seconds,),
    )
    return cur.rowcount
