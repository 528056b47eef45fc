"""Use cases of field dispatch 派单 (T7): jobs sent to field staff, their handling
records, the lists of open and overdue jobs, the overdue flag.  A job is reached with
its ticket (the caller's data scope) or by the one it was sent to; a classified
customer's address and notes only by those cleared (domain.access)."""
from services.common.identity import Principal
from services.common.metrics import Counter, MetricsServer
from services.ticket.contract.events import (
    WITHHELD_ADDRESS,
    DispatchHandled,
    TicketDispatched,
    TicketStatusChanged,
)
from services.ticket.domain import access, pages
from services.ticket.domain import dispatch as rules
from services.ticket.domain.tickets import REDACTED, handler_of
from services.ticket.handlers import reading, report_feed, sla
from services.ticket.store import dispatch as store
from services.ticket.store import staff as staff_store
from services.ticket.store import tickets as tickets_store
from services.ticket.store import trail

DISPATCHED, HANDLED = TicketDispatched(), DispatchHandled()
STATUS_CHANGED = TicketStatusChanged()


def outcomes(metrics: MetricsServer):
    """Field dispatches by outcome: dispatched, rescheduled, handled, not_done, overdue."""
    return metrics.metric(Counter, "kefu_dispatches_total", "Field dispatches by outcome",
                          ("outcome",))


def dispatch_ticket(tx, principal: Principal, metrics: MetricsServer, ticket_id: str,
                    fields: dict) -> dict:
    """Send an after-sales ticket to a field staff member (a loaded DispatchIn): the
    ticket's handler becomes that person (a new ticket becomes assigned), an open
    dispatch of the ticket is cancelled (a reschedule), the person is told through
    ticket_dispatched."""
    actor = principal.id
    ticket = rules.check_dispatchable(
        store.ticket_for_dispatch(tx.cur, ticket_id, access.dispatch_scope(principal)))
    rules.check_field_staff(staff_store.get(tx.cur, fields["staff_id"]))
    at = tickets_store.now(tx.cur)
    rules.check_window(fields["window_end"], at)
    address = rules.choose_address(fields["address"], ticket)
    previous = store.cancel_open(tx.cur, ticket_id)
    dispatch_id = store.insert_dispatch(tx.cur, ticket_id, fields, address, actor)
    from_status = ticket["status"]
    to_status = rules.status_after_dispatch(from_status)
    store.assign_to_field(tx.cur, ticket_id, fields["staff_id"], from_status, to_status)
    trail.append(tx.cur, ticket_id, actor, "dispatched", from_status=from_status,
                 to_status=to_status,
                 from_handler=handler_of(ticket["group_name"], ticket["assignee_id"]),
                 to_handler=handler_of(staff_id=fields["staff_id"]),
                 note=rules.dispatch_note(fields["note"], previous))
    if to_status != from_status:
        sla.apply_on_status(tx.cur, ticket_id, from_status, to_status)
    snapshot = report_feed.snapshot_of(tx.cur, ticket_id)
    if to_status != from_status:
        tx.emit("ticket_status_changed", STATUS_CHANGED.dump({
            "ticket_id": ticket_id, "serial": ticket["serial"], "kind": ticket["kind"],
            "category_id": ticket["category_id"], "customer_id": ticket["customer_id"],
            "from_status": from_status, "to_status": to_status,
            "assignee_id": fields["staff_id"], "group_name": ticket["group_name"], "at": at,
            "snapshot": snapshot}))
    level = ticket["level"]
    tx.emit("ticket_dispatched", DISPATCHED.dump({
        "ticket_id": ticket_id, "serial": ticket["serial"], "dispatch_id": dispatch_id,
        "staff_id": fields["staff_id"], "customer_id": ticket["customer_id"],
        "address": access.shareable(level, address, WITHHELD_ADDRESS),
        "window_start": fields["window_start"], "window_end": fields["window_end"],
        "note": access.shareable(level, fields["note"]), "level": level,
        "dispatched_at": at, "snapshot": snapshot}))
    row = store.dispatch(tx.cur, dispatch_id, fields["staff_id"])
    assert row is not None  # inserted above, in this transaction
    outcomes(metrics).labels("rescheduled" if previous else "dispatched").inc()
    return _listed(principal, row, at)


