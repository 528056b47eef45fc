"""SQL of the staff read model (from the gateway's staff events) and the on-duty flag."""
from psycopg2 import sql

COLUMNS = sql.SQL("id, username, display_name, roles, groups, active, on_duty, last_assigned_at")


def upsert(cur, staff: dict) -> None:
    """Insert or refresh a staff member, unless a newer version is already known (an
    update arriving late changes nothing); duty and assignment history are ours and stay."""
    cur.execute(
        "INSERT INTO staff_member AS s (id, username, display_name, roles, groups, active,"
        " version) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET username = excluded.username,"
        " display_name = excluded.display_name, roles = excluded.roles,"
        " groups = excluded.groups, active = excluded.active, version = excluded.version,"
        " updated_at = now() WHERE excluded.version >= s.version",
        (staff["staff_id"], staff["username"], staff.get("display_name") or "",
         list(staff["roles"]), list(staff["groups"]), staff.get("active", True),
         staff.get("version", 0)),
    )


def set_duty(cur, staff_id: str, username: str, roles: list[str], groups: list[str],
             on_duty: bool) -> dict:
    """Set a staff member's on-duty flag; one the events have not brought yet is known
    from the values given (the caller's token) until the event refreshes it."""
    cur.execute(sql.SQL(
        "INSERT INTO staff_member AS s (id, username, roles, groups, on_duty)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET on_duty = excluded.on_duty, updated_at = now()"
        " RETURNING {}").format(COLUMNS),
        (staff_id, username, roles, groups, on_duty),
    )
    return cur.fetchone()


def get(cur, staff_id: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM staff_member WHERE id = %s").format(COLUMNS),
                (staff_id,))
    return cur.fetchone()


def of_group(cur, group: str) -> list[dict]:
    cur.execute(sql.SQL(
        "SELECT {} FROM staff_member WHERE groups @> ARRAY[%s]::text[]"
        " ORDER BY on_duty DESC, last_assigned_at NULLS FIRST, id").format(COLUMNS),
        (group,),
    )
    return cur.fetchall()


def group_has_members(cur, group: str) -> bool:
    cur.execute("SELECT EXISTS (SELECT 1 FROM staff_member WHERE active"
                " AND groups @> ARRAY[%s]::text[]) AS found", (group,))
    return cur.fetchone()["found"]


def on_duty_ids(cur, group: str) -> list[str]:
    cur.execute(
        "SELECT id FROM staff_member WHERE active AND on_duty AND groups @> ARRAY[%s]::text[]"
        " ORDER BY id", (group,))
    return [r["id"] for r in cur.fetchall()]


def claim_on_duty(cur, group: str) -> dict | None:
    """The on-duty active member of `group` assigned least recently, locked and stamped
    as assigned now; concurrent claims skip each other's row (SKIP LOCKED)."""
    cur.execute(
        "SELECT id, groups FROM staff_member WHERE active AND on_duty"
        " AND groups @> ARRAY[%s]::text[]"
        " ORDER BY last_assigned_at NULLS FIRST, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        (group,),
    )
    row = cur.fetchone()
    if row is not None:
        mark_assigned(cur, row["id"])
    return row


def mark_assigned(cur, staff_id: str) -> None:
    cur.execute("UPDATE staff_member SET last_assigned_at = clock_timestamp() WHERE id = %s",
                (staff_id,))


def display_name(cur, staff_id: str) -> str | None:
    cur.execute("SELECT display_name FROM staff_member WHERE id = %s", (staff_id,))
    row = cur.fetchone()
    return row["display_name"] if row else None


def active_with_role(cur, role: str, group: str | None = None) -> list[str]:
    """Ids of the active staff members with the role (of the group, when given)."""
    cur.execute(
        "SELECT id FROM staff_member WHERE active AND %s = ANY(roles)"
        " AND (%s::text IS NULL OR groups @> ARRAY[%s]::text[]) ORDER BY id",
        (role, group, group))
    return [r["id"] for r in cur.fetchall()]
