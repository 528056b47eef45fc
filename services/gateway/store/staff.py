"""SQL of staff accounts."""


def insert_staff(cur, data: dict, password_hash: str) -> dict | None:
    """The new account; None when the username is taken."""
    cur.execute(
        "INSERT INTO staff (username, display_name, password_hash, roles, groups, clearance)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO NOTHING"
        " RETURNING id::text, username, display_name, roles, groups, clearance, active",
        (data["username"], data["display_name"], password_hash, data["roles"],
         data["groups"], data["clearance"]),
    )
    return cur.fetchone()


def staff_by_username(cur, username: str) -> dict | None:
    """The account with its password hash."""
    cur.execute("SELECT password_hash, id::text, username, display_name, roles, groups, clearance, active FROM staff WHERE username = %s", (username,))
    return cur.fetchone()


def staff_by_id(cur, staff_id: str) -> dict | None:
    cur.execute("SELECT id::text, username, display_name, roles, groups, clearance, active FROM staff WHERE id::text = %s", (staff_id,))
    return cur.fetchone()


def update_staff(cur, staff_id: str, changes: dict) -> dict | None:
    """Apply the given fields (display_name, roles, groups, clearance, active)."""
    cur.execute(
        "UPDATE staff SET display_name = coalesce(%(display_name)s, display_name),"
        " roles = coalesce(%(roles)s, roles), groups = coalesce(%(groups)s, groups),"
        " clearance = coalesce(%(clearance)s, clearance), active = coalesce(%(active)s, active)"
        " WHERE id::text = %(id)s RETURNING id::text, username, display_name, roles, groups, clearance, active",
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
