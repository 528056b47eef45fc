"""Entrypoints of the ticket service: field dispatch 派单 (T7) — jobs sent to field
staff, their handling records, the overdue flag.  Mixed into TicketService."""
import uuid

from nameko.timer import timer

from services.common.errors import NotFound
from services.common.events import on_event
from services.common.metrics import Counter
from services.common.rpc import AuthenticatedRpc
from services.customer.contract.events import CustomerDestroyed
from services.ticket.contract import dispatch as schemas
from services.ticket.contract import events as contract
from services.ticket.domain import dispatch as rules
from services.ticket.store import dispatch as store
from services.ticket.store import sla as sla_store
from services.ticket.store import trail
from services.vocabulary import FIELD_STAFF, OPERATORS, STAFF, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

DISPATCH_IN = schemas.DispatchIn()
HANDLING_IN = schemas.HandlingIn()
DISPATCH = schemas.Dispatch()
DISPATCH_PAGE = schemas.DispatchPage()
DISPATCH_QUERY = schemas.DispatchQuery()
JOBS_QUERY = schemas.JobsQuery()
DISPATCHED = contract.TicketDispatched()
STATUS_CHANGED = contract.TicketStatusChanged()


class DispatchEntrypoints:
    @rpc(allow=OPERATORS)
    def dispatch_ticket(self, ticket_id, data):
        """Send an after-sales ticket to a field staff member; returns Dispatch.

        The ticket's handler becomes the field staff member (a new ticket becomes
        assigned); an open dispatch of the ticket is cancelled (reschedule); the
        staff member is told through ticket_dispatched.  NotFound (no such ticket),
        Conflict (not after-sales, or finished), Invalid (bad fields, not an active
        field staff member, no address, window over)."""
        fields = DISPATCH_IN.load(data or {})
        tid = _uuid(ticket_id, "ticket")
        actor = self.principal.id
        with self.db.transaction() as tx:
            ticket = store.ticket_for_dispatch(tx.cur, tid)
            rules.check_dispatchable(ticket)
            rules.check_field_staff(store.field_staff(tx.cur, fields["staff_id"]))
            at = store.now(tx.cur)
            rules.check_window(fields["window_end"], at)
            address = rules.choose_address(fields["address"], ticket)
            previous = store.cancel_open(tx.cur, tid)
            dispatch_id = store.insert_dispatch(tx.cur, tid, fields, address, actor)
            from_status = ticket["status"]
            to_status = rules.status_after_dispatch(from_status)
            store.assign_to_field(tx.cur, tid, fields["staff_id"], from_status, to_status)
            note = fields["note"] or (f"改派，取消派单 {previous['id']}" if previous else "")
            trail.append(tx.cur, tid, actor, "dispatched", from_status=from_status,
                         to_status=to_status,
                         from_handler=trail.handler(ticket["group_name"], ticket["assignee_id"]),
                         to_handler=trail.handler(staff_id=fields["staff_id"]), note=note)
            if to_status != from_status:
                sla_store.apply_on_status(tx.cur, tid, from_status, to_status)
                tx.emit("ticket_status_changed", STATUS_CHANGED.dump({
                    "ticket_id": tid, "serial": ticket["serial"], "kind": ticket["kind"],
                    "category_id": ticket["category_id"], "customer_id": ticket["customer_id"],
                    "from_status": from_status, "to_status": to_status,
                    "assignee_id": fields["staff_id"], "group_name": ticket["group_name"],
                    "at": at}))
            tx.emit("ticket_dispatched", DISPATCHED.dump({
                "ticket_id": tid, "serial": ticket["serial"], "dispatch_id": dispatch_id,
                "staff_id": fields["staff_id"], "address": address,
                "window_start": fields["window_start"], "window_end": fields["window_end"],
                "note": fields["note"]}))
            row = store.dispatch(tx.cur, dispatch_id)
        self._dispatch_counter().labels("rescheduled" if previous else "dispatched").inc()
        return DISPATCH.dump(rules.present(row, at))

    @rpc(allow=FIELD_STAFF)
    def record_handling(self, dispatch_id, data):
        """Enter the handling record of one's own dispatch (done or not and why, parts,
        fee, paid, note); sets the ticket's fee and paid flag; returns Dispatch.

        NotFound for someone else's dispatch; Conflict when already handled or
        replaced; Invalid on bad fields."""
        fields = HANDLING_IN.load(data or {})
        did = _uuid(dispatch_id, "dispatch")
        staff_id = self.principal.id
        with self.db.transaction() as tx:
            row = store.dispatch(tx.cur, did, lock=True)
            rules.check_handling(row, staff_id)
            store.insert_handling(tx.cur, row, staff_id, fields)
            store.set_ticket_fee(tx.cur, row["ticket_id"], fields["fee"], fields["paid"])
            trail.append(tx.cur, row["ticket_id"], staff_id, "handled",
                         from_status=row["ticket_status"], to_status=row["ticket_status"],
                         note=rules.handling_note(fields))
            shown = store.dispatch(tx.cur, did)
            at = store.now(tx.cur)
        self._dispatch_counter().labels("handled" if fields["done"] else "not_done").inc()
        return DISPATCH.dump(rules.present(shown, at))

    @rpc(allow=SUPERVISORS_UP)
    def dispatches(self, state="open", staff_id=None, limit=50, after=None):
        """Open dispatches, or (state="overdue") those whose window passed without a
        handling record, by appointment end: {"dispatches": [...], "next": cursor}."""
        query = DISPATCH_QUERY.load({"state": state, "staff_id": staff_id, "limit": limit,
                                     "after": after})
        cursor = rules.decode_cursor(query["after"])
        with self.db.transaction() as tx:
            rows = store.open_dispatches(tx.cur, query["state"] == "overdue",
                                         query["staff_id"], cursor, query["limit"] + 1)
            at = store.now(tx.cur)
        rows, following = rules.page(rows, query["limit"], "window_end")
        return DISPATCH_PAGE.dump({"dispatches": [rules.present(r, at) for r in rows],
                                   "next": following})

    @rpc(allow=FIELD_STAFF)
    def my_jobs(self, limit=50, after=None):
        """The caller's open jobs by appointment end: {"dispatches": [...], "next"}."""
        query = JOBS_QUERY.load({"limit": limit, "after": after})
        cursor = rules.decode_cursor(query["after"])
        with self.db.transaction() as tx:
            rows = store.open_dispatches(tx.cur, False, self.principal.id, cursor,
                                         query["limit"] + 1)
            at = store.now(tx.cur)
        rows, following = rules.page(rows, query["limit"], "window_end")
        return DISPATCH_PAGE.dump({"dispatches": [rules.present(r, at) for r in rows],
                                   "next": following})

    @rpc(allow=STAFF)
    def dispatches_of_ticket(self, ticket_id):
        """Every dispatch of a ticket with its handling record, newest first:
        {"dispatches": [...]}."""
        tid = _uuid(ticket_id, "ticket")
        with self.db.transaction() as tx:
            rows = store.of_ticket(tx.cur, tid)
            at = store.now(tx.cur)
        return schemas.DispatchList().dump({"dispatches": [rules.present(r, at) for r in rows]})

    @timer(interval=5)
    def flag_overdue_dispatches(self):
        """Flag open dispatches whose appointment window ended with no handling record,
        each with a trail row "dispatch_overdue"; safe with replicas (SKIP LOCKED)."""
        with self.db.transaction() as tx:
            flagged = store.flag_overdue(tx.cur)
            for row in flagged:
                trail.append(tx.cur, row["ticket_id"], self.principal.id, "dispatch_overdue",
                             to_handler=trail.handler(staff_id=row["staff_id"]),
                             note=f"预约时段已过（{row['window_end'].isoformat()}），无处理记录")
        if flagged:
            self._dispatch_counter().labels("overdue").inc(len(flagged))
        return len(flagged)

    @on_event("customer", "customer_destroyed")
    def anonymise_dispatches_of_destroyed_customer(self, event):
        """C6: the destroyed customer's dispatch addresses and notes become '[已销毁]'."""
        destroyed = CustomerDestroyed().load(event["data"])
        with self.db.transaction() as tx:
            store.anonymise_customer(tx.cur, destroyed["customer_id"])

    def _dispatch_counter(self):
        return self.metrics.metric(Counter, "kefu_dispatches_total",
                                   "Field dispatches by outcome", ("outcome",))


def _uuid(value, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise NotFound(f"no such {what}") from exc
