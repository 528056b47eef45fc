"""The data scope (domain.access) as SQL: the condition a statement puts in its WHERE
clause so that it reads only the tickets — and the contacts and field jobs of tickets —
a caller reaches; and the confidentiality level a row inherits from its customer.

The conditions use named parameters: a statement binds `params(scope)` (scope_me,
scope_groups) with its own.  They are fixed fragments joined with psycopg2.sql.
"""
from psycopg2 import sql

TRUE, FALSE = sql.SQL("true"), sql.SQL("false")


def params(scope: dict) -> dict:
    return {"scope_me": scope["staff_id"], "scope_groups": list(scope["groups"])}


def tickets(scope: dict, alias: str = "t") -> sql.Composable:
    """Tickets of the scope: all, or assigned to the caller, or (while unassigned when
    the scope says so) accepted by them or of their groups — a ticket of no group being
    its acceptor's groups' (the staff read model)."""
    if scope["all"]:
        return TRUE
    if not scope["staff_id"]:
        return FALSE
    t = sql.Identifier(alias)
    shared = []
    if scope["acceptor"]:
        shared.append(sql.SQL("{}.acceptor_id = %(scope_me)s").format(t))
    if scope["groups"]:
        shared.append(sql.SQL(
            "{t}.group_name = ANY(%(scope_groups)s::text[]) OR ({t}.group_name IS NULL"
            " AND EXISTS (SELECT 1 FROM staff_member sm WHERE sm.id = {t}.acceptor_id"
            " AND sm.groups && %(scope_groups)s::text[]))").format(t=t))
    mine = sql.SQL("{}.assignee_id = %(scope_me)s").format(t)
    if not shared:
        return mine
    either = sql.SQL(" OR ").join(shared)
    if scope["unassigned_only"]:
        either = sql.SQL("{}.assignee_id IS NULL AND ({})").format(t, either)
    return sql.SQL("({} OR ({}))").format(mine, either)


def contacts(scope: dict, alias: str = "c") -> sql.Composable:
    """Contacts of the scope: its agent's or logger's own; with a ticket, those of a
    ticket of the scope; with none, those of an agent of the caller's groups."""
    if scope["all"]:
        return TRUE
    if not scope["staff_id"]:
        return FALSE
    c = sql.Identifier(alias)
    reach = [sql.SQL("{c}.agent_id = %(scope_me)s OR {c}.logged_by = %(scope_me)s").format(c=c),
             sql.SQL("({c}.ticket_id IS NOT NULL AND EXISTS (SELECT 1 FROM ticket st"
                     " WHERE st.id = {c}.ticket_id AND {scope}))").format(
                         c=c, scope=tickets(scope, "st"))]
    if scope["groups"]:
        reach.append(sql.SQL(
            "({c}.ticket_id IS NULL AND EXISTS (SELECT 1 FROM staff_member sm"
            " WHERE sm.id = {c}.agent_id AND sm.groups && %(scope_groups)s::text[]))").format(
                c=c))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(reach))


def dispatches(scope: dict, alias: str = "d", ticket: str = "t") -> sql.Composable:
    """Field jobs of the scope: those of a ticket of the scope, and one's own."""
    if scope["all"]:
        return TRUE
    if not scope["staff_id"]:
        return FALSE
    return sql.SQL("({}.staff_id = %(scope_me)s OR {})").format(
        sql.Identifier(alias), tickets(scope, ticket))


def level(alias: str = "t") -> sql.Composable:
    """The level a row inherits from its customer now (migration 0010: level_of)."""
    return sql.SQL("level_of({}.customer_id) AS level").format(sql.Identifier(alias))
