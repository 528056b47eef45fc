"""Use cases of follow-up tasks: reading them (V1), recording a call (V2), and the
timers — reminders before the due time, and tasks past due marked missed (a counted
fault) and escalated to the supervisors of their groups."""
import datetime
import logging
import uuid

from prometheus_client import Counter

from services.common.business_time import BusinessHours, Calendar
from services.common.errors import Invalid
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor
from services.common.rpc import call
from services.common.zone import business_day, day_start
from services.survey.contract.events import FollowupCompleted, FollowupDueSoon, FollowupMissed
from services.survey.domain import assignment, rules, tasks
from services.survey.handlers.events import emit_created
from services.survey.store import staff as staff_store
from services.survey.store import tasks as store

log = logging.getLogger(__name__)
BATCH = 200
RPC_SECONDS = 10.0
COMPLETED, DUE_SOON, MISSED = FollowupCompleted(), FollowupDueSoon(), FollowupMissed()


# -- reading --------------------------------------------------------------------------

def _with_attempts(cur, principal: Principal, rows: list[dict]) -> list[dict]:
    by_task: dict = {}
    for attempt in store.attempts_of(cur, [r["id"] for r in rows]) if rows else []:
        by_task.setdefault(attempt["task_id"], []).append(attempt)
    return [tasks.shown(principal, r, by_task.get(r["id"], [])) for r in rows]


def _today(now: datetime.datetime) -> tuple:
    """[start, end) of today in China."""
    start = day_start(business_day(now))
    return start, start + datetime.timedelta(days=1)


def _page(tx, principal: Principal, where: dict, query: dict) -> dict:
    after = decode_cursor(query["cursor"])
    rows = store.page(tx.cur, query["view"], where, after, query["limit"],
                      _today(store.now(tx.cur)))
    key = "completed_at" if query["view"] == "done" else "due_at"
    following = encode_cursor(rows[-1][key], rows[-1]["id"]) \
        if len(rows) == query["limit"] else None
    return {"tasks": _with_attempts(tx.cur, principal, rows), "next": following}


def my_followups(tx, principal: Principal, query: dict) -> dict:
    """The caller's own tasks of one view (open, due today, overdue, missed, done)."""
    return _page(tx, principal, {"mine": True, "staff_id": principal.id}, query)


def list_followups(tx, principal: Principal, query: dict) -> dict:
    """The tasks of the caller's scope (supervisors: their groups'), of one view."""
    where = {**tasks.scope(principal), "group": tasks.list_group(principal, query["group"]),
             "assignee_id": query["assignee_id"]}
    return _page(tx, principal, where, query)


def get_followup(tx, principal: Principal, task_id: str) -> dict:
    task = tasks.found(store.get(tx.cur, task_id, tasks.scope(principal)))
    return _with_attempts(tx.cur, principal, [task])[0]


def followups_of_ticket(tx, principal: Principal, ticket_id: str) -> dict:
    rows = store.of_ticket(tx.cur, ticket_id, tasks.scope(principal))
    return {"tasks": _with_attempts(tx.cur, principal, rows)}


def followups_of_customer(tx, principal: Principal, customer_id: str, query: dict) -> dict:
    rows = store.of_customer(tx.cur, customer_id, tasks.scope(principal),
                             decode_cursor(query["cursor"]), query["limit"])
    following = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) \
        if len(rows) == query["limit"] else None
    return {"tasks": _with_attempts(tx.cur, principal, rows), "next": following}


# -- recording a call (V2) ------------------------------------------------------------

def request_key(principal: Principal, key: str | None, required: bool = False) -> str:
    """The attempt's key: the client's Idempotency-Key (per caller), or a fresh one.
    `required` (needs service again: a retry must find the attempt to finish opening
    its ticket) refuses none, naming `idempotency_key`."""
    tasks.check_key(key)
    if required and key is None:
        raise Invalid("needs service again takes an Idempotency-Key",
                      {"idempotency_key": ["required with needs_service"]})
    return f"{principal.id}:{key or uuid.uuid4()}"


def record_attempt(db, principal: Principal, tickets, task_id: str, attempt: dict,
                   idempotency_key: str | None, max_attempts: int,
                   hours: BusinessHours) -> dict:
    """A call on a task of the caller's scope: the attempt and what it does to the task
    (domain.tasks.effect); "call again on" from a reached call makes the next task; the
    task done is published as followup_completed.  "Needs service again" then opens a
    ticket by RPC with the attempt's id as its idempotency key, so a retried request (the
    same Idempotency-Key) opens exactly one; the new ticket's id is kept on the task and
    the attempt."""
    key = request_key(principal, idempotency_key, required=attempt["needs_service"])
    with db.transaction() as tx:
        task = tasks.found(store.get(tx.cur, task_id, tasks.scope(principal),
                                     for_update=True))
        recorded = store.attempt_by_key(tx.cur, task_id, key)
        if recorded is None:
            tasks.check_recordable(task)
            task, recorded = _apply(tx, principal, task, attempt, key, max_attempts, hours)
    if recorded["needs_service"] and recorded["new_ticket_id"] is None \
            and recorded["staff_id"] == principal.id:
        opened = call(tickets.create_ticket, tasks.service_ticket(task, recorded),
                      idempotency_key=recorded["id"], timeout=RPC_SECONDS)
        with db.transaction() as tx:
            store.set_attempt(tx.cur, recorded["id"], new_ticket_id=opened["id"])
            store.update(tx.cur, task_id, {"new_ticket_id": opened["id"]})
    with db.transaction() as tx:
        task = tasks.found(store.get(tx.cur, task_id, tasks.scope(principal)))
        shown = _with_attempts(tx.cur, principal, [task])[0]
    attempt_shown = next(a for a in shown["attempt_log"] if a["id"] == recorded["id"])
    return {"task": shown, "attempt": attempt_shown}


