"""Workflow rules (T4) and queue rules (T5): plain functions, no I/O.

The status graph, one table on one screen.  A ticket is `new` while nobody handles
it (unassigned, in a group's queue or in no group), `assigned` once a person has
it but has not started, `in_progress` while that person works on it, `waiting`
on the customer or on parts, then `resolved` and `closed`; `cancelled` ends it.

Which operation makes which move:
  transition(to)  new/assigned → in_progress (starting: the actor takes an
                  unassigned ticket), in_progress ⇄ waiting, → resolved, → closed,
                  → cancelled, and reopening (resolved → in_progress or assigned;
                  closed → in_progress within REOPEN_CLOSED_DAYS of closing)
  transfer        to a group → new (unassigned there); to a person → assigned
  accept          assigned → in_progress, or new → in_progress (taking it)
  hand back       assigned / in_progress / waiting → new (back to the group's queue)
"""
import datetime
import re

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.paging import decode_cursor
from services.vocabulary import AUDITOR, FRONT_LINE, MANAGERS_UP, SUPERVISORS_UP

STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed", "cancelled")
WAITING_ON = ("customer", "parts")
OPEN = ("new", "assigned", "in_progress", "waiting", "resolved")
FINISHED = ("closed", "cancelled")

TRANSITIONS: dict[str, frozenset] = {
    "new":         frozenset({"assigned", "in_progress", "cancelled"}),
    "assigned":    frozenset({"new", "in_progress", "cancelled"}),
    "in_progress": frozenset({"new", "assigned", "waiting", "resolved", "cancelled"}),
    "waiting":     frozenset({"new", "assigned", "in_progress", "resolved", "cancelled"}),
    "resolved":    frozenset({"closed", "in_progress", "assigned"}),
    "closed":      frozenset({"in_progress"}),
    "cancelled":   frozenset(),
}
# A closed ticket may be reopened for this long after closing; later, open a new one.
REOPEN_CLOSED_DAYS = 30
# Statuses from which the handler may change (transfer, accept, hand back).
ROUTABLE = frozenset({"new", "assigned", "in_progress", "waiting"})
# Targets the transition call makes itself; `new` and the first `assigned` come by routing.
EXPLICIT_TARGETS = frozenset({"in_progress", "waiting", "resolved", "closed", "cancelled",
                              "assigned"})


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def check_move(from_status: str, to_status: str) -> None:
    """Conflict naming both ends when the graph has no such edge."""
    if to_status not in STATUSES:
        raise Invalid("unknown status", {"to": [f"must be one of {', '.join(STATUSES)}"]})
    if not allowed(from_status, to_status):
        raise Conflict(f"a ticket cannot go from {from_status} to {to_status}",
                       {"to": [f"not allowed from {from_status}"]})


def plan_transition(ticket: dict, to_status: str, waiting_on: str | None, actor_id: str,
                    now: datetime.datetime) -> dict:
    """What a transition call changes: {status, waiting_on, assignee_id, resolved_at,
    closed_at, cancelled_at (set only when cancelling), action}.  Invalid for an
    unknown target or a missing/stray waiting_on, Conflict for a move the graph refuses
    or a reopen past the policy."""
    if to_status not in STATUSES:
        raise Invalid("unknown status", {"to": [f"must be one of {', '.join(STATUSES)}"]})
    if to_status not in EXPLICIT_TARGETS:
        raise Invalid("a ticket returns to new by transfer to a group or by hand-back",
                      {"to": ["use transfer or hand-back"]})
    if to_status == "waiting":
        if waiting_on not in WAITING_ON:
            raise Invalid("say what the ticket waits on",
                          {"waiting_on": [f"must be one of {', '.join(WAITING_ON)}"]})
    elif waiting_on is not None:
        raise Invalid("waiting_on goes only with to=waiting",
                      {"waiting_on": ["only with to=waiting"]})
    current = ticket["status"]
    check_move(current, to_status)
    if to_status == "assigned" and current != "resolved":
        raise Invalid("assign a ticket by transferring it to a person",
                      {"to": ["use transfer to assign"]})
    plan = {"status": to_status, "waiting_on": waiting_on if to_status == "waiting" else None,
            "assignee_id": ticket["assignee_id"], "resolved_at": ticket["resolved_at"],
            "closed_at": ticket["closed_at"], "cancelled_at": None, "action": "status"}
    if current in ("resolved", "closed") and to_status in ("in_progress", "assigned"):
        if current == "closed" and reopen_expired(ticket["closed_at"], now):
            raise Conflict(f"closed more than {REOPEN_CLOSED_DAYS} days ago; accept a new "
                           "ticket instead", {"to": ["reopen period over"]})
        plan.update(resolved_at=None, closed_at=None, action="reopened")
    if to_status == "in_progress" and plan["assignee_id"] is None:
        plan["assignee_id"] = actor_id  # starting an unassigned ticket takes it
    if to_status == "assigned" and plan["assignee_id"] is None:
        raise Conflict("nobody to reopen it for; reopen to in_progress",
                       {"to": ["the ticket has no assignee"]})
    if to_status == "resolved":
        plan["resolved_at"] = now
    if to_status == "closed":
        plan["closed_at"] = now
    if to_status == "cancelled":
        plan["action"] = "cancelled"
        plan["cancelled_at"] = now
    return plan


