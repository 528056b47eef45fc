"""Entrypoints of the ticket service: workflow (T4) — status transitions, transfer to
a group or a person, accept and hand back.  Every step, in one transaction: the
ticket updated under an optimistic guard, one trail row, the SLA hook, and its
events through the outbox."""
import uuid

from services.common.errors import Conflict, Invalid, NotFound
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import events as contract
from services.ticket.contract import workflow as wf
from services.ticket.domain import workflow as domain
from services.ticket.store import sla, trail
from services.ticket.store import staff as staff_store
from services.ticket.store import workflow as store
from services.vocabulary import STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

TRANSITION_IN = wf.TransitionIn()
TRANSFER_IN = wf.TransferIn()
HAND_BACK_IN = wf.HandBackIn()
ROUTED = wf.Routed()
STATUS_CHANGED = contract.TicketStatusChanged()
TICKET_ROUTED = contract.TicketRouted()


def _uuid(ticket_id) -> str:
    try:
        return str(uuid.UUID(str(ticket_id)))
    except ValueError as exc:
        raise NotFound("no such ticket") from exc


class WorkflowEntrypoints:
    @rpc(allow=STAFF)
    def transition_ticket(self, ticket_id, data):
        """Move a ticket along the status graph (domain.workflow.TRANSITIONS); returns
        Routed {ticket, step}.  Invalid for an unknown target or waiting_on; Conflict
        naming from/to for a refused move, or when the ticket changed meanwhile;
        NotFound when it is out of your scope."""
        move = TRANSITION_IN.load(data)
        with self.db.transaction() as tx:
            before = domain.check_may_act(self.principal, store.ticket(tx.cur, _uuid(ticket_id)))
            plan = domain.plan_transition(before, move["to"], move["waiting_on"],
                                          self.principal.id, store.now(tx.cur))
            change = {**plan, "group_name": before["group_name"]}
            result = _step(tx, self.principal.id, before, change, plan["action"], move["note"])
        return ROUTED.dump(result)

    @rpc(allow=STAFF)
    def transfer_ticket(self, ticket_id, data):
        """Transfer to a group (unassigned there: status new), to a named active staff
        member (assigned), or to the on-duty member of a group assigned least recently
        (assigned; Conflict when nobody of that group is on duty).  Returns Routed."""
        order = TRANSFER_IN.load(data)
        with self.db.transaction() as tx:
            before = domain.check_may_act(self.principal, store.ticket(tx.cur, _uuid(ticket_id)))
            domain.check_routable(before, "transferred")
            person, group, notify = _target(tx.cur, order, before)
            if (person, group) == (before["assignee_id"], before["group_name"]):
                raise Conflict("the ticket is already there", {"target": ["no change"]})
            status = domain.transfer_status(person is not None)
            change = {"status": status, "waiting_on": None, "group_name": group,
                      "assignee_id": person, "resolved_at": before["resolved_at"],
                      "closed_at": before["closed_at"]}
            action = "assigned" if person else "transferred"
            result = _step(tx, self.principal.id, before, change, action, order["note"],
                           notify=notify, route_event=f"ticket_{action}")
        return ROUTED.dump(result)

    @rpc(allow=STAFF)
    def accept_ticket(self, ticket_id):
        """Take a ticket: the assignee starts it (assigned → in_progress), or a member
        of its group takes it unassigned (new → in_progress).  Returns Routed; Conflict
        when someone else has it or it is already started."""
        with self.db.transaction() as tx:
            before = domain.check_may_act(self.principal, store.ticket(tx.cur, _uuid(ticket_id)))
            domain.check_accept(self.principal, before)
            change = {"status": "in_progress", "waiting_on": None,
                      "group_name": before["group_name"], "assignee_id": self.principal.id,
                      "resolved_at": before["resolved_at"], "closed_at": before["closed_at"]}
            if before["assignee_id"] is None:
                staff_store.mark_assigned(tx.cur, self.principal.id)
            result = _step(tx, self.principal.id, before, change, "accepted", "",
                           route_event="ticket_assigned"
                           if before["assignee_id"] is None else None)
        return ROUTED.dump(result)

    @rpc(allow=STAFF)
    def hand_back_ticket(self, ticket_id, data):
        """The assignee returns the ticket to its group's queue (status new, unassigned);
        the note saying why is required.  Returns Routed; Forbidden for anyone but the
        assignee, Conflict when the ticket has no group or is finished."""
        note = HAND_BACK_IN.load(data)["note"]
        with self.db.transaction() as tx:
            before = domain.check_may_act(self.principal, store.ticket(tx.cur, _uuid(ticket_id)))
            domain.check_hand_back(self.principal, before, note)
            change = {"status": "new", "waiting_on": None, "group_name": before["group_name"],
                      "assignee_id": None, "resolved_at": before["resolved_at"],
                      "closed_at": before["closed_at"]}
            notify = staff_store.on_duty_ids(tx.cur, before["group_name"])
            result = _step(tx, self.principal.id, before, change, "handed_back", note,
                           notify=[i for i in notify if i != self.principal.id],
                           route_event="ticket_transferred")
        return ROUTED.dump(result)


def _target(cur, order: dict, before: dict) -> tuple[str | None, str, list[str]]:
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
        return person["id"], domain.person_group(before["group_name"], person["groups"]), \
            [person["id"]]
    group = order["any_on_duty_of"]
    person = staff_store.claim_on_duty(cur, group)
    if person is None:
        raise Conflict(f"nobody in group {group} is on duty; transfer to the group instead",
                       {"any_on_duty_of": ["nobody on duty"]})
    return person["id"], group, [person["id"]]


def _step(tx, actor_id: str, before: dict, change: dict, action: str, note: str,
          notify=None, route_event: str | None = None) -> dict:
    """Apply one step: guarded update, trail row, SLA hook, events."""
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
        from_handler=trail.handler(before["group_name"], before["assignee_id"])
        if rerouted else None,
        to_handler=trail.handler(after["group_name"], after["assignee_id"])
        if rerouted else None,
        note=note)
    if moved:
        sla.apply_on_status(tx.cur, after["id"], before["status"], after["status"],
                            after["waiting_on"])
        payload = STATUS_CHANGED.dump({
            **after, "ticket_id": after["id"], "from_status": before["status"],
            "to_status": after["status"], "at": step["at"]})
        tx.emit("ticket_status_changed", payload)
        if after["status"] in ("resolved", "closed"):
            tx.emit(f"ticket_{after['status']}", payload)
    if route_event and rerouted:
        tx.emit(route_event, TICKET_ROUTED.dump({
            **after, "ticket_id": after["id"], "from_group": before["group_name"],
            "from_assignee_id": before["assignee_id"], "note": note,
            "notify_staff_ids": list(notify or [])}))
    return {"ticket": after, "step": step}
