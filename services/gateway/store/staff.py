"""SQL of staff accounts.  Every change raises the account's version."""
from psycopg2 import sql

ACCOUNT = sql.SQL("id::text, username, display_name, roles, groups, clearance, active, version")


def insert_staff(cur, data: dict, password_hash: str) -> dict | None:
    """The new account (version 1); None when the username is taken."""
    cur.execute(
        sql.SQL("INSERT INTO staff (username, display_name, password_hash, roles, groups, clearance)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO NOTHING"
                " RETURNING {ACCOUNT}").format(ACCOUNT=ACCOUNT),
        (data["username"], data["display_name"], password_hash, data["roles"],
         data["groups"], data["clearance"]),
    )
    return cur.fetchone()


def staff_by_username(cur, username: str) -> dict | None:
    """The account with its password hash."""
    cur.execute(sql.SQL("SELECT password_hash, {ACCOUNT} FROM staff WHERE username = %s")
                .format(ACCOUNT=ACCOUNT), (username,))
    return cur.fetchone()


def staff_by_id(cur, staff_id: str, lock: bool = False) -> dict | None:
    """The account; `lock`: held until the transaction ends (a change decided on it)."""
    cur.execute(sql.SQL("SELECT {ACCOUNT} FROM staff WHERE id::text = %s{LOCK}")
                .format(ACCOUNT=ACCOUNT, LOCK=sql.SQL(" FOR UPDATE" if lock else "")),
                (staff_id,))
    return cur.fetchone()


def staff_by_ids(cur, staff_ids: list[str]) -> list[dict]:
    """The accounts of the ids given (uuids, in text), in one query."""
    cur.execute(sql.SQL("SELECT {ACCOUNT} FROM staff WHERE id = ANY (%s::uuid[])")
                .format(ACCOUNT=ACCOUNT), (list(staff_ids),))
    return cur.fetchall()


def credentials_by_id(cur, staff_id: str) -> dict | None:
    """The account with its password hash."""
    cur.execute(sql.SQL("SELECT password_hash, {ACCOUNT} FROM staff WHERE id::text = %s")
                .format(ACCOUNT=ACCOUNT), (staff_id,))
    return cur.fetchone()


def update_staff(cur, staff_id: str, account: dict, version: int) -> dict | None:
    """Set display_name, roles, groups, clearance and active, when the account is still
    at `version`; the account after, or None."""
    cur.execute(
        sql.SQL("UPDATE staff SET display_name = %(display_name)s, roles = %(roles)s,"
                " groups = %(groups)s, clearance = %(clearance)s, active = %(active)s,"
                " version = version + 1"
                " WHERE id::text = %(id)s AND version = %(version)s RETURNING {ACCOUNT}").format(ACCOUNT=ACCOUNT),
        {**account, "id": staff_id, "version": version},
    )
    return cur.fetchone()


def set_password(cur, staff_id: str, password_hash: str, version: int) -> dict | None:
    """A new password hash, when the account is still at `version`; the account after."""
    cur.execute(
        sql.SQL("UPDATE staff SET password_hash = %s, version = version + 1"
                " WHERE id::text = %s AND version = %s RETURNING {ACCOUNT}").format(ACCOUNT=ACCOUNT),
        (password_hash, staff_id, version),
    )
    return cur.fetchone()


def list_staff(cur, group: str | None, role: str | None, after: str | None,
               limit: int) -> list[dict]:
    """Staff by username, optionally of one group / role; keyset after a username."""
    cur.execute(
        sql.SQL("SELECT {ACCOUNT} FROM staff"
                " WHERE (%(group)s::text IS NULL OR %(group)s = ANY (groups))"
                " AND (%(role)s::text IS NULL OR %(role)s = ANY (roles))"
                " AND (%(after)s::text IS NULL OR username > %(after)s)"
                " ORDER BY username LIMIT %(limit)s").format(ACCOUNT=ACCOUNT),
        {"group": group, "role": role, "after": after, "limit": limit},
    )
    return cur.fetchall()
