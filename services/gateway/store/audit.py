"""SQL of the staff audit: every change of an account (append-only: the runtime role
may only insert and read it)."""
from psycopg2.extras import Json


def insert_entry(cur, entry: dict) -> None:
    """One row of the staff audit (append-only: the runtime role may only insert and
    read it)."""
    cur.execute(
        "INSERT INTO staff_audit (action, actor_id, actor_name, staff_id, username, old, new,"
        " change_id, requested_by, approved_by, note)"
        " VALUES (%(action)s, %(actor_id)s, %(actor_name)s, %(staff_id)s, %(username)s,"
        " %(old)s, %(new)s, %(change_id)s, %(requested_by)s, %(approved_by)s, %(note)s)",
        {"staff_id": None, "old": None, "new": None, "change_id": None, "requested_by": None,
         "approved_by": None, "note": "",
         **entry, **{k: Json(entry[k]) for k in ("old", "new") if entry.get(k) is not None}},
    )


def entries(cur, staff_id: str | None, username: str | None, before: int | None,
            limit: int) -> list[dict]:
    """Audit rows, newest first, of one account (by id or username) or all; keyset
    before an id."""
    cur.execute(
        "SELECT id, at, action, actor_id, actor_name, staff_id, username, old, new,"
        " change_id::text, requested_by, approved_by, note FROM staff_audit"
        " WHERE (%(staff_id)s::text IS NULL OR staff_id = %(staff_id)s)"
        " AND (%(username)s::text IS NULL OR username = %(username)s)"
        " AND (%(before)s::bigint IS NULL OR id < %(before)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"staff_id": staff_id, "username": username, "before": before, "limit": limit},
    )
    return cur.fetchall()