def _apply(tx, principal: Principal, task: dict, attempt: dict, key: str,
           max_attempts: int, hours: BusinessHours) -> tuple[dict, dict]:
    is_workday = Calendar().is_workday
    next_due = rules.next_attempt_due(store.now(tx.cur), attempt["call_again_on"], hours,
                                      is_workday)
    changes = tasks.effect(task, attempt, max_attempts, next_due)
    recorded = store.insert_attempt(tx.cur, task["id"], key, changes["attempts"],
                                    principal.id, attempt)
    was_missed = task["missed_at"] is not None  # missed once, open again after a call
    task = store.update(tx.cur, task["id"], changes)
    next_task = None
    if tasks.makes_next_task(attempt, changes):
        next_task = _made(store.insert(tx.cur, {
            **{k: task[k] for k in ("ticket_id", "ticket_serial", "ticket_kind", "category_id",
                                    "customer_id", "level", "groups", "resolved_at")},
            "rule_id": None, "previous_task_id": task["id"],
            "assignee_id": task["assignee_id"] or principal.id,
            "due_at": rules.day_end(attempt["call_again_on"], hours, is_workday)}))
        recorded = store.set_attempt(tx.cur, recorded["id"], next_task_id=next_task["id"])
        emit_created(tx, next_task)
    if task["status"] == "done":
        tx.emit("followup_completed", COMPLETED.dump({
            **_about(task), "outcome": task["outcome"], "satisfaction": task["satisfaction"],
            "attempts": task["attempts"], "completed_by": principal.id,
            "completed_at": task["completed_at"], "was_missed": was_missed,
            "needs_service": attempt["needs_service"],
            "next_task_id": next_task["id"] if next_task else None}))
    return task, recorded


def _made(task: dict | None) -> dict:
    if task is None:  # a task without a rule conflicts with nothing
        raise RuntimeError("the next follow-up task was not made")
    return task


def _about(task: dict) -> dict:
    return {"task_id": task["id"], "ticket_id": task["ticket_id"],
            "ticket_serial": task["ticket_serial"], "customer_id": task["customer_id"],
            "rule_id": task["rule_id"], "assignee_id": task["assignee_id"],
            "groups": task["groups"], "due_at": task["due_at"]}


# -- the timers -------------------------------------------------------------------------

def missed_counter(metrics):
    return metrics.metric(Counter, "kefu_followups_missed_total",
                          "Follow-up tasks that passed their due time open (a counted fault)")


def mark_missed(db, metrics) -> int:
    """Open tasks past due marked missed, batch by batch, each exactly once across
    replicas (store.claim_missed), published as followup_missed to the supervisors of
    their groups (else the managers) and counted."""
    total = 0
    while True:
        with db.transaction() as tx:
            rows = store.claim_missed(tx.cur, BATCH)
            for task in rows:
                tx.emit("followup_missed", MISSED.dump({
                    **_about(task), "missed_at": task["missed_at"],
                    "notify_staff_ids": _escalation(tx.cur, task["groups"])}))
        if rows:
            missed_counter(metrics).inc(len(rows))
            log.info("%d follow-ups missed", len(rows))
        total += len(rows)
        if len(rows) < BATCH:
            return total


def _escalation(cur, groups: list[str]) -> list[str]:
    supervisors = staff_store.active_with_role(cur, "supervisor", list(groups)) \
        if groups else []
    managers = [] if supervisors else staff_store.active_with_role(cur, "manager")
    return assignment.notify_ids(supervisors, managers)


def remind(db, minutes: int) -> int:
    """Open tasks due within `minutes`, each reminded once per due time
    (followup_due_soon to its assignee)."""
    total = 0
    while True:
        with db.transaction() as tx:
            rows = store.claim_due_soon(tx.cur, minutes, BATCH)
            for task in rows:
                tx.emit("followup_due_soon", DUE_SOON.dump({
                    **_about(task),
                    "notify_staff_ids": [task["assignee_id"]] if task["assignee_id"] else []}))
        total += len(rows)
        if len(rows) < BATCH:
            return total


# -- settings ---------------------------------------------------------------------------

def settings(config: dict) -> dict:
    """The follow-up settings of config.yaml: attempts allowed, how long before the due
    time the reminder goes, the business hours due times count in."""
    hours = config.get("FOLLOWUP_BUSINESS_HOURS") or {}
    return {
        "max_attempts": int(config.get("FOLLOWUP_MAX_ATTEMPTS", 3)),
        "remind_minutes": int(config.get("FOLLOWUP_REMIND_MINUTES", 60)),
        "hours": BusinessHours(str(hours.get("timezone", "Asia/Shanghai")),
                               datetime.time.fromisoformat(str(hours.get("start", "09:00"))),
                               datetime.time.fromisoformat(str(hours.get("end", "18:00")))),
    }
