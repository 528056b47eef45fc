"""Use cases of time (T6): the clock hooks other use cases call in their own
transactions (apply_on_create, apply_on_status), the SLA configuration and calendar,
the escalation of breaches, personal reminders and the due view.

The calendar (hours + overrides) is cached per process under sla_settings.version,
which every change of hours or overrides increments in its transaction: each
transaction reads the version with its policy row, so a change made on one replica is
used by every replica from its next transaction on."""
import logging

from services.common.errors import NotFound
from services.common.identity import Principal
from services.common.paging import decode_cursor
from services.ticket.contract.events import TicketReminderDue, TicketSlaBreached
from services.ticket.domain import access, pages
from services.ticket.domain import sla as rules
from services.ticket.handlers import report_feed
from services.ticket.store import sla as store
from services.ticket.store import staff as staff_store
from services.ticket.store import tickets as tickets_store
from services.ticket.store import trail

log = logging.getLogger(__name__)
BATCH = 200

BREACHED = TicketSlaBreached()
REMINDER_DUE = TicketReminderDue()

_cache: dict = {"version": None, "hours": None, "calendar": None}


# -- the clock of a ticket -----------------------------------------------------------

def _clock(cur, settings: dict) -> tuple[rules.BusinessHours, rules.Calendar]:
    """(BusinessHours, Calendar) for a settings row {timezone, day_start, day_end,
    version}; the overrides read again when the version moved."""
    if _cache["version"] != settings["version"]:
        _cache.update(version=settings["version"],
                      hours=rules.BusinessHours(settings["timezone"], settings["day_start"],
                                                settings["day_end"]),
                      calendar=rules.Calendar(store.workdays(cur)))
    return _cache["hours"], _cache["calendar"]


def apply_on_create(cur, ticket: dict) -> dict:
    """Set the due times of a just-inserted ticket (id, kind, urgency, accepted_at) by
    its kind x urgency targets in business time; returns {"response_due_at",
    "resolution_due_at"} (None without a policy)."""
    row = store.clock_and_policy(cur, ticket["kind"], ticket["urgency"])
    if row is None or row["response_minutes"] is None:
        return {"response_due_at": None, "resolution_due_at": None}
    hours, calendar = _clock(cur, row)
    due = rules.due_times(ticket.get("accepted_at") or row["now"], row["response_minutes"],
                          row["resolution_minutes"], hours, calendar.is_workday)
    store.set_due_times(cur, ticket["id"], due)
    return due


def apply_on_status(cur, ticket_id: str, from_status: str, to_status: str,
                    waiting_on: str | None = None) -> None:
    """After a status change in the same transaction: pause while waiting on the
    customer, resume (pushing due times by the business time paused), stamp the first
    response (see domain.sla.clock_changes)."""
    ticket = store.ticket_clock(cur, ticket_id)
    if ticket is None:
        return
    hours, is_workday = None, None
    if rules.resumes(ticket["paused_since"], to_status, waiting_on):
        hours, calendar = _clock(cur, store.clock_settings(cur))
        is_workday = calendar.is_workday
    changes, paused = rules.clock_changes(ticket, from_status, to_status, waiting_on, hours,
                                          is_workday)
    if changes:
        store.set_clock(cur, ticket_id, changes, paused)


# -- configuration and calendar -------------------------------------------------------

def sla_policies(tx, principal: Principal) -> dict:
    return {"policies": store.policies(tx.cur)}


def set_sla_policy(tx, principal: Principal, key: dict, targets: dict) -> dict:
    """Set the targets of one kind x urgency (they apply to tickets created after)."""
    rules.check_policy(targets["response_minutes"], targets["resolution_minutes"])
    return store.set_policy(tx.cur, key["kind"], key["urgency"], targets["response_minutes"],
                            targets["resolution_minutes"], principal.id)


def business_hours(tx, principal: Principal) -> dict:
    return store.settings(tx.cur)


def set_business_hours(tx, principal: Principal, hours: dict) -> dict:
    rules.BusinessHours(hours["timezone"], hours["start"], hours["end"])  # start < end
    return store.set_hours(tx.cur, hours["timezone"], hours["start"], hours["end"],
                           principal.id)


def calendar(tx, principal: Principal, query: dict) -> dict:
    """Each day of [from, to]: working day or not, and why."""
    rules.check_calendar_span(query["start"], query["end"])
    overrides = store.overrides_between(tx.cur, query["start"], query["end"])
    return rules.calendar_view(query["start"], query["end"], overrides)


def set_calendar_day(tx, principal: Principal, day, change: dict) -> dict:
    """A day (YYYY-MM-DD) made a working day or a day off by an override."""
    day = rules.parse_day(day)
    store.set_override(tx.cur, day, change["workday"], change["note"], principal.id)
    return {"day": day, "workday": change["workday"], "source": "override",
            "note": change["note"]}


