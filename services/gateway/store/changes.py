"""SQL of staff changes waiting for a second admin."""
from psycopg2 import sql
from psycopg2.extras import Json

CHANGE = sql.SQL("id::text, kind, status, staff_id::text, username, base_version, old, new,"
                 " grants, requested_by, requested_by_name, requested_at, decided_by,"
                 " decided_by_name, decided_at, note")


def insert_change(cur, change: dict) -> dict:
    cur.execute(
        sql.SQL("INSERT INTO staff_change (kind, staff_id, username, base_version, old, new,"
                " password_hash, grants, requested_by, requested_by_name)"
                " VALUES (%(kind)s, %(staff_id)s, %(username)s, %(base_version)s, %(old)s, %(new)s,"
                " %(password_hash)s, %(grants)s, %(requested_by)s, %(requested_by_name)s)"
                " RETURNING {CHANGE}").format(CHANGE=CHANGE),
        {**change, "old": Json(change["old"]) if change["old"] is not None else None,
         "new": Json(change["new"])},
    )
    return cur.fetchone()


def change_for_decision(cur, change_id: str) -> dict | None:
    """The change with the new account's password hash, locked until the transaction
    ends (one decision at a time)."""
    cur.execute(sql.SQL("SELECT password_hash, {CHANGE} FROM staff_change WHERE id = %s"
                        " FOR UPDATE").format(CHANGE=CHANGE), (change_id,))
    return cur.fetchone()


def decide(cur, change_id: str, status: str, decided_by: str, decided_by_name: str,
           note: str, staff_id: str | None) -> dict:
    """Record the decision; the password hash of a new account goes (it is in the
    account now, or nowhere)."""
    cur.execute(
        sql.SQL("UPDATE staff_change SET status = %s, decided_by = %s, decided_by_name = %s,"
                " decided_at = now(), note = %s, staff_id = coalesce(%s::uuid, staff_id),"
                " password_hash = NULL WHERE id = %s RETURNING {CHANGE}").format(CHANGE=CHANGE),
        (status, decided_by, decided_by_name, note, staff_id, change_id),
    )
    return cur.fetchone()


def change_by_id(cur, change_id: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {CHANGE} FROM staff_change WHERE id = %s")
                .format(CHANGE=CHANGE), (change_id,))
    return cur.fetchone()


def list_changes(cur, status: str | None, before: tuple | None, limit: int) -> list[dict]:
    """Changes newest first, of one status if asked; keyset before (requested_at, id)."""
    at, change_id = before or (None, None)
    cur.execute(
        sql.SQL("SELECT {CHANGE} FROM staff_change"
                " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(at)s::timestamptz IS NULL OR (requested_at, id) < (%(at)s, %(id)s::uuid))"
                " ORDER BY requested_at DESC, id DESC LIMIT %(limit)s").format(CHANGE=CHANGE),
        {"status": status, "at": at, "id": change_id, "limit": limit},
    )
    return cur.fetchall()
