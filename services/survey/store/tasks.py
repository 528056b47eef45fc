"""SQL of follow-up tasks and their attempts.  Every read of a task by a person puts the
caller's scope (domain.tasks.scope) in its WHERE clause."""
from psycopg2 import sql

COLUMNS = sql.SQL(
    "t.id::text, t.rule_id::text, t.previous_task_id::text, t.ticket_id, t.ticket_serial,"
    " t.ticket_kind, t.category_id, t.customer_id, t.level, t.groups, t.assignee_id,"
    " t.status, t.outcome, t.resolved_at, t.due_at, t.reminded_at, t.missed_at,"
    " t.completed_at, t.attempts, t.satisfaction, t.notes, t.new_ticket_id, t.created_at")
ATTEMPT_COLUMNS = sql.SQL(
    "id::text, task_id::text, request_key, number, staff_id, reached, reason, notes,"
    " satisfaction, call_again_on, needs_service, service_note, new_ticket_id,"
    " next_task_id::text, at")
SCOPE = sql.SQL("(%(all)s OR t.assignee_id = %(staff_id)s OR t.groups && %(groups)s::text[])")
WRITABLE = ("status", "outcome", "due_at", "reminded_at", "attempts", "satisfaction", "notes",
            "new_ticket_id")


def now(cur):
    cur.execute("SELECT now() AS now")
    return cur.fetchone()["now"]


def insert(cur, task: dict) -> dict | None:
    """The new task; None when the ticket already has one from this rule (a task of
    "call again" has no rule: always made)."""
    cur.execute(sql.SQL(
        "INSERT INTO followup_task AS t (rule_id, previous_task_id, ticket_id, ticket_serial,"
        " ticket_kind, category_id, customer_id, level, groups, assignee_id, resolved_at,"
        " due_at) VALUES (%(rule_id)s, %(previous_task_id)s, %(ticket_id)s,"
        " %(ticket_serial)s, %(ticket_kind)s, %(category_id)s, %(customer_id)s, %(level)s,"
        " %(groups)s, %(assignee_id)s, %(resolved_at)s, %(due_at)s)"
        " ON CONFLICT (ticket_id, rule_id) DO NOTHING RETURNING {}").format(COLUMNS), task)
    return cur.fetchone()


def rules_with_task(cur, ticket_id: str) -> set[str]:
    cur.execute("SELECT rule_id::text FROM followup_task WHERE ticket_id = %s"
                " AND rule_id IS NOT NULL", (ticket_id,))
    return {r["rule_id"] for r in cur.fetchall()}


def get(cur, task_id: str, scope: dict, for_update: bool = False) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM followup_task t WHERE t.id = %(id)s AND {}{}").format(
        COLUMNS, SCOPE, sql.SQL(" FOR UPDATE") if for_update else sql.SQL("")),
        {**scope, "id": task_id})
    return cur.fetchone()


def update(cur, task_id: str, changes: dict) -> dict:
    names = [f for f in WRITABLE if f in changes]
    done = sql.SQL(", completed_at = now()") if changes.get("status") == "done" \
        else sql.SQL("")
    cur.execute(sql.SQL("UPDATE followup_task t SET {}{}, updated_at = now() WHERE t.id = %s"
                        " RETURNING {}").format(
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(f)) for f in names),
        done, COLUMNS), [*(changes[f] for f in names), task_id])
    return cur.fetchone()


# -- lists --------------------------------------------------------------------------

VIEWS = {
    "open": sql.SQL("t.status = 'open'"),
    "due_today": sql.SQL("t.status = 'open' AND t.due_at >= %(day_start)s"
                         " AND t.due_at < %(day_end)s"),
    "overdue": sql.SQL("(t.status = 'missed' OR (t.status = 'open' AND t.due_at < now()))"),
    "missed": sql.SQL("t.status = 'missed'"),
    "done": sql.SQL("t.status = 'done'"),
}