def is_reopen(from_status: str, to_status: str) -> bool:
    """A reopen (counted in reopen_count): from resolved or closed back to work."""
    return from_status in ("resolved", "closed") and to_status in (
        "new", "assigned", "in_progress", "waiting")


def is_transfer(before: dict, after: dict) -> bool:
    """A transfer 转派 (counted in transfer_count): a ticket already handled goes to
    another handler — away from a person (to another person or a group, a hand-back
    too), or from one group to another.  The first routing is none: to a group or a
    person from no handler, or from a group's queue to a person of that group."""
    if (before["assignee_id"], before["group_name"]) == \
            (after["assignee_id"], after["group_name"]):
        return False
    if before["assignee_id"] is not None:
        return True
    return before["group_name"] is not None and after["group_name"] != before["group_name"]


def reopen_expired(closed_at: datetime.datetime | None, now: datetime.datetime) -> bool:
    return closed_at is not None and now - closed_at > datetime.timedelta(
        days=REOPEN_CLOSED_DAYS)


# ---- routing (who may act on a ticket at all: domain.access.act_scope) ----------------

def check_routable(ticket: dict, what: str) -> None:
    if ticket["status"] not in ROUTABLE:
        raise Conflict(f"a {ticket['status']} ticket cannot be {what}",
                       {"status": [f"is {ticket['status']}"]})


def transfer_status(to_person: bool) -> str:
    """Transfer to a person: assigned; to a group: new (unassigned in that group)."""
    return "assigned" if to_person else "new"


def person_group(current_group: str | None, person_groups) -> str | None:
    """A transfer to a person keeps the ticket's group when the person belongs to it
    (or has no group); otherwise it moves to the person's first group."""
    groups = list(person_groups or ())
    if current_group in groups or not groups:
        return current_group
    return sorted(groups)[0]


def check_accept(principal, ticket: dict) -> None:
    """Accept: the assignee starts an assigned ticket, or a member takes an unassigned one."""
    check_routable(ticket, "accepted")
    if ticket["assignee_id"] not in (None, principal.id):
        raise Conflict("the ticket is assigned to someone else; transfer it first",
                       {"assignee_id": ["someone else"]})
    if ticket["assignee_id"] == principal.id and ticket["status"] in ("in_progress", "waiting"):
        raise Conflict(f"already accepted (it is {ticket['status']})",
                       {"status": [f"is {ticket['status']}"]})


def check_hand_back(principal, ticket: dict, note: str) -> None:
    if not note.strip():
        raise Invalid("say why you hand it back", {"note": ["required"]})
    if ticket["assignee_id"] != principal.id:
        raise Forbidden("only the assignee may hand a ticket back")
    check_routable(ticket, "handed back")
    if ticket["group_name"] is None:
        raise Conflict("the ticket has no group to go back to; transfer it instead",
                       {"group_name": ["none"]})


# ---- queues (T5) ------------------------------------------------------------------

SERIAL = re.compile(r"^[A-Z]{2,4}-\d{8}-\d{1,6}$")


def looks_like_serial(text: str) -> bool:
    return bool(SERIAL.match(text.strip().upper()))