def delete_calendar_day(tx, principal: Principal, day) -> dict:
    """The day follows chinese_calendar / weekends again (NotFound: no override)."""
    day = rules.parse_day(day)
    if not store.delete_override(tx.cur, day):
        raise NotFound("no override for that day")
    return rules.calendar_day(day, rules.Calendar())


# -- escalation ---------------------------------------------------------------------

def escalate(db, principal: Principal) -> None:
    """Escalate breaches, each once, batch by batch (one transaction each): rows are
    claimed with FOR UPDATE SKIP LOCKED and stamped in the same transaction, so several
    replicas never escalate the same ticket twice.  One trail row and one
    ticket_sla_breached per breach, to the group's supervisors (else managers)."""
    for target in rules.TARGETS:
        while _escalate_batch(db, principal, target) == BATCH:
            pass


def _escalate_batch(db, principal: Principal, target: str) -> int:
    with db.transaction() as tx:
        rows = store.claim_breaches(tx.cur, target, BATCH)
        snapshots = report_feed.snapshots_of(tx.cur, [t["id"] for t in rows])
        recipients: dict = {}
        for t in rows:
            if t["group_name"] not in recipients:
                recipients[t["group_name"]] = _escalation_recipients(tx.cur, t["group_name"])
            notify = recipients[t["group_name"]]
            trail.append(tx.cur, t["id"], principal.id, "escalated",
                         from_status=t["status"], to_status=t["status"],
                         note=rules.escalation_note(target, t["due_at"], notify))
            tx.emit("ticket_sla_breached", BREACHED.dump({
                "ticket_id": t["id"], "serial": t["serial"], "kind": t["kind"],
                "target": target, "due_at": t["due_at"], "group_name": t["group_name"],
                "assignee_id": t["assignee_id"], "notify_staff_ids": notify,
                "snapshot": snapshots.get(t["id"])}))
    if rows:
        log.info("escalated %d %s breaches", len(rows), target)
    return len(rows)


def _escalation_recipients(cur, group_name: str | None) -> list[str]:
    """The active supervisors of the group; none (or no group): the active managers."""
    supervisors = staff_store.active_with_role(cur, "supervisor", group_name) \
        if group_name else []
    return supervisors or staff_store.active_with_role(cur, "manager")


# -- reminders ------------------------------------------------------------------------

def remind(tx, principal: Principal, ticket_id: str, fields: dict) -> dict:
    """A reminder of a ticket of the caller's scope, for the caller."""
    access.found(tickets_store.ticket(tx.cur, ticket_id, access.read_scope(principal)))
    due = rules.reminder_due(tickets_store.now(tx.cur), fields)
    return store.insert_reminder(tx.cur, ticket_id, principal.id, due, fields["note"])


def my_reminders(tx, principal: Principal, query: dict) -> dict:
    """The caller's reminders by due time, keyset paged."""
    rows = store.reminders_of(tx.cur, principal.id, query["pending"],
                              decode_cursor(query["cursor"]), query["limit"])
    return {"reminders": rows, "next": pages.after_full(rows, query["limit"], "due_at")}


def cancel_reminder(tx, principal: Principal, reminder_id: str) -> dict:
    """Cancel one's own pending reminder (again: as it is)."""
    reminder = rules.check_cancel(store.reminder_for_update(tx.cur, reminder_id), principal.id)
    if reminder["cancelled_at"] is None:
        reminder = store.cancel_reminder(tx.cur, reminder_id)
    return reminder


def send_reminders(db) -> None:
    """Deliver due reminders, batch by batch: claimed with SKIP LOCKED, marked sent and
    published as ticket_reminder_due."""
    while True:
        with db.transaction() as tx:
            rows = store.claim_due_reminders(tx.cur, BATCH)
            for r in rows:
                tx.emit("ticket_reminder_due", REMINDER_DUE.dump({
                    "reminder_id": r["id"], "ticket_id": r["ticket_id"],
                    "serial": r["serial"], "staff_id": r["staff_id"], "note": r["note"],
                    "due_at": r["due_at"]}))  # a reminder changes no ticket: no snapshot
        if len(rows) < BATCH:
            return


# -- the due view ---------------------------------------------------------------------

def due_tickets(tx, principal: Principal, query: dict) -> dict:
    """Open tickets of the caller's scope (of one group if asked: domain.sla.due_group)
    by resolution due time, soonest first."""
    rows = store.due_tickets(tx.cur, access.read_scope(principal),
                             rules.due_group(principal, query["group"]), query["breached"],
                             decode_cursor(query["cursor"]), query["limit"])
    return {"tickets": rows, "next": pages.after_full(rows, query["limit"], "resolution_due_at")}