def page(cur, view: str, where: dict, after: tuple | None, limit: int,
         day: tuple) -> list[dict]:
    """A page of tasks of one view, by due time (done: last completed first), after the
    cursor; `where` is {assignee_id} (mine) or a scope with an optional group/assignee."""
    done = view == "done"
    key = sql.SQL("t.completed_at") if done else sql.SQL("t.due_at")
    cursor = sql.SQL("")
    if after:
        cursor = sql.SQL(" AND ({}, t.id) {} (%(after_at)s, %(after_id)s::uuid)").format(
            key, sql.SQL("<" if done else ">"))
    order = sql.SQL("DESC") if done else sql.SQL("ASC")
    filters = [VIEWS[view]]
    if where.get("mine"):
        filters.append(sql.SQL("t.assignee_id = %(staff_id)s"))
    else:
        filters.append(SCOPE)
        if where.get("group"):
            filters.append(sql.SQL("t.groups @> ARRAY[%(group)s]::text[]"))
        if where.get("assignee_id"):
            filters.append(sql.SQL("t.assignee_id = %(assignee_id)s"))
    params = {**where, "limit": limit, "day_start": day[0], "day_end": day[1],
              "after_at": after[0] if after else None, "after_id": after[1] if after else None}
    cur.execute(sql.SQL("SELECT {} FROM followup_task t WHERE {}{} ORDER BY {} {}, t.id {}"
                        " LIMIT %(limit)s").format(
        COLUMNS, sql.SQL(" AND ").join(filters), cursor, key, order, order), params)
    return cur.fetchall()


def of_ticket(cur, ticket_id: str, scope: dict) -> list[dict]:
    cur.execute(sql.SQL("SELECT {} FROM followup_task t WHERE t.ticket_id = %(ticket_id)s"
                        " AND {} ORDER BY t.created_at, t.id").format(COLUMNS, SCOPE),
                {**scope, "ticket_id": ticket_id})
    return cur.fetchall()


def of_customer(cur, customer_id: str, scope: dict, before: tuple | None,
                limit: int) -> list[dict]:
    cursor = sql.SQL(" AND (t.created_at, t.id) < (%(at)s, %(id)s::uuid)") if before \
        else sql.SQL("")
    cur.execute(sql.SQL("SELECT {} FROM followup_task t WHERE t.customer_id = %(customer_id)s"
                        " AND {}{} ORDER BY t.created_at DESC, t.id DESC LIMIT %(limit)s"
                        ).format(COLUMNS, SCOPE, cursor),
                {**scope, "customer_id": customer_id, "limit": limit,
                 "at": before[0] if before else None, "id": before[1] if before else None})
    return cur.fetchall()


# -- attempts -----------------------------------------------------------------------

def attempts_of(cur, task_ids: list[str]) -> list[dict]:
    cur.execute(sql.SQL("SELECT {} FROM followup_attempt WHERE task_id = ANY(%s::uuid[])"
                        " ORDER BY task_id, number").format(ATTEMPT_COLUMNS), (task_ids,))
    return cur.fetchall()


def attempt_by_key(cur, task_id: str, request_key: str) -> dict | None:
    cur.execute(sql.SQL("SELECT {} FROM followup_attempt WHERE task_id = %s"
                        " AND request_key = %s").format(ATTEMPT_COLUMNS),
                (task_id, request_key))
    return cur.fetchone()


def insert_attempt(cur, task_id: str, request_key: str, number: int, staff_id: str,
                   attempt: dict) -> dict:
    cur.execute(sql.SQL(
        "INSERT INTO followup_attempt (task_id, request_key, number, staff_id, reached,"
        " reason, notes, satisfaction, call_again_on, needs_service, service_note)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {}").format(
        ATTEMPT_COLUMNS),
        (task_id, request_key, number, staff_id, attempt["reached"], attempt["reason"],
         attempt["notes"], attempt["satisfaction"], attempt["call_again_on"],
         attempt["needs_service"], attempt["service_note"]))
    return cur.fetchone()


def set_attempt(cur, attempt_id: str, **values) -> dict:
    names = [n for n in ("new_ticket_id", "next_task_id") if n in values]
    cur.execute(sql.SQL("UPDATE followup_attempt SET {} WHERE id = %s RETURNING {}").format(
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in names),
        ATTEMPT_COLUMNS), [*(values[n] for n in names), attempt_id])
    return cur.fetchone()


