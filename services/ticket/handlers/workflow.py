"""Use cases of the workflow (T4): status transitions, transfer to a group or a person,
accept and hand back.  Every step, in one transaction, on a ticket the caller may act on
(domain.access.act_scope): the ticket updated under an optimistic guard, one trail row,
the SLA hook, and its events through the outbox."""
from services.common.errors import Conflict, Invalid
from services.common.identity import Principal
from services.ticket.contract.events import TicketRouted, TicketStatusChanged
from services.ticket.domain import access
from services.ticket.domain import dispatch as dispatch_rules
from services.ticket.domain import workflow as rules
from services.ticket.domain.tickets import handler_of
from services.ticket.handlers import report_feed, sla
from services.ticket.store import dispatch as dispatch_store
from services.ticket.store import staff as staff_store
from services.ticket.store import tickets as tickets_store
from services.ticket.store import trail
from services.ticket.store import workflow as store

STATUS_CHANGED = TicketStatusChanged()
TICKET_ROUTED = TicketRouted()


def transition_ticket(tx, principal: Principal, ticket_id: str, move: dict) -> dict:
    """Move a ticket along the status graph (domain.workflow.TRANSITIONS).  Resolving
    waits for the handling record of a dispatched field job (Conflict): the ticket is
    locked first, so no job is dispatched between the check and the move."""
    resolving = move["to"] == "resolved"
    before = _ticket(tx.cur, principal, ticket_id, for_update=resolving)
    plan = rules.plan_transition(before, move["to"], move["waiting_on"], principal.id,
                                 tickets_store.now(tx.cur))
    if resolving:
        dispatch_rules.check_resolvable(dispatch_store.open_job(tx.cur, ticket_id))
    change = {**plan, "group_name": before["group_name"]}
    return _step(tx, principal, before, change, plan["action"], move["note"])


def transfer_ticket(tx, principal: Principal, ticket_id: str, order: dict) -> dict:
    """Transfer to a group (unassigned there: new), to a named active staff member
    (assigned), or to the on-duty member of a group assigned least recently."""
    before = _ticket(tx.cur, principal, ticket_id)
    rules.check_routable(before, "transferred")
    person, group, notify = _target(tx.cur, order, before)
    if (person, group) == (before["assignee_id"], before["group_name"]):
        raise Conflict("the ticket is already there", {"target": ["no change"]})
    change = _routed(before, rules.transfer_status(person is not None), group, person)
    action = "assigned" if person else "transferred"
    return _step(tx, principal, before, change, action, order["note"], notify=notify,
                 route_event=f"ticket_{action}")


def accept_ticket(tx, principal: Principal, ticket_id: str) -> dict:
    """Take a ticket: the assignee starts it, or a member of its group takes it."""
    before = _ticket(tx.cur, principal, ticket_id)
    rules.check_accept(principal, before)
    taken = before["assignee_id"] is None
    if taken:
        staff_store.mark_assigned(tx.cur, principal.id)
    return _step(tx, principal, before,
                 _routed(before, "in_progress", before["group_name"], principal.id),
                 "accepted", "", route_event="ticket_assigned" if taken else None)


def hand_back_ticket(tx, principal: Principal, ticket_id: str, note: str) -> dict:
    """The assignee returns the ticket to its group's queue (new, unassigned)."""
    before = _ticket(tx.cur, principal, ticket_id)
    rules.check_hand_back(principal, before, note)
    notify = staff_store.on_duty_ids(tx.cur, before["group_name"])
    return _step(tx, principal, before, _routed(before, "new", before["group_name"], None),
                 "handed_back", note, notify=[i for i in notify if i != principal.id],
                 route_event="ticket_transferred")


def _ticket(cur, principal: Principal, ticket_id: str, for_update: bool = False) -> dict:
    """The ticket, if the caller may act on it (NotFound otherwise); locked when asked."""
    return access.found(tickets_store.ticket(cur, ticket_id, access.act_scope(principal),
                                             for_update=for_update))


def _routed(before: dict, status: str, group: str | None, person: str | None) -> dict:
    """A step that changes the handler: the status, not waiting, the stamps kept."""
    return {"status": status, "waiting_on": None, "group_name": group, "assignee_id": person,
            "resolved_at": before["resolved_at"], "closed_at": before["closed_at"]}


def _target(cur, order: dict, before: dict) -> tuple[str | None, str | None, list[str]]:
    """(assignee or None, group, whom to notify) for a transfer order."""
    if order.get("group"):
        group = order["group"]
        if not staff_store.group_has_members(cur, group):
            raise Invalid("no such group", {"group": ["no active staff member belongs to it"]})
        return None, group, staff_store.on_duty_ids(cur, group)
    if order.get("staff_id"):
        person = staff_store.get(cur, order["staff_id"])
        if person is None or not person["active"]:
            raise Invalid("no such staff member", {"staff_id": ["no active staff member"]})
        staff_store.mark_assigned(cur, person["id"])
        return person["id"], rules.person_group(before["group_name"], person["groups"]), \
            [person["id"]]
    group = order["any_on_duty_of"]
    person = staff_store.claim_on_duty(cur, group)
    if person is None:
        raise Conflict(f"nobody in group {group} is on duty; transfer to the group instead",
                       {"any_on_duty_of": ["nobody on duty"]})
    return person["id"], group, [person["id"]]


def _step(tx, principal: Principal, before: dict, change: dict, action: str, note: str,
          notify=None, route_event: str | None = None) -> dict:
    """Apply one step: guarded update, trail row, SLA hook, events; {ticket, step} —
    the ticket as a list shows it (a classified customer's: its identity)."""
    actor_id = principal.id
    change = {**change, "reopens": int(rules.is_reopen(before["status"], change["status"])),
              "transfers": int(rules.is_transfer(before, change))}
    after = store.apply(tx.cur, before, change)
    if after is None:
        raise Conflict("the ticket changed meanwhile; reload it and try again",
                       {"status": ["changed meanwhile"]})
    moved = before["status"] != after["status"]
    rerouted = (before["assignee_id"], before["group_name"]) != \
        (after["assignee_id"], after["group_name"])
    step = trail.append(
        tx.cur, after["id"], actor_id, action,
        from_status=before["status"], to_status=after["status"],
        from_handler=handler_of(before["group_name"], before["assignee_id"])
        if rerouted else None,
        to_handler=handler_of(after["group_name"], after["assignee_id"]) if rerouted else None,
        note=note)
    if moved:
        sla.apply_on_status(tx.cur, after["id"], before["status"], after["status"],
                            after["waiting_on"])
    routed = route_event if rerouted else None
    snapshot = report_feed.snapshot_of(tx.cur, after["id"]) if moved or routed else None
    if moved:
        payload = STATUS_CHANGED.dump({
            **after, "ticket_id": after["id"], "from_status": before["status"],
            "to_status": after["status"], "at": step["at"], "snapshot": snapshot})
        tx.emit("ticket_status_changed", payload)
        if after["status"] in ("resolved", "closed"):
            tx.emit(f"ticket_{after['status']}", payload)
    if routed:
        tx.emit(routed, TICKET_ROUTED.dump({
            **after, "ticket_id": after["id"], "from_group": before["group_name"],
            "from_assignee_id": before["assignee_id"],
            "note": access.shareable(after["level"], note),
            "notify_staff_ids": list(notify or []), "snapshot": snapshot}))
    return {"ticket": access.ticket_view(after, access.in_list(principal, after["level"])),
            "step": step}
