"""SQL of categories and their forms (T1) and of the repeat rules (T3)."""
from psycopg2 import sql
from psycopg2.extras import Json

# A category as the contract's Category names it.
CATEGORY = sql.SQL("id::text, kind, subtype, name, form, active, created_at, updated_at")


def insert_category(cur, data: dict) -> dict:
    cur.execute(sql.SQL(
        "INSERT INTO category (kind, subtype, name, form, active) VALUES (%s, %s, %s, %s, %s)"
        " RETURNING {}").format(CATEGORY),
        (data["kind"], data.get("subtype"), data["name"], Json(data["form"]), data["active"]),
    )
    return cur.fetchone()


def category(cur, category_id: str, for_update: bool = False) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM category WHERE id = %s{}").format(
        CATEGORY, sql.SQL(" FOR UPDATE" if for_update else "")), (category_id,))
    return cur.fetchone()


def update_category(cur, category_id: str, data: dict) -> dict:
    cur.execute(sql.SQL(
        "UPDATE category SET subtype = %s, name = %s, form = %s, active = %s, updated_at = now()"
        " WHERE id = %s"
        " RETURNING {}").format(CATEGORY),
        (data["subtype"], data["name"], Json(data["form"]), data["active"], category_id),
    )
    return cur.fetchone()


def categories(cur, kind: str | None, include_inactive: bool) -> list[dict]:
    """All categories (a few hundred at most), by kind and name."""
    cur.execute(sql.SQL(
        "SELECT {} FROM category WHERE (%(kind)s::text IS NULL OR kind = %(kind)s)"
        " AND (%(all)s OR active) ORDER BY kind, name").format(CATEGORY),
        {"kind": kind, "all": include_inactive},
    )
    return cur.fetchall()


def repeat_rules(cur) -> dict[str, dict]:
    cur.execute("SELECT kind, window_days, threshold FROM repeat_rule")
    return {r["kind"]: r for r in cur.fetchall()}


def repeat_rule(cur, kind: str) -> dict | None:
    cur.execute("SELECT kind, window_days, threshold FROM repeat_rule WHERE kind = %s", (kind,))
    return cur.fetchone()


def set_repeat_rule(cur, rule: dict, actor_id: str) -> dict:
    cur.execute(
        "INSERT INTO repeat_rule (kind, window_days, threshold, updated_by)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (kind) DO UPDATE SET"
        " window_days = EXCLUDED.window_days, threshold = EXCLUDED.threshold,"
        " updated_by = EXCLUDED.updated_by, updated_at = now()"
        " RETURNING kind, window_days, threshold",
        (rule["kind"], rule["window_days"], rule["threshold"], actor_id),
    )
    return cur.fetchone()