# -- the timers: claims safe with several replicas ---------------------------------

def claim_missed(cur, limit: int) -> list[dict]:
    """Open tasks past due, marked missed and returned — each by exactly one replica:
    rows another transaction holds are skipped, and a row it already marked no longer
    matches `status = 'open'` (re-checked under the lock).  A task is missed once: one
    missed before and open again after an unreached call keeps its `missed_at` and is
    not claimed (counted, escalated) again."""
    cur.execute(sql.SQL(
        "UPDATE followup_task t SET status = 'missed', missed_at = now(), updated_at = now()"
        " WHERE t.id IN (SELECT id FROM followup_task WHERE status = 'open'"
        "   AND missed_at IS NULL AND due_at < now() ORDER BY due_at LIMIT %s"
        "   FOR UPDATE SKIP LOCKED)"
        " AND t.status = 'open' AND t.missed_at IS NULL RETURNING {}").format(COLUMNS),
        (limit,))
    return cur.fetchall()


def claim_due_soon(cur, minutes: int, limit: int) -> list[dict]:
    """Open tasks due within `minutes` and not yet reminded of this due time, stamped."""
    cur.execute(sql.SQL(
        "UPDATE followup_task t SET reminded_at = now()"
        " WHERE t.id IN (SELECT id FROM followup_task WHERE status = 'open'"
        "   AND reminded_at IS NULL AND due_at >= now()"
        "   AND due_at <= now() + make_interval(mins => %s)"
        "   ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED)"
        " AND t.reminded_at IS NULL RETURNING {}").format(COLUMNS), (minutes, limit))
    return cur.fetchall()


# -- a customer's lifecycle ---------------------------------------------------------

def erase_customer(cur, customer_id: str, erased: str) -> int:
    """The notes of a destroyed customer's tasks and attempts become `erased`."""
    cur.execute("UPDATE followup_attempt a"
                " SET notes = CASE WHEN a.notes = '' THEN '' ELSE %s END,"
                " service_note = CASE WHEN a.service_note = '' THEN '' ELSE %s END"
                " FROM followup_task t WHERE a.task_id = t.id AND t.customer_id = %s",
                (erased, erased, customer_id))
    cur.execute("UPDATE followup_task SET notes = CASE WHEN notes = '' THEN '' ELSE %s END,"
                " updated_at = now() WHERE customer_id = %s", (erased, customer_id))
    return cur.rowcount


def close_customer(cur, customer_id: str) -> int:
    """A destroyed customer's open (and missed) tasks end: done, outcome `erased` — no
    reminder, no missed fault follows."""
    cur.execute("UPDATE followup_task SET status = 'done', outcome = 'erased',"
                " completed_at = now(), updated_at = now()"
                " WHERE customer_id = %s AND status <> 'done'", (customer_id,))
    return cur.rowcount


def repoint_customer(cur, merged_id: str, survivor_id: str) -> int:
    cur.execute("UPDATE followup_task SET customer_id = %s, updated_at = now()"
                " WHERE customer_id = %s", (survivor_id, merged_id))
    return cur.rowcount


def learn_level(cur, customer_id: str, level: int, as_of) -> bool:
    """Keep the customer's level as said at `as_of`, unless what is kept was said later;
    True when it was kept."""
    cur.execute(
        "INSERT INTO customer_level AS l (customer_id, level, as_of) VALUES (%s, %s, %s)"
        " ON CONFLICT (customer_id) DO UPDATE SET level = excluded.level,"
        " as_of = excluded.as_of, updated_at = now() WHERE l.as_of <= excluded.as_of",
        (customer_id, level, as_of))
    return cur.rowcount == 1


def set_level(cur, customer_id: str, level: int) -> int:
    """Every task of the customer takes its level."""
    cur.execute("UPDATE followup_task SET level = %s, updated_at = now()"
                " WHERE customer_id = %s AND level <> %s", (level, customer_id, level))
    return cur.rowcount
