"""Follow-up tasks (V1, V2): who reaches which, what a reader sees, what an attempt
does.  No I/O.

Scope (put in every statement's WHERE by the store): an agent reaches the tasks
assigned to them; a supervisor also the tasks of their groups; managers up every task;
out of scope a task does not exist (NotFound).  The notes of a task above the reader's
clearance (and of its attempts) are withheld: `content_withheld`.
"""
import datetime

from services.common.errors import Conflict, Invalid, NotFound
from services.common.identity import Principal
from services.vocabulary import MANAGERS_UP, SUPERVISORS_UP

ERASED = "[已销毁]"
MAX_KEY = 200  # an Idempotency-Key's length


def check_key(key) -> None:
    """An Idempotency-Key, when given, is a string of 1 to MAX_KEY characters."""
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY):
        raise Invalid("bad Idempotency-Key",
                      {"idempotency_key": [f"1 to {MAX_KEY} characters"]})


def effective_level(classified: dict, now: datetime.datetime) -> int:
    """The level a customer_classified says holds now: the lower one once its
    declassification date passed (later declassification is not applied to tasks by
    itself: their notes stay withheld until the customer service says so)."""
    at, lower = classified.get("declassify_at"), classified.get("declassify_to")
    if at is not None and lower is not None and at <= now:
        return int(lower)
    return int(classified["level"])


def scope(principal: Principal) -> dict:
    """The tasks a caller reaches, as the store renders it (the system — notify issuing
    a task's survey link — every task)."""
    if principal.is_system or principal.has_any(MANAGERS_UP):
        return {"all": True, "staff_id": principal.id, "groups": []}
    groups = sorted(principal.groups) if principal.has_any(SUPERVISORS_UP) else []
    return {"all": False, "staff_id": principal.id, "groups": groups}


def found(task: dict | None) -> dict:
    if task is None:
        raise NotFound("no such follow-up task")
    return task


def list_group(principal: Principal, group: str | None) -> str | None:
    """The one group a supervisor's list is asked for: one of theirs (managers up: any)."""
    if group and not principal.has_any(MANAGERS_UP) and group not in principal.groups:
        raise NotFound("no such group")
    return group


def shown(principal: Principal, task: dict, attempts: list[dict] | None = None) -> dict:
    """The task as the reader may see it: its notes and its attempts' withheld above
    their clearance."""
    withheld = task["level"] > principal.clearance
    log = [{**a, "notes": "" if withheld else a["notes"],
            "service_note": "" if withheld else a["service_note"]} for a in attempts or []]
    return {**task, "notes": "" if withheld else task["notes"], "content_withheld": withheld,
            "attempt_log": log}


def check_recordable(task: dict) -> None:
    """An open task takes attempts, and so does a missed one (a late call beats none; it
    stays counted as missed); a done one does not."""
    if task["status"] == "done":
        raise Conflict("the follow-up is done")


def effect(task: dict, attempt: dict, max_attempts: int,
           next_due: datetime.datetime) -> dict:
    """What an attempt does to its task: the columns to set.  Reached: done.  Not
    reached: open again, due at `next_due`, until the `max_attempts`-th unreached
    attempt ends it unreachable."""
    number = task["attempts"] + 1
    changes: dict = {"attempts": number}
    if attempt["notes"]:
        changes["notes"] = attempt["notes"]
    if attempt["reached"]:
        changes.update(status="done", outcome="reached", satisfaction=attempt["satisfaction"])
    elif number >= max_attempts:
        changes.update(status="done", outcome="unreachable")
    else:
        changes.update(status="open", due_at=next_due, reminded_at=None)
    return changes


def makes_next_task(attempt: dict, changes: dict) -> bool:
    """"Call again on <date>" from a reached call makes the next task (an unreached one
    only moves this task's due time)."""
    return bool(attempt["reached"] and attempt["call_again_on"])


def service_ticket(task: dict, attempt: dict) -> dict:
    """The ticket "needs service again" opens: the original's kind, for its customer,
    saying which ticket and follow-up it comes from."""
    return {"customer_id": task["customer_id"], "kind": task["ticket_kind"],
            "channel": "phone",
            "subject": f"回访需再次服务（原工单 {task['ticket_serial']}）"[:200],
            "content": (f"{attempt['service_note']}\n\n来自回访任务 {task['id']}，"
                        f"原工单 {task['ticket_serial']}（{task['ticket_id']}）")[:10000]}
