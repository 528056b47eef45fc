"""Entrypoints of the ticket service: time (T6) — SLA targets, business hours, the
calendar, the escalation timer, personal reminders, the due view.

Mixed into TicketService; every method name here is prefixed or specific to avoid
clashing with the other areas' mixins."""
import datetime
import logging
import uuid

from nameko.timer import timer

from services.common.errors import Conflict, Invalid, NotFound
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import events as contract
from services.ticket.contract import sla as contract_sla
from services.ticket.domain import sla as rules
from services.ticket.domain import workflow as flow
from services.ticket.store import sla as store
from services.ticket.store import trail
from services.vocabulary import ADMINS, MANAGERS_UP, STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system:ticket"
BATCH = 200
MAX_CALENDAR_DAYS = 366

BREACHED = contract.TicketSlaBreached()
REMINDER_DUE = contract.TicketReminderDue()


class SlaEntrypoints:
    # --- configuration -----------------------------------------------------------

    @rpc(allow=STAFF)
    def sla_policies(self):
        """Response and resolution targets (business minutes) per kind x urgency."""
        with self.db.transaction() as tx:
            rows = store.policies(tx.cur)
        return contract_sla.SlaPolicies().dump({"policies": rows})

    @rpc(allow=ADMINS)
    def set_sla_policy(self, kind, urgency, data):
        """Set the targets of one kind x urgency (applies to tickets created after)."""
        key = contract_sla.SlaPolicyKey().load({"kind": kind, "urgency": urgency})
        targets = contract_sla.SlaPolicyIn().load(data)
        rules.check_policy(targets["response_minutes"], targets["resolution_minutes"])
        with self.db.transaction() as tx:
            row = store.set_policy(tx.cur, key["kind"], key["urgency"],
                                   targets["response_minutes"], targets["resolution_minutes"],
                                   self.principal.id)
        return contract_sla.SlaPolicy().dump(row)

    @rpc(allow=STAFF)
    def business_hours(self):
        with self.db.transaction() as tx:
            row = store.settings(tx.cur)
        return contract_sla.BusinessHours().dump(row)

    @rpc(allow=ADMINS)
    def set_business_hours(self, data):
        """Opening and closing time of a working day, in a time zone (admins)."""
        hours = contract_sla.BusinessHoursIn().load(data)
        rules.BusinessHours(hours["timezone"], hours["start"], hours["end"])  # start < end
        with self.db.transaction() as tx:
            row = store.set_hours(tx.cur, hours["timezone"], hours["start"], hours["end"],
                                  self.principal.id)
        return contract_sla.BusinessHours().dump(row)

    @rpc(allow=STAFF)
    def calendar(self, query):
        """Each day of [from, to] (at most 366): working day or not, and why
        (override / chinese_calendar / weekend_rule)."""
        q = contract_sla.CalendarQuery().load(query or {})
        span = (q["end"] - q["start"]).days
        if span < 0:
            raise Invalid("`to` is before `from`", {"to": ["must not be before from"]})
        if span >= MAX_CALENDAR_DAYS:
            raise Invalid("at most 366 days at once", {"to": ["at most 366 days after from"]})
        with self.db.transaction() as tx:
            overrides = store.overrides_between(tx.cur, q["start"], q["end"])
        calendar = rules.Calendar({d: r["workday"] for d, r in overrides.items()})
        days = []
        for n in range(span + 1):
            day = q["start"] + datetime.timedelta(days=n)
            days.append({"day": day, "workday": calendar.is_workday(day),
                         "source": calendar.source(day),
                         "note": overrides[day]["note"] if day in overrides else ""})
        unknown = sorted({d["day"].year for d in days if not rules.known_year(d["day"].year)})
        return contract_sla.CalendarView().dump({"days": days, "unknown_years": unknown})

    @rpc(allow=ADMINS)
    def set_calendar_day(self, day, data):
        """Make a day a working day or a day off, whatever chinese_calendar says."""
        day = _day(day)
        change = contract_sla.CalendarDayIn().load(data)
        with self.db.transaction() as tx:
            store.set_override(tx.cur, day, change["workday"], change["note"], self.principal.id)
        return contract_sla.CalendarDay().dump(
            {"day": day, "workday": change["workday"], "source": "override",
             "note": change["note"]})

    @rpc(allow=ADMINS)
    def delete_calendar_day(self, day):
        """Drop an override: the day follows chinese_calendar / weekends again."""
        day = _day(day)
        with self.db.transaction() as tx:
            if not store.delete_override(tx.cur, day):
                raise NotFound("no override for that day")
        calendar = rules.Calendar()
        return contract_sla.CalendarDay().dump(
            {"day": day, "workday": calendar.is_workday(day), "source": calendar.source(day),
             "note": ""})

    # --- escalation ----------------------------------------------------------------

    @timer(interval=2)
    def sla_escalate(self):
        """Escalate breaches: open, unpaused tickets past the resolution due time (or
        the response due time without a first response), each once — rows are claimed
        with FOR UPDATE SKIP LOCKED and stamped in the same transaction, so several
        replicas never escalate the same ticket twice.  One trail row and one
        ticket_sla_breached per breach, to the group's supervisors (else managers)."""
        for target in rules.TARGETS:
            while self._sla_escalate_batch(target) == BATCH:
                pass

    def _sla_escalate_batch(self, target: str) -> int:
        with self.db.transaction() as tx:
            rows = store.claim_breaches(tx.cur, target, BATCH)
            recipients: dict = {}
            for t in rows:
                if t["group_name"] not in recipients:
                    recipients[t["group_name"]] = store.escalation_recipients(
                        tx.cur, t["group_name"])
                notify = recipients[t["group_name"]]
                trail.append(tx.cur, t["id"], SYSTEM_ACTOR, "escalated",
                             from_status=t["status"], to_status=t["status"],
                             note=f"{target} due {t['due_at'].isoformat()} passed;"
                                  f" notified {', '.join(notify) or 'nobody'}")
                tx.emit("ticket_sla_breached", BREACHED.dump({
                    "ticket_id": t["id"], "serial": t["serial"], "kind": t["kind"],
                    "target": target, "due_at": t["due_at"], "group_name": t["group_name"],
                    "assignee_id": t["assignee_id"], "notify_staff_ids": notify}))
        if rows:
            log.info("escalated %d %s breaches", len(rows), target)
        return len(rows)

    # --- reminders ----------------------------------------------------------------

    @rpc(allow=STAFF)
    def remind(self, ticket_id, data):
        """Remind the caller of a ticket at a time, or in N minutes/hours/days
        (calendar time): Reminder.  NotFound for a ticket out of the caller's scope."""
        tid = _uuid(ticket_id, "no such ticket")
        fields = contract_sla.ReminderIn().load(data or {})
        with self.db.transaction() as tx:
            ticket = store.ticket_scope(tx.cur, tid)
            _check_ticket_scope(self.principal, ticket)
            due = rules.reminder_due(store.now(tx.cur), fields)
            row = store.insert_reminder(tx.cur, tid, self.principal.id, due, fields["note"])
        return contract_sla.Reminder().dump(row)

    @rpc(allow=STAFF)
    def my_reminders(self, query=None):
        """The caller's reminders by due time (pending only unless pending=false),
        keyset paged: {"reminders": [...], "next": cursor or null}."""
        q = contract_sla.ReminderQuery().load(query or {})
        after = flow.decode_cursor(q["cursor"])
        with self.db.transaction() as tx:
            rows = store.reminders_of(tx.cur, self.principal.id, q["pending"], after,
                                      q["limit"])
        nxt = flow.encode_cursor(rows[-1]["due_at"], rows[-1]["id"]) \
            if len(rows) == q["limit"] else None
        return contract_sla.ReminderList().dump({"reminders": rows, "next": nxt})

    @rpc(allow=STAFF)
    def cancel_reminder(self, reminder_id):
        """Cancel one's own pending reminder; another's is NotFound, a sent one Conflict."""
        rid = _uuid(reminder_id, "no such reminder")
        with self.db.transaction() as tx:
            row = store.reminder_for_update(tx.cur, rid)
            if row is None or row["staff_id"] != self.principal.id:
                raise NotFound("no such reminder")
            if row["sent_at"] is not None:
                raise Conflict("the reminder was already sent")
            if row["cancelled_at"] is None:
                store.cancel_reminder(tx.cur, rid)
            row = store.reminder_for_update(tx.cur, rid)
        return contract_sla.Reminder().dump(row)

    @timer(interval=2)
    def sla_send_reminders(self):
        """Deliver due reminders: claimed with SKIP LOCKED, marked sent and published
        as ticket_reminder_due (notify puts them in the staff member's inbox)."""
        while True:
            with self.db.transaction() as tx:
                rows = store.claim_due_reminders(tx.cur, BATCH)
                for r in rows:
                    tx.emit("ticket_reminder_due", REMINDER_DUE.dump({
                        "reminder_id": r["id"], "ticket_id": r["ticket_id"],
                        "serial": r["serial"], "staff_id": r["staff_id"], "note": r["note"],
                        "due_at": r["due_at"]}))
            if len(rows) < BATCH:
                return

    # --- the due view ---------------------------------------------------------------

    @rpc(allow=SUPERVISORS_UP)
    def due_tickets(self, query=None):
        """Open tickets by resolution due time, soonest first (breached=true: only those
        past it); supervisors see their groups, managers up all (or one group)."""
        q = contract_sla.DueQuery().load(query or {})
        p = self.principal
        if p.has_any(MANAGERS_UP):
            groups = [q["group"]] if q["group"] else None
        elif q["group"]:
            if q["group"] not in p.groups:
                raise NotFound("no such group")
            groups = [q["group"]]
        else:
            groups = sorted(p.groups)
        after = flow.decode_cursor(q["cursor"])
        with self.db.transaction() as tx:
            rows = store.due_tickets(tx.cur, groups, q["breached"], after, q["limit"])
        nxt = flow.encode_cursor(rows[-1]["resolution_due_at"], rows[-1]["id"]) \
            if len(rows) == q["limit"] else None
        return contract_sla.DueList().dump({"tickets": rows, "next": nxt})


def _check_ticket_scope(principal, ticket: dict | None) -> None:
    """A reminder may be set on a ticket one may act on (see workflow.may_act) or
    accepted oneself."""
    if ticket is None or not (flow.may_act(principal, ticket)
                              or ticket["acceptor_id"] == principal.id):
        raise NotFound("no such ticket")


def _uuid(value, message: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise NotFound(message) from exc


def _day(value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid("not a date (YYYY-MM-DD)", {"day": ["not a date (YYYY-MM-DD)"]}) from exc
