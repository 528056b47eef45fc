"""Field dispatch 派单 (T7): the rules, no I/O."""
import datetime
from decimal import Decimal

from services.common import paging
from services.common.errors import Conflict, Invalid, NotFound
from services.vocabulary import FIELD

DISPATCHABLE_KIND = "after_sales"
FINISHED = ("resolved", "closed", "cancelled")
# A ticket that is over 已结束 takes no handling record: its fee and trail are final.  (A
# resolved one is still open to reopening, and had no open job when resolved:
# check_resolvable.)
RECORDS_CLOSED = ("closed", "cancelled")
# Keys of an address-typed form value, in the order they are written out.
ADDRESS_PARTS = ("province", "city", "district", "street", "detail", "line", "text")


def check_dispatchable(ticket: dict | None) -> dict:
    """The ticket; NotFound for none, Conflict for a kind or status that takes no field
    job."""
    if ticket is None:
        raise NotFound("no such ticket")
    if ticket["kind"] != DISPATCHABLE_KIND:
        raise Conflict("only after-sales tickets are dispatched to field staff",
                       {"kind": [f"is {ticket['kind']}, must be after_sales"]})
    if ticket["status"] in FINISHED:
        raise Conflict(f"the ticket is {ticket['status']}; reopen it first",
                       {"status": [f"is {ticket['status']}"]})
    return ticket


def check_field_staff(staff: dict | None) -> None:
    if staff is None or not staff["active"] or FIELD not in (staff["roles"] or ()):
        raise Invalid("not an active field staff member",
                      {"staff_id": ["must be an active field staff member"]})


def check_window(window_end: datetime.datetime, now: datetime.datetime) -> None:
    if window_end <= now:
        raise Invalid("the appointment window is over", {"window_end": ["must be in the future"]})


def address_text(value) -> str:
    """A form or contact address as one line: a string, or a dict of its parts."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        parts = [value[k] for k in ADDRESS_PARTS if isinstance(value.get(k), str)]
        if not parts:
            parts = [v for v in value.values() if isinstance(v, str)]
        return "".join(p.strip() for p in parts)
    return ""


def default_address(form: dict | None, contact: dict | None) -> str:
    """Where to go when the dispatcher gives no address: the ticket form's address
    field, else the address of the contact snapshot."""
    for source in (form or {}, contact or {}):
        text = address_text(source.get("address"))
        if text:
            return text
    return ""


def choose_address(given: str | None, ticket: dict) -> str:
    address = (given or "").strip() or default_address(ticket.get("form"), ticket.get("contact"))
    if not address:
        raise Invalid("no address to go to",
                      {"address": ["required: the ticket's form and contact have none"]})
    return address


def status_after_dispatch(status: str) -> str:
    """A new ticket becomes assigned when dispatched; any other status stays."""
    return "assigned" if status == "new" else status


def check_handling(dispatch: dict | None, staff_id: str) -> dict:
    """The dispatch, when it may take a handling record: only the field staff member it
    was sent to sees it (404 for others); a cancelled or already handled dispatch takes
    no (further) record, nor a dispatch whose ticket is closed or cancelled."""
    if dispatch is None or dispatch["staff_id"] != staff_id:
        raise NotFound("no such dispatch")
    if dispatch["state"] == "cancelled":
        raise Conflict("this dispatch was replaced by a later one",
                       {"dispatch_id": ["cancelled"]})
    if dispatch["state"] == "handled":
        raise Conflict("the handling record was already entered; dispatch again to correct it",
                       {"dispatch_id": ["already handled"]})
    status = dispatch["ticket_status"]
    if status in RECORDS_CLOSED:
        raise Conflict(f"the ticket is {status}: a {status} ticket takes no handling record"
                       + ("; reopen it first" if status == "closed" else ""),
                       {"ticket_status": [f"is {status}"]})
    return dispatch


def check_resolvable(open_job: dict | None) -> None:
    """A ticket is resolved only once its field job has a handling record: `open_job`,
    its dispatch still open (no record), refuses it.  A record saying the job was not
    done counts; a job replaced by a reschedule does not wait for one."""
    if open_job is not None:
        raise Conflict(f"the field job dispatched to {open_job['staff_id']} has no handling "
                       "record yet: it is entered (done or not, and why) before the ticket "
                       "is resolved", {"to": ["a dispatched job has no handling record"]})


def parts_total(parts: list[dict]) -> Decimal:
    """What the parts charged on their own come to; a part without a price adds nothing."""
    return sum((Decimal(p["price"]) * p["quantity"] for p in parts
                if p.get("price") is not None), Decimal("0"))


def handling_note(record: dict) -> str:
    """The trail's one-line summary of a handling record."""
    head = "完成" if record["done"] else f"未完成：{record['reason']}"
    fee = f"费用 {record['fee']} 元（{'已付' if record['paid'] else '未付'}）"
    parts = "、".join(f"{p['name']}×{p['quantity']}" for p in record["parts"])
    return "；".join(x for x in (head, fee, f"配件 {parts}" if parts else "", record["note"]) if x)


def dispatch_note(note: str, previous: dict | None) -> str:
    """The trail's note of a dispatch: the dispatcher's, else that it replaces one."""
    return note or (f"改派，取消派单 {previous['id']}" if previous else "")


def overdue_note(window_end: datetime.datetime) -> str:
    """The trail's note of a dispatch flagged overdue."""
    return f"预约时段已过（{window_end.isoformat()}），无处理记录"


def decode_cursor(cursor: str | None, name: str = "after"):
    """(timestamp, id) of a keyset cursor; Invalid naming the parameter when malformed."""
    return paging.decode_cursor(cursor, name)


def present(row: dict, now: datetime.datetime) -> dict:
    """A dispatch as shown: with `overdue` and its handling record (or None)."""
    shown = dict(row)
    shown["overdue"] = row["state"] == "open" and row["window_end"] < now
    if row.get("handling_done") is not None:
        shown["handling"] = {
            "done": row["handling_done"], "reason": row["handling_reason"],
            "parts": row["handling_parts"], "fee": row["handling_fee"],
            "paid": row["handling_paid"], "note": row["handling_note"],
            "arrived_at": row["handling_arrived_at"], "finished_at": row["handling_finished_at"],
            "staff_id": row["staff_id"], "recorded_at": row["handling_recorded_at"]}
    else:
        shown["handling"] = None
    return shown
