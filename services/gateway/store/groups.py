"""SQL of groups of staff."""


def group_names(cur) -> set[str]:
    cur.execute("SELECT name FROM staff_group")
    return {r["name"] for r in cur.fetchall()}


def insert_group(cur, name: str, display_name: str) -> dict | None:
    """The new group; None when the name is taken."""
    cur.execute(
        "INSERT INTO staff_group (name, display_name) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING name, display_name",
        (name, display_name),
    )
    return cur.fetchone()


def list_groups(cur) -> list[dict]:
    cur.execute("SELECT name, display_name FROM staff_group ORDER BY name")
    return cur.fetchall()
