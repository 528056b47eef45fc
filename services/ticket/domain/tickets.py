"""Ticket rules, free of I/O."""
import datetime
import re
from decimal import Decimal

from services.common.errors import Invalid
from services.common.zone import business_day

KIND_PREFIX = {"consultation": "ZX", "after_sales": "SH", "complaint": "TS", "suggestion": "JY"}
CENT = Decimal("0.01")
# What a destroyed customer's texts become (C6); the same text as in the
# ticket_guard_destroyed trigger of migration 0002.
REDACTED = "[已销毁]"


def serial_counter(kind: str, accepted_at: datetime.datetime) -> tuple[str, datetime.date]:
    """The counter a ticket's serial is numbered in: its kind's prefix and the business
    day in China it was accepted on."""
    return KIND_PREFIX[kind], business_day(accepted_at)


def serial(kind: str, day: datetime.date, number: int) -> str:
    """Readable, unique per kind and day: ZX-20261122-0001."""
    return f"{KIND_PREFIX[kind]}-{day:%Y%m%d}-{number:04d}"


def request_key(principal_id: str, idempotency_key: str | None) -> str | None:
    """Keys are per staff member, so two agents can never collide."""
    return f"{principal_id}:{idempotency_key}" if idempotency_key else None


# --- the whole record (T2) and its updates --------------------------------------------

# What update_ticket may change; everything else on a ticket moves only through its
# own step (status and handler through the workflow, dates by the system).
UPDATABLE = ("subject", "form", "contact", "urgency", "fee", "paid", "category_id")
SET_ELSEWHERE = {
    "status": "changes only through the workflow (transitions)",
    "assignee_id": "changes only by assigning or transferring",
    "group_name": "changes only by assigning or transferring",
    "waiting_on": "changes only through the workflow (transitions)",
    "kind": "a ticket keeps its kind; cancel it and accept a new one",
    "customer_id": "a ticket keeps its customer",
    "content": "what the customer said is kept as said; add a note instead",
    "channel": "a ticket keeps its channel",
    "asset_serial": "fixed at acceptance (warranty was looked up then)",
    "warranty": "looked up at acceptance, not writable",
}


def refuse_unwritable(data) -> None:
    """Mass assignment: any field outside UPDATABLE refuses the whole update."""
    if not isinstance(data, dict):
        raise Invalid("the update must be an object", {"_body": ["not an object"]})
    errors = {}
    for key in data:
        if key in UPDATABLE:
            continue
        errors[key] = [SET_ELSEWHERE.get(key, "set by the system, not writable")]
    if errors:
        raise Invalid("fields not writable", errors)


def check_fee(fee) -> None:
    """A fee is money: at most 2 decimal places (the range is the schema's)."""
    if fee is not None and fee.as_tuple().exponent < -2:
        raise Invalid("fee invalid", {"fee": ["at most 2 decimal places"]})


def contact_snapshot(contact: dict | None) -> dict:
    """The contact as stored: {name, phone (E.164), ext, relation}, or {} when none."""
    if not contact:
        return {}
    phone = contact.get("phone") or {}
    return {"name": contact.get("name", ""), "phone": phone.get("e164"),
            "ext": phone.get("ext"), "relation": contact.get("relation", "")}


def warranty_of(card: dict, asset_serial: str | None) -> str:
    """'in' / 'out' / 'unknown' from the customer's owned product with this serial.

    Unknown when no serial is given, the serial is not among the customer's assets
    (the archive may lag behind), or the asset has no warranty end recorded."""
    if not asset_serial:
        return "unknown"
    wanted = code(asset_serial)
    for asset in card.get("assets") or ():
        if asset.get("serial") and code(asset["serial"]) == wanted:
            if not asset.get("warranty_end"):
                return "unknown"
            return "in" if asset.get("in_warranty") else "out"
    return "unknown"


_CODE_NOISE = re.compile(r"[\s\-_·.]")


def code(value: str) -> str:
    """A serial as the customer archive compares it: upper-case without spaces, dashes,
    underscores, dots (`sn-12 34` -> `SN1234`)."""
    return _CODE_NOISE.sub("", value).upper()


def updated(row: dict, fields: dict) -> dict:
    """The editable fields of a ticket after an update (a loaded TicketUpdate): the fee
    to the cent, the contact as stored, form values merged (null removes one) — still
    to be checked against the category's form."""
    new = {k: row[k] for k in UPDATABLE}
    new.update({k: v for k, v in fields.items() if k not in ("form", "contact", "category_id")})
    if "fee" in fields:
        new["fee"] = fields["fee"].quantize(CENT)
    if "contact" in fields:
        new["contact"] = contact_snapshot(fields["contact"])
    if "category_id" in fields:
        new["category_id"] = str(fields["category_id"]) if fields["category_id"] else None
    new["form"] = {k: v for k, v in {**row["form"], **fields.get("form", {})}.items()
                   if v is not None}
    return new


def changed(old: dict, new: dict) -> list[str]:
    """Names of the fields of `new` whose value differs from `old`, in order."""
    return [k for k in UPDATABLE if k in new and _same(old.get(k)) != _same(new[k])]


def _same(value):
    return str(value) if value is not None and not isinstance(value, dict | list | bool) \
        else value


def handler_of(group_name: str | None = None, staff_id: str | None = None) -> str | None:
    """How a handler is written (the trail, the detail): "staff:<id>" or "group:<name>"."""
    if staff_id:
        return f"staff:{staff_id}"
    return f"group:{group_name}" if group_name else None


def final_handler(ticket: dict) -> dict:
    """Who handles it now: the assignee if any, else the group."""
    assignee, group = ticket.get("assignee_id"), ticket.get("group_name")
    return {"assignee_id": assignee, "group_name": group, "handler": handler_of(group, assignee)}
