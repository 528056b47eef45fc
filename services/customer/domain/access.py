"""Who may see what of a customer (C4): the decision function, free of I/O.

Deny by default.  The card (name, number, masked phones, level, classes,
owner, products) is for every staff member; the archive behind it is shown
only when `archive_decision` allows it, and every decision on a classified
archive (allowed or not) is written to the borrowing log by the caller in the
same transaction as the read.  PostgreSQL row-level security applies the same
rule again (migrations/0002) in case this code is wrong.
"""
import datetime
from dataclasses import dataclass

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor, number
from services.common.phones import mask_middle
from services.customer.contract.levels import TOP_SECRET
from services.vocabulary import ADMIN, MANAGERS_UP, SUPERVISORS_UP

READ_ARCHIVE, DENY = "read_archive", "deny"
# Roles that may read classified archives (C4: "only managers and above").
CLASSIFIED_READERS = MANAGERS_UP
# Roles that may see a phone number in full (a permission of its own, logged).
UNMASKERS = SUPERVISORS_UP
REQUEST_STATUSES = ("pending", "approved", "rejected")
# Lookups by phone (the screen pop) of roles that may not unmask (issue 9, finding 9a):
# a masked number hides four digits, 10⁴ candidates.  An agent answers a call every few
# minutes; at this pace the 10⁴ take days, each one in the borrowing log.
PHONE_LOOKUP_LIMIT = 30
PHONE_LOOKUP_WINDOW_MINUTES = 10


@dataclass(frozen=True)
class Decision:
    allowed: bool
    log_action: str | None  # what the borrowing log records, None when nothing
    reason: str


def effective_level(level: int, declassify_at: datetime.datetime | None,
                    declassify_to: int | None, now: datetime.datetime) -> int:
    """The stored level until `declassify_at`, then the lower one."""
    if declassify_at is not None and declassify_to is not None and now >= declassify_at:
        return declassify_to
    return level


def reads_classified(principal: Principal) -> bool:
    """Whether this principal's role reads classified archives (within its clearance):
    managers up, and a system identity (issue 9, finding 4: logged like anyone's read,
    and top secret still needs a grant, which no system identity holds)."""
    return principal.is_system or principal.has_any(CLASSIFIED_READERS)


def archive_decision(principal: Principal, effective: int, has_grant: bool) -> Decision:
    """May this principal read the archive of a record at this effective level?  The
    same rule as row-level security's (migration 0006 archive_visible, told by
    `session_settings`); a decision on a classified archive is always logged."""
    if effective <= 0:
        return Decision(True, None, "ordinary")
    if not reads_classified(principal):
        return Decision(False, DENY, "only managers and above read classified archives")
    if effective > principal.clearance:
        return Decision(False, DENY, "above your clearance")
    if effective >= TOP_SECRET and not has_grant:
        return Decision(False, DENY, "top secret needs an approved access request")
    return Decision(True, READ_ARCHIVE, "cleared")


def unmask_decision(principal: Principal, effective: int) -> Decision:
    """May this principal see the phone numbers in full?  Always logged."""
    if not principal.has_any(UNMASKERS):
        return Decision(False, DENY, "your role may not unmask phone numbers")
    if effective > principal.clearance:
        return Decision(False, DENY, "above your clearance")
    return Decision(True, "unmask", "permitted")


def throttles_phone_lookups(principal: Principal) -> bool:
    """Whether this principal's lookups by phone are counted, limited and logged: those
    of every role that may not see a number in full (the system's are not)."""
    return not principal.is_system and not principal.has_any(UNMASKERS)


def check_phone_lookups(used: int) -> None:
    """TooManyRequests when `used` (this lookup included) passes the window's limit."""
    if used > PHONE_LOOKUP_LIMIT:
        raise TooManyRequests(
            "too many lookups by phone",
            {"phone": [f"at most {PHONE_LOOKUP_LIMIT} lookups by phone in"
                       f" {PHONE_LOOKUP_WINDOW_MINUTES} minutes for a role that may not"
                       " unmask phone numbers"]})


