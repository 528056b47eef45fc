"""SQL of the staff read model (from the gateway's staff events): the members of a
follow-up group with their open tasks, and whom to escalate to."""


def upsert(cur, staff: dict) -> None:
    """Insert or refresh a staff member, unless a newer version is already known."""
    cur.execute(
        "INSERT INTO staff_member AS s (id, username, display_name, roles, groups, active,"
        " version) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET username = excluded.username,"
        " display_name = excluded.display_name, roles = excluded.roles,"
        " groups = excluded.groups, active = excluded.active, version = excluded.version,"
        " updated_at = now() WHERE excluded.version >= s.version",
        (staff["staff_id"], staff["username"], staff.get("display_name") or "",
         list(staff["roles"]), list(staff["groups"]), staff.get("active", True),
         staff.get("version", 0)))


def lock_group(cur, group: str) -> None:
    """Serialise assignments within one group until the transaction ends (two tasks made
    at once do not both go to the same least-busy member)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('followup-group:' || %s))", (group,))


def agents_with_load(cur, group: str) -> list[dict]:
    """The active agents of the group, each with the number of its open tasks."""
    cur.execute(
        "SELECT s.id, s.username, (SELECT count(*) FROM followup_task t"
        "   WHERE t.assignee_id = s.id AND t.status = 'open') AS open_tasks"
        " FROM staff_member s WHERE s.active AND 'agent' = ANY(s.roles)"
        " AND s.groups @> ARRAY[%s]::text[]", (group,))
    return cur.fetchall()


def groups_of(cur, staff_id: str) -> list[str]:
    cur.execute("SELECT groups FROM staff_member WHERE id = %s", (staff_id,))
    row = cur.fetchone()
    return list(row["groups"]) if row else []


def active_with_role(cur, role: str, groups: list[str] | None = None) -> list[str]:
    """Ids of the active staff members with the role (in one of `groups`, when given)."""
    cur.execute(
        "SELECT id FROM staff_member WHERE active AND %s = ANY(roles)"
        " AND (%s::text[] IS NULL OR groups && %s::text[]) ORDER BY id",
        (role, groups, groups))
    return [r["id"] for r in cur.fetchall()]
