"""What every change of a staff account shares: who acts (an admin whose own account
is active now), the audit row, the event with the account's version, and the end of
its sessions when its rights changed — all in the transaction of the change."""
from typing import TYPE_CHECKING

from services.gateway.domain import duties
from services.gateway.store import audit, sessions
from services.gateway.store import staff as store
from services.vocabulary import StaffChanged

if TYPE_CHECKING:  # operator commands (manage.py) import no nameko, no eventlet
    from services.common.identity import Principal

STAFF_CHANGED = StaffChanged()


def acting_admin(tx, principal: "Principal") -> duties.Actor:
    """The caller as an actor on staff accounts; Forbidden unless their own account
    is an active admin (the token may be older than a change of it)."""
    duties.check_admin(store.staff_by_id(tx.cur, principal.id))
    return duties.Actor(principal.id, principal.username)


def audit_entry(tx, action: str, actor: duties.Actor, username: str, **entry) -> None:
    """One audit row: action, actor and account, with old, new, change_id,
    requested_by, approved_by, note as the change has them."""
    audit.insert_entry(tx.cur, {"action": action, "actor_id": actor.id,
                                "actor_name": actor.name, "username": username, **entry})


def announce(tx, event_type: str, row: dict) -> None:
    """staff_created / staff_updated: the account as it is now, with its version."""
    tx.emit(event_type, STAFF_CHANGED.dump({**row, "staff_id": row["id"]}))


def changed(tx, before: dict, row: dict) -> None:
    """staff_updated for an account changed from `before` to `row`; a change of its
    rights (disabled, roles, groups, clearance) also ends its sessions: no refresh
    token of it gets another access token (issue 9, finding 5)."""
    if duties.rights_changed(before, row):
        sessions.revoke(tx.cur, "rights changed", staff_id=row["id"])
    announce(tx, "staff_updated", row)