def phone_lookup_entry(e164: str, matches: list[dict]) -> tuple:
    """The borrowing-log row of a lookup by phone: (customer, action, level, fields,
    reason, detail) — the customer when one matched, the number masked."""
    one = matches[0]["id"] if len(matches) == 1 else None
    level = max((m["effective_level"] for m in matches), default=None)
    detail = {"phone": mask_middle(e164), "matches": len(matches)}
    if len(matches) > 1:
        detail["customers"] = [m["id"] for m in matches]
    return one, "lookup_phone", level, ["phones"], "lookup by phone", detail


def in_write_scope(principal: Principal, owner_group: str | None) -> bool:
    """Object scope for changes: managers and admins everywhere, others their groups'
    customers and customers no group owns."""
    if principal.is_system or principal.has_any(MANAGERS_UP | {ADMIN}):
        return True
    return owner_group is None or owner_group in principal.groups


def check_classification(principal: Principal, card: dict | None, level: int) -> dict:
    """May this principal (re)classify this record to `level`?  NotFound for a record
    gone or above their clearance, Forbidden above their own clearance."""
    if card is None or card["destroyed_at"] is not None or (
            card["effective_level"] > principal.clearance):
        raise NotFound("no such customer")
    if level > principal.clearance:
        raise Forbidden("you may not classify above your own clearance",
                        {"level": [f"above your clearance ({principal.clearance})"]})
    return card


def check_borrowable(principal: Principal, card: dict | None) -> dict:
    """May this principal ask to borrow this record's archive?  Only a top-secret one
    needs asking; one gone or above their clearance is NotFound."""
    if card is None or card["destroyed_at"] is not None or (
            card["effective_level"] > principal.clearance):
        raise NotFound("no such customer")
    if card["effective_level"] < TOP_SECRET:
        raise Invalid("only top-secret records need an access request",
                      {"customer_id": ["not top secret"]})
    return card


def check_deciding(principal: Principal, request: dict | None, card: dict | None) -> dict:
    """The record's card, when this principal may decide this borrowing request now: a
    manager or above (the RPC's roles) who is not the requester, cleared for the
    record, while it is pending."""
    if request is None or card is None or card["effective_level"] > principal.clearance:
        raise NotFound("no such access request")
    if request["requester_id"] == principal.id:
        raise Forbidden("you may not decide your own request")
    if request["status"] != "pending":
        raise Conflict(f"already {request['status']}")
    return card


def check_request_status(status: str | None) -> None:
    if status not in (None, *REQUEST_STATUSES):
        raise Invalid("unknown status", {"status": ["pending, approved or rejected"]})


def log_cursor(before) -> int | None:
    """The borrowing log pages by sequence number (the order of its hash chain): the
    `before` of a page is a cursor after the last seq of the one before it."""
    if before in (None, ""):
        return None
    if not isinstance(before, str):
        raise Invalid("malformed cursor", {"before": ["not a cursor from a previous page"]})
    (seq,) = decode_cursor(before, "before", parts=(number,)) or (None,)
    return seq


def next_log_cursor(rows: list[dict], limit: int) -> str | None:
    return encode_cursor(rows[-1]["seq"]) if len(rows) == limit else None


def session_settings(principal: Principal | None) -> dict:
    """What row-level security is told about the caller (kefu.* settings): who, their
    clearance, whether their role reads classified archives, and their roles (the
    policies of the history, requests, imports and log read them).  Nothing here opens
    more for the system principal: it is bound like anyone (migration 0006)."""
    if principal is None:
        return {"principal": "", "clearance": "-1", "classified": "off", "roles": ""}
    return {
        "principal": principal.id,
        "clearance": str(principal.clearance),
        "classified": "on" if reads_classified(principal) else "off",
        "roles": ",".join(sorted(principal.roles)),
    }