def like_escape(text: str) -> str:
    """Literal text for a LIKE pattern (backslash is PostgreSQL's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue_scope(principal, query: dict) -> dict:
    """Which view of the tickets a list reads: {"view", "assignee_id"?, "groups"?} — cut
    further to the caller's data scope (domain.access).  Forbidden when the role may not
    use the view; NotFound for a group not one's own (managers: any group)."""
    view = query["view"]
    if view == "mine":
        statuses = query.get("status") or ()
        shut = [s for s in statuses if s in FINISHED]
        if shut:
            raise Invalid("my tickets are the open ones; use view=all for finished tickets",
                          {"status": [f"{', '.join(shut)} is not open"]})
        return {"view": "mine", "assignee_id": principal.id}
    if view == "group_unassigned":
        group = query.get("group")
        if group:
            if not principal.has_any(MANAGERS_UP) and group not in principal.groups:
                raise NotFound("no such group")
            return {"view": view, "groups": [group]}
        if not principal.groups:
            raise Invalid("you belong to no group; name one", {"group": ["required"]})
        return {"view": view, "groups": sorted(principal.groups)}
    # view == "all": supervisors and up; the front line only to look something up
    if principal.has_any(SUPERVISORS_UP | {AUDITOR}):
        return {"view": "all"}
    if principal.has_any(FRONT_LINE) and (query.get("customer_id") or query.get("text")):
        return {"view": "all"}
    raise Forbidden("view=all is for supervisors; agents may use it with customer_id or text")


def queue_filters(principal, query: dict) -> dict:
    """What a queue list reads: {"view" (see queue_scope), "after" (the cursor's
    position), "serial" (the text is a serial) or "text" and its LIKE "pattern" (words
    in the content)}."""
    text = (query.get("text") or "").strip()
    if query.get("text") is not None and len(text) < 2:
        raise Invalid("search for at least two characters", {"text": ["at least 2 characters"]})
    serial = text.upper() if text and looks_like_serial(text) else None
    words = text if text and not serial else None
    return {"view": queue_scope(principal, query),
            "after": decode_cursor(query.get("cursor")),
            "serial": serial, "text": words,
            "pattern": f"%{like_escape(words)}%" if words else None}


def counts_view(rows, my_id: str, groups) -> dict:
    """queue_counts' answer from summed counter rows (scope, key, status, n)."""
    mine = {s: 0 for s in OPEN}
    by_group = {g: {s: 0 for s in OPEN} for g in sorted(groups)}
    for row in rows:
        if row["scope"] == "assignee" and row["key"] == my_id and row["status"] in mine:
            mine[row["status"]] += int(row["n"])
        elif row["scope"] == "group" and row["key"] in by_group \
                and row["status"] in by_group[row["key"]]:
            by_group[row["key"]][row["status"]] += int(row["n"])
    return {"mine": mine, "mine_total": sum(mine.values()),
            "groups": [{"group": g, "unassigned": c, "total": sum(c.values())}
                       for g, c in by_group.items()]}


# ---- what a detail page offers (issue 10) -----------------------------------------

def actions_for(principal, ticket: dict, may_dispatch: bool) -> list[str]:
    """The actions the workflow allows this person on this ticket now, in the order a
    page shows them: accept, the status moves (reopen for a resolved or closed one),
    transfer, dispatch (after-sales, operators), remind.  The service checks each
    again when it is asked; this only spares a person buttons that would be refused."""
    status, assignee = ticket["status"], ticket.get("assignee_id")
    actions = []
    mine_started = assignee == principal.id and status in ("in_progress", "waiting")
    if status in ROUTABLE and assignee in (None, principal.id) and not mine_started:
        actions.append("accept")
    for target in ("in_progress", "waiting", "resolved", "closed", "cancelled"):
        if not allowed(status, target) or (target == "in_progress" and status in
                                            ("new", "assigned")):
            continue
        actions.append("reopen" if target == "in_progress" and status in FINISHED + (
            "resolved",) else target)
    if status in ROUTABLE:
        actions.append("transfer")
        if ticket.get("kind") == "after_sales" and may_dispatch:
            actions.append("dispatch")
    if status not in FINISHED:
        actions.append("remind")
    return actions
