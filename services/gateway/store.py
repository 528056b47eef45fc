"""All SQL of the gateway: staff, groups, login throttling."""

def insert_staff(cur, data: dict, password_hash: str) -> dict:
    cur.execute(
        "INSERT INTO staff (username, display_name, password_hash, roles, groups, clearance)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO NOTHING"
        " RETURNING id::text, username, display_name, roles, groups, clearance, active",
        (data["username"], data["display_name"], password_hash, data["roles"],
         data["groups"], data["clearance"]),
    )
    return cur.fetchone()


def staff_by_username(cur, username: str) -> dict | None:
    cur.execute(
        "SELECT password_hash, id::text, username, display_name, roles, groups, clearance, active FROM staff WHERE username = %s",
        (username,),
    )
    return cur.fetchone()


def staff_by_id(cur, staff_id: str) -> dict | None:
    cur.execute("SELECT id::text, username, display_name, roles, groups, clearance, active FROM staff WHERE id::text = %s", (staff_id,))
    return cur.fetchone()


def group_names(cur) -> set[str]:
    cur.execute("SELECT name FROM staff_group")
    return {r["name"] for r in cur.fetchall()}


def insert_group(cur, name: str, display_name: str) -> dict | None:
    cur.execute(
        "INSERT INTO staff_group (name, display_name) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING name, display_name",
        (name, display_name),
    )
    return cur.fetchone()


def list_groups(cur) -> list[dict]:
    cur.execute("SELECT name, display_name FROM staff_group ORDER BY name")
    return cur.fetchall()


def locked_until(cur, username: str):
    """The end of the lock if it is still in force, else None."""
    cur.execute(
        "SELECT locked_until FROM login_throttle WHERE username = %s AND locked_until > now()",
        (username,),
    )
    row = cur.fetchone()
    return row["locked_until"] if row else None


def record_failure(cur, username: str) -> int:
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


def update_staff(cur, staff_id: str, changes: dict) -> dict | None:
    """Apply the given fields (display_name, roles, groups, clearance, active)."""
    cur.execute(
        "UPDATE staff SET display_name = coalesce(%(display_name)s, display_name),"
        " roles = coalesce(%(roles)s, roles), groups = coalesce(%(groups)s, groups),"
        " clearance = coalesce(%(clearance)s, clearance), active = coalesce(%(active)s, active)"
        " WHERE id::text = %(id)s"
        " RETURNING id::text, username, display_name, roles, groups, clearance, active",
        {"id": staff_id, "display_name": changes.get("display_name"),
         "roles": changes.get("roles"), "groups": changes.get("groups"),
         "clearance": changes.get("clearance"), "active": changes.get("active")},
    )
    return cur.fetchone()


def list_staff(cur, group: str | None, role: str | None, after: str | None,
               limit: int) -> list[dict]:
    """Staff by username, optionally of one group / role; keyset after a username."""
    cur.execute(
        "SELECT id::text, username, display_name, roles, groups, clearance, active FROM staff"
        " WHERE (%(group)s::text IS NULL OR %(group)s = ANY (groups))"
        " AND (%(role)s::text IS NULL OR %(role)s = ANY (roles))"
        " AND (%(after)s::text IS NULL OR username > %(after)s)"
        " ORDER BY username LIMIT %(limit)s",
        {"group": group, "role": role, "after": after, "limit": limit},
    )
    return cur.fetchall()
