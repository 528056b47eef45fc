"""Use cases driven by other services' events: tasks from resolved and closed tickets
(V1), what a customer's lifecycle does to tasks (C6, C8), the staff read model.

A ticket event makes at most one task per rule (followup_task is unique per ticket and
rule): a ticket resolved and then closed, or an event delivered twice, makes one.  The
whole use case is one transaction — the consumer's claim of the event included — so a
failure (the customer service not answering) retries it whole."""
import logging

from services.common.business_time import BusinessHours, Calendar
from services.common.errors import NotFound
from services.common.rpc import call
from services.survey.contract.events import FollowupCreated
from services.survey.domain import assignment
from services.survey.domain import rules as rule_rules
from services.survey.domain import tasks as task_rules
from services.survey.domain.tasks import ERASED
from services.survey.store import rules as rule_store
from services.survey.store import staff as staff_store
from services.survey.store import tasks as task_store

log = logging.getLogger(__name__)
CREATED = FollowupCreated()
RPC_SECONDS = 10.0


def ticket_done(db, customers, tickets, ticket: dict, hours: BusinessHours,
                trigger: str = "resolved") -> list[dict]:
    """The tasks a resolved or closed ticket (TicketStatusChanged) — or, for
    `dispatch_handled`, a field job done (its facts as field_job_done gives them) — calls
    for, made and assigned, each published as followup_created; [] when no active rule
    of that trigger follows it up or each already did."""
    with db.transaction() as tx:
        rules = rule_store.active(tx.cur, trigger)  # all: select() weighs rest_only ones
        taken = task_store.rules_with_task(tx.cur, ticket["ticket_id"])
        if not [r for r in rules if str(r["id"]) not in taken]:
            return []
        try:
            card = call(customers.get_card, ticket["customer_id"], timeout=RPC_SECONDS)
        except NotFound:
            log.warning("ticket %s: customer %s unknown, no follow-up", ticket["ticket_id"],
                        ticket["customer_id"])
            return []
        if card.get("destroyed"):
            return []
        level = int(card.get("effective_level", card.get("level", 0)) or 0)
        if card.get("updated_at"):  # the card's word, as of its last change
            task_store.learn_level(tx.cur, ticket["customer_id"], level, card["updated_at"])
        facts = {**ticket, "vip": rule_rules.is_vip(card),
                 "subtype": _subtype(tickets, ticket, rules)}
        chosen = rule_rules.to_make(rules, facts, taken)
        made = []
        for rule in chosen:
            task = _make(tx, rule, ticket, level, hours)
            if task is not None:
                made.append(task)
        return made


def field_job_done(handled: dict) -> dict:
    """A dispatch_handled event as the ticket facts rules read: the field staff member
    who did the job stands as the ticket's assignee, the job's time as its end."""
    return {"ticket_id": handled["ticket_id"], "serial": handled["serial"],
            "kind": handled["kind"], "category_id": handled["category_id"],
            "customer_id": handled["customer_id"], "assignee_id": handled["staff_id"],
            "group_name": handled["group_name"], "at": handled["at"]}


def _subtype(tickets, ticket: dict, rules: list[dict]) -> str | None:
    """The after-sales subtype of the ticket's category, asked only when a rule needs it."""
    if not ticket.get("category_id") or not rule_rules.needs_subtype(rules):
        return None
    try:
        return call(tickets.get_category, ticket["category_id"], timeout=RPC_SECONDS).get(
            "subtype")
    except NotFound:
        return None


def _make(tx, rule: dict, ticket: dict, level: int, hours: BusinessHours) -> dict | None:
    if rule["agent_id"]:
        assignee, groups = rule["agent_id"], staff_store.groups_of(tx.cur, rule["agent_id"])
    else:
        staff_store.lock_group(tx.cur, rule["group_name"])
        assignee = assignment.pick(staff_store.agents_with_load(tx.cur, rule["group_name"]))
        groups = [rule["group_name"]]
    due = rule_rules.due_at(ticket["at"], rule["delay_amount"], rule["delay_unit"], hours,
                            Calendar().is_workday)
    task = task_store.insert(tx.cur, {
        "rule_id": rule["id"], "previous_task_id": None, "ticket_id": ticket["ticket_id"],
        "ticket_serial": ticket["serial"], "ticket_kind": ticket["kind"],
        "category_id": ticket.get("category_id"), "customer_id": ticket["customer_id"],
        "level": level,
        "groups": groups, "assignee_id": assignee, "resolved_at": ticket["at"],
        "due_at": due})
    if task is not None:
        emit_created(tx, task)
    return task


def emit_created(tx, task: dict) -> None:
    tx.emit("followup_created", CREATED.dump({
        "task_id": task["id"], "ticket_id": task["ticket_id"],
        "ticket_serial": task["ticket_serial"], "customer_id": task["customer_id"],
        "rule_id": task["rule_id"], "assignee_id": task["assignee_id"],
        "groups": task["groups"], "due_at": task["due_at"],
        "previous_task_id": task["previous_task_id"],
        "notify_staff_ids": [task["assignee_id"]] if task["assignee_id"] else [],
        "created_at": task.get("created_at")}))


def customer_classified(tx, classified: dict, occurred_at) -> int:
    """C4: the customer's tasks take its new level (the newest word kept: events may
    come late or twice); how many tasks changed."""
    level = task_rules.effective_level(classified, task_store.now(tx.cur))
    if not task_store.learn_level(tx.cur, classified["customer_id"], level, occurred_at):
        return 0
    return task_store.set_level(tx.cur, classified["customer_id"], level)


def customer_destroyed(tx, customer_id: str) -> int:
    """C6: the notes of the customer's tasks and their attempts become '[已销毁]', and
    its unfinished tasks end (outcome erased; no event: nobody is to call)."""
    task_store.close_customer(tx.cur, customer_id)
    return task_store.erase_customer(tx.cur, customer_id, ERASED)


def customer_merged(tx, merged_id: str, survivor_id: str) -> int:
    """C8: the merged-away customer's tasks now belong to the survivor."""
    return task_store.repoint_customer(tx.cur, merged_id, survivor_id)


def staff_changed(tx, staff: dict) -> None:
    """A staff account as it is now (a loaded StaffChanged)."""
    staff_store.upsert(tx.cur, staff)
