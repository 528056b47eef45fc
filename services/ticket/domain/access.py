"""Who reaches which tickets, and who reads what they say (issue 9, findings 7 and 8):
the rules, free of I/O.  Deny by default.

Data scope 数据范围 — the tickets a caller reaches at all.  Every statement of the
stores that reads tickets (or what hangs off them) puts it in its WHERE clause
(store.scope); a ticket out of scope does not exist for the caller (NotFound), and a
list is never short because of it.
    managers and above, auditors, the system   every ticket (全部)
    agents, supervisors, admins                their own — accepted or assigned to
                                               them (本人) — and their groups' (本组;
                                               a ticket of no group is its acceptor's
                                               groups')
    field staff                                the tickets assigned to them
    anyone else                                none
Acting on a ticket (update, the workflow steps, links to articles) narrows it (T4):
managers and above, and the system, act on every ticket; supervisors on their scope;
the assignee on theirs; agents and admins also on an unassigned ticket of their
groups, or one they accepted.  An unassigned ticket of no group is its acceptor's and
their groups' (no longer every agent's).  Dispatching to field staff (T7) takes the data
scope: a dispatcher of the group reschedules a job whoever holds the ticket.
A contact is reached with its ticket, by its agent or logger, and — one with no
ticket — by its agent's groups; a field job with its ticket, or by the field staff
member it was sent to.

Content — a classified customer's tickets, contacts and field jobs inherit its level
(C4, the customer service's events: store.levels); what they say (content, subject,
form values, contact, asset, notes, addresses) is shown by the customer archive's rule:
level 0 to everyone; above it to managers and above cleared for the level; top secret
only with an approved grant.  The grants and the borrowing log are the customer
service's: opening a classified ticket is decided and logged there
(handlers.reading), and the ticket service refuses on its own too those the rule
refuses for sure (the second wall).  A list of many customers' tickets asks nobody:
classified content is withheld in it for everyone.  Whoever may not read it sees the
identity (serial, kind, status, dates, level, handler) and why.  A contact's phone in
a ticket is masked for everyone.
"""
from dataclasses import dataclass

from services.common.errors import Forbidden, NotFound
from services.common.identity import Principal
from services.common.phones import mask_middle
from services.vocabulary import (
    ADMIN,
    AUDITOR,
    FIELD,
    FRONT_LINE,
    MANAGERS_UP,
    SUPERVISORS_UP,
)

# The data scope as the stores render it: every ticket; else those assigned to
# `staff_id`, and (`unassigned_only`: while unassigned) those it accepted (`acceptor`)
# or of `groups`.
NOTHING: dict = {"all": False, "staff_id": None, "groups": [], "acceptor": False,
                 "unassigned_only": False}
EVERY_TICKET = frozenset(MANAGERS_UP | {AUDITOR})
OWN_AND_GROUPS = frozenset(FRONT_LINE | {ADMIN})
ALL = {**NOTHING, "all": True}
CLASSIFIED_READERS = MANAGERS_UP  # as the customer archive's rule (C4)


def _own(principal: Principal, *, with_groups: bool, unassigned_only: bool = False) -> dict:
    """Assigned to the caller; with_groups: also accepted by them or of their groups
    (while unassigned, when `unassigned_only`)."""
    return {"all": False, "staff_id": principal.id,
            "groups": sorted(principal.groups) if with_groups else [],
            "acceptor": with_groups, "unassigned_only": unassigned_only}


def read_scope(principal: Principal) -> dict:
    """The tickets this caller may see (see the module's table)."""
    if principal.is_system or principal.has_any(EVERY_TICKET):
        return ALL
    if principal.has_any(OWN_AND_GROUPS):
        return _own(principal, with_groups=True)
    if principal.has_any({FIELD}):
        return _own(principal, with_groups=False)
    return NOTHING


def act_scope(principal: Principal) -> dict:
    """The tickets this caller may act on (see the module's table)."""
    if principal.is_system or principal.has_any(MANAGERS_UP):
        return ALL
    if principal.has_any(SUPERVISORS_UP):
        return read_scope(principal)
    if principal.has_any(OWN_AND_GROUPS):
        return _own(principal, with_groups=True, unassigned_only=True)
    if principal.has_any({FIELD, AUDITOR}):
        return _own(principal, with_groups=False)
    return NOTHING


def dispatch_scope(principal: Principal) -> dict:
    """The tickets this caller may send to field staff (T7): those they see — a
    dispatcher of the group reschedules a job whoever holds the ticket now."""
    return read_scope(principal)


