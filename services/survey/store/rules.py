"""SQL of follow-up rules."""
from psycopg2 import sql

COLUMNS = sql.SQL(
    "id::text, name, active, kinds, subtypes, category_ids, assignee_ids, vip_only,"
    " share_percent, rest_only, delay_amount, delay_unit, group_name, agent_id, trigger,"
    " created_by,"
    " created_at, updated_at")
FIELDS = ("name", "active", "kinds", "subtypes", "category_ids", "assignee_ids", "vip_only",
          "share_percent", "rest_only", "delay_amount", "delay_unit", "group_name", "agent_id",
          "trigger")


def insert(cur, rule: dict, created_by: str) -> dict:
    names = [f for f in FIELDS if f in rule]
    cur.execute(sql.SQL("INSERT INTO followup_rule ({}, created_by) VALUES ({}, %s)"
                        " RETURNING {}").format(
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)), COLUMNS),
        [*(rule[f] for f in names), created_by])
    return cur.fetchone()


def get(cur, rule_id: str, for_update: bool = False) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM followup_rule WHERE id = %s{}").format(
        COLUMNS, sql.SQL(" FOR UPDATE") if for_update else sql.SQL("")), (rule_id,))
    return cur.fetchone()


def update(cur, rule_id: str, changes: dict) -> dict:
    names = [f for f in FIELDS if f in changes]
    cur.execute(sql.SQL("UPDATE followup_rule SET {}, updated_at = now() WHERE id = %s"
                        " RETURNING {}").format(
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(f)) for f in names),
        COLUMNS), [*(changes[f] for f in names), rule_id])
    return cur.fetchone()


def listed(cur, active_only: bool) -> list[dict]:
    cur.execute(sql.SQL("SELECT {} FROM followup_rule WHERE active OR NOT %s"
                        " ORDER BY lower(name), id").format(COLUMNS), (active_only,))
    return cur.fetchall()


def active(cur, trigger: str) -> list[dict]:
    """The active rules a trigger (resolved, dispatch_handled) applies."""
    return [r for r in listed(cur, True) if r["trigger"] == trigger]