def record_handling(tx, principal: Principal, metrics: MetricsServer, dispatch_id: str,
                    fields: dict) -> dict:
    """The handling record of one's own dispatch (a loaded HandlingIn); sets the ticket's
    fee and paid flag."""
    staff_id = principal.id
    row = rules.check_handling(store.dispatch(tx.cur, dispatch_id, staff_id, lock=True),
                               staff_id)
    store.insert_handling(tx.cur, row, staff_id, fields)
    store.set_ticket_fee(tx.cur, row["ticket_id"], fields["fee"], fields["paid"])
    trail.append(tx.cur, row["ticket_id"], staff_id, "handled",
                 from_status=row["ticket_status"], to_status=row["ticket_status"],
                 note=rules.handling_note(fields))
    shown = store.dispatch(tx.cur, dispatch_id, staff_id)
    assert shown is not None  # locked above, in this transaction
    at = tickets_store.now(tx.cur)
    if fields["done"]:
        facts = report_feed.snapshot_of(tx.cur, row["ticket_id"])  # the ticket's side too
        tx.emit("dispatch_handled", HANDLED.dump({
            "ticket_id": row["ticket_id"], "serial": row["serial"], "dispatch_id": dispatch_id,
            "staff_id": staff_id, "kind": row["kind"], "category_id": facts["category_id"],
            "customer_id": facts["customer_id"], "group_name": facts["group_name"],
            "at": _finished(fields["finished_at"], at), "level": row["level"],
            "arrived_at": fields["arrived_at"], "finished_at": fields["finished_at"],
            "parts": sum(p["quantity"] for p in fields["parts"]), "fee": fields["fee"],
            "paid": fields["paid"], "snapshot": facts}))
    outcomes(metrics).labels("handled" if fields["done"] else "not_done").inc()
    return _listed(principal, shown, at)


def _finished(finished_at, recorded_at):
    """When the job ended: its finished_at when given (a record written up the next day
    still dates the job), never later than its recording."""
    return min(finished_at, recorded_at) if finished_at is not None else recorded_at


def dispatches(tx, principal: Principal, query: dict) -> dict:
    """Open dispatches of the caller's scope (a loaded DispatchQuery), or the overdue
    ones (their window passed without a handling record), by appointment end; of one
    staff member if asked."""
    rows = store.open_dispatches(tx.cur, access.read_scope(principal),
                                 query.get("state") == "overdue", query.get("staff_id"),
                                 rules.decode_cursor(query["after"]), query["limit"] + 1)
    at = tickets_store.now(tx.cur)
    rows, following = pages.page(rows, query["limit"], "window_end")
    return {"dispatches": [_listed(principal, r, at) for r in rows], "next": following}


def my_jobs(tx, principal: Principal, query: dict) -> dict:
    """The caller's open jobs (a loaded JobsQuery), by appointment end."""
    return dispatches(tx, principal, {**query, "staff_id": principal.id})


def dispatches_of_ticket(db, principal: Principal, customers, ticket_id: str) -> dict:
    """Every dispatch of a ticket of the caller's scope with its handling record, newest
    first; a classified customer's addresses and notes as its rule allows (logged)."""
    with db.transaction() as tx:
        ticket = access.found(tickets_store.ticket(tx.cur, ticket_id,
                                                   access.read_scope(principal)))
        rows = store.of_ticket(tx.cur, ticket_id)
        at = tickets_store.now(tx.cur)
    seen = reading.customer_reading(principal, customers, ticket["customer_id"], rows, "",
                                    {"dispatches_of_ticket": ticket_id,
                                     "serial": ticket["serial"]})
    return {"dispatches": [access.dispatch_view(rules.present(r, at), seen) for r in rows]}


def flag_overdue(tx, principal: Principal, metrics: MetricsServer) -> int:
    """Flag open dispatches whose appointment window ended with no handling record, each
    with a trail row "dispatch_overdue"; safe with replicas (SKIP LOCKED)."""
    flagged = store.flag_overdue(tx.cur)
    for row in flagged:
        trail.append(tx.cur, row["ticket_id"], principal.id, "dispatch_overdue",
                     to_handler=handler_of(staff_id=row["staff_id"]),
                     note=rules.overdue_note(row["window_end"]))
    if flagged:
        outcomes(metrics).labels("overdue").inc(len(flagged))
    return len(flagged)


def _listed(principal: Principal, row: dict, at) -> dict:
    """A job as a list shows it: a classified customer's without its words."""
    return access.dispatch_view(rules.present(row, at), access.in_list(principal, row["level"]))


def customer_destroyed(tx, customer_id: str) -> None:
    """C6: the destroyed customer's dispatch addresses and notes are erased."""
    store.anonymise_customer(tx.cur, customer_id, REDACTED)