def found(row: dict | None, what: str = "ticket") -> dict:
    """The row the scoped statement found, or NotFound (out of scope or none)."""
    if row is None:
        raise NotFound(f"no such {what}")
    return row


# -- content ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """Whether what a ticket says is shown, and if not why (`content_withheld`)."""

    shown: bool
    why: str | None = None


SHOWN = Reading(True)
ONLY_MANAGERS = "only managers and above read classified tickets"
ABOVE = "above your clearance"
OPEN_IT = "classified: open the ticket to read it (the borrowing log records it)"
UNCHECKED = "the borrowing rule could not be checked now; try again"


def own_rule(principal: Principal, level: int) -> Reading | None:
    """The ticket service's own wall: shown at level 0, withheld from those the
    archive's rule refuses whatever the grants; None when only the customer service can
    say (a cleared reader: the grants and the borrowing log are its)."""
    if level <= 0:
        return SHOWN
    if principal.is_system:
        return None
    if not principal.has_any(CLASSIFIED_READERS):
        return Reading(False, ONLY_MANAGERS)
    if level > principal.clearance:
        return Reading(False, ABOVE)
    return None


def must_ask(level: int) -> bool:
    """Opening a classified customer's ticket is decided and logged by the customer
    service — a refusal too, as the archive's rule logs every decision on it."""
    return level > 0


def in_list(principal: Principal, level: int) -> Reading:
    """A row of a list of many customers' tickets: only ordinary content is shown."""
    return own_rule(principal, level) or Reading(False, OPEN_IT)


def opened(principal: Principal, level: int, answer: dict | None) -> Reading:
    """Opening what a ticket (or a customer's tickets) says: shown when the ticket
    service does not refuse and the customer service allowed it (`answer`:
    {"allowed", "reason"}); no answer withholds."""
    own = own_rule(principal, level)
    if own is not None and own.shown:
        return own
    if answer is None:
        return own or Reading(False, UNCHECKED)
    if not answer.get("allowed"):
        return Reading(False, answer.get("reason") or (own.why if own else UNCHECKED))
    return own or SHOWN


# What an update writes of what a ticket says.
WRITES_WORDS = ("subject", "form", "contact", "category_id")


def check_may_write(fields: dict, reading: Reading) -> None:
    """Changing what a ticket says needs reading it: Forbidden otherwise (as the customer
    archive refuses changes to a classified record)."""
    if not reading.shown and any(k in fields for k in WRITES_WORDS):
        raise Forbidden(f"only those who may read it change what this ticket says: "
                        f"{reading.why}")


# -- what is shown ---------------------------------------------------------------------

TICKET_WORDS = ("content", "subject", "form", "contact", "asset_serial")
DISPATCH_WORDS = ("address", "note")
HANDLING_WORDS = ("note", "reason")


def masked_contact(contact: dict | None) -> dict | None:
    """A ticket's contact with its phone masked (the full number only through the
    customer card's unmask)."""
    if not contact or not contact.get("phone"):
        return contact
    return {**contact, "phone": mask_middle(contact["phone"])}


def _withhold(row: dict, words, reading: Reading) -> dict:
    out = {k: v for k, v in row.items() if reading.shown or k not in words}
    if not reading.shown:
        out["content_withheld"] = reading.why
    return out


def ticket_view(row: dict, reading: Reading) -> dict:
    """A ticket as this reader may see it: the contact's phone masked; when withheld,
    the identity and why."""
    out = _withhold(row, TICKET_WORDS, reading)
    if "contact" in out:
        out["contact"] = masked_contact(out["contact"])
    return out


def detail_view(detail: dict, reading: Reading) -> dict:
    """The detail (ticket and trail): when withheld, the trail's notes go too."""
    trail = detail.get("trail") or []
    return {**detail, "ticket": ticket_view(detail["ticket"], reading),
            "trail": trail if reading.shown else
            [{k: v for k, v in step.items() if k != "note"} for step in trail]}


def contact_view(row: dict, reading: Reading) -> dict:
    return _withhold(row, ("note",), reading)


def dispatch_view(row: dict, reading: Reading) -> dict:
    out = _withhold(row, DISPATCH_WORDS, reading)
    if not reading.shown and out.get("handling"):
        out["handling"] = {k: v for k, v in out["handling"].items()
                           if k not in HANDLING_WORDS}
    return out


def shareable(level: int, text: str, withheld: str = "") -> str:
    """Free text an event may carry: none of a classified customer's."""
    return text if level <= 0 else withheld
