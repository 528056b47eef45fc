"""Separation of duties over staff accounts (issue 9, finding 6), free of I/O.

The ceiling: an admin alone may give an account the roles of the front line's
first step and of integrations (agent, field, telephony) with clearance 0, rename
it, and take any right away.  Above it, a second admin approves:
- supervisor, manager, general manager: the approvers of a destruction (supervisor
  → manager → general manager) and of a top-secret borrowing (a manager who is not
  the requester) — one admin making all three would destroy or borrow alone;
- admin: whoever holds it can grant, so one admin making another would make their
  own second approver;
- auditor: the check on everyone else, including admins;
- any clearance above 0 (ordinary): it opens classified archives;
- giving such an account back its activity, or new groups (a supervisor's or
  manager's scope is their groups).
No one changes the rights (roles, groups, clearance, active) of their own account.
The requester of a change and the account it is about cannot approve it.
"""
import datetime
from dataclasses import dataclass

from services.common.errors import Conflict, Forbidden
from services.customer.contract.levels import ORDINARY
from services.gateway.contract.duties import PENDING
from services.vocabulary import ADMIN, ADMINS, AUDITOR, SUPERVISORS_UP

ELEVATED_ROLES = SUPERVISORS_UP | ADMINS | {AUDITOR}
CEILING_CLEARANCE = ORDINARY
RIGHTS = ("roles", "groups", "clearance", "active")
FIELDS = ("display_name", *RIGHTS)
PENDING_FOR = datetime.timedelta(days=7)  # a change not decided by then must be asked again


@dataclass(frozen=True)
class Actor:
    """Who acts on staff accounts: an admin (by the staff id), or the operator."""

    id: str
    name: str


# On a fresh install the operator, on the host, approves the first admin's request
# for a second admin (manage.py approve-staff-change): the first setup is not locked
# out, and holding the host means holding the database anyway.
OPERATOR = Actor("operator", "operator (manage.py)")


def rights(account: dict) -> dict:
    """The part of an account a change shows (old, new) and may change."""
    return {name: account[name] for name in FIELDS}


def rights_changed(before: dict, after: dict) -> bool:
    """Whether a change touched the account's rights (roles, groups, clearance, active):
    its sessions end (issue 9, finding 5)."""
    return any(before[name] != after[name] for name in RIGHTS)


def merged(account: dict, changes: dict) -> dict:
    return {**rights(account), **{k: v for k, v in changes.items() if k in FIELDS}}


def is_elevated(account: dict) -> bool:
    return bool(set(account["roles"]) & ELEVATED_ROLES) or \
        account["clearance"] > CEILING_CLEARANCE


def grants(before: dict | None, after: dict) -> list[str]:
    """What `after` holds above the ceiling that `before` (None: a new account) did
    not; [] when the change may apply at once.  An inactive account holds nothing."""
    if not after["active"] or not is_elevated(after):
        return []
    was = before or {"roles": [], "groups": [], "clearance": ORDINARY, "active": True}
    out = [] if was["active"] else ["active"]
    out += [f"roles: {role}" for role in sorted(set(after["roles"]) - set(was["roles"]))
            if role in ELEVATED_ROLES]
    if after["clearance"] > max(was["clearance"], CEILING_CLEARANCE):
        out.append(f"clearance: {after['clearance']}")
    if set(after["roles"]) & SUPERVISORS_UP:
        out += [f"groups: {g}" for g in sorted(set(after["groups"]) - set(was["groups"]))]
    return out


def check_not_own(actor_id: str, staff_id: str, changes: dict) -> None:
    """Forbidden, naming the fields, when an admin changes the rights of their own
    account."""
    own = [name for name in RIGHTS if name in changes]
    if actor_id == staff_id and own:
        raise Forbidden("you may not change the rights of your own account",
                        {name: ["not on your own account"] for name in own})


def check_admin(account: dict | None) -> None:
    """The caller's own account must be an active admin now (a token may be older
    than a change of its account)."""
    if account is None or not account["active"] or ADMIN not in account["roles"]:
        raise Forbidden("only an active admin may change staff accounts")


def check_decidable(change: dict, actor_id: str, now: datetime.datetime,
                    approving: bool) -> None:
    """A change is decided once, while pending and not expired; approved by someone
    who neither asked for it nor is its account."""
    if change["status"] != PENDING:
        raise Conflict(f"the change is already {change['status']}")
    if change["requested_at"] + PENDING_FOR <= now:
        raise Conflict("the change has expired: ask again")
    if approving and actor_id == change["requested_by"]:
        raise Forbidden("a second admin must approve: not the one who asked")
    if approving and actor_id == change["staff_id"]:
        raise Forbidden("no one approves a change of their own account")


def check_unchanged_since(change: dict, account: dict) -> None:
    """The account must be as it was when the change was asked: the approver approves
    what they saw."""
    if account["version"] != change["base_version"]:
        raise Conflict("the account has changed since the request: ask again")
