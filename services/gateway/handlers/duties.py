"""Staff changes waiting for a second admin (issue 9, finding 6): list them, approve
(the change applies, audited, announced) or reject; and the audit of every change.

`decide` takes the deciding actor, so the operator command that approves the
second admin of a fresh install (manage.py approve-staff-change) goes the same
way as an admin's approval.
"""
import datetime
from typing import TYPE_CHECKING

from services.common.errors import Conflict, NotFound
from services.common.paging import decode_cursor, encode_cursor, number
from services.gateway.contract.duties import APPROVED, REJECTED
from services.gateway.domain import duties
from services.gateway.handlers.accounts import acting_admin, announce, audit_entry, changed
from services.gateway.store import audit, changes
from services.gateway.store import staff as store

if TYPE_CHECKING:  # operator commands (manage.py) import no nameko, no eventlet
    from services.common.identity import Principal


def list_changes(tx, principal: "Principal", query: dict) -> dict:
    """Staff changes newest first (of one status if asked), with the next cursor."""
    rows = changes.list_changes(tx.cur, query.get("status"),
                                decode_cursor(query.get("before"), "before"), query["limit"])
    last = rows[-1] if len(rows) == query["limit"] else None
    return {"changes": rows,
            "next": encode_cursor(last["requested_at"], last["id"]) if last else None}


def get_change(tx, principal: "Principal", change_id: str) -> dict:
    change = changes.change_by_id(tx.cur, change_id)
    if change is None:
        raise NotFound("no such staff change")
    return change


def approve(tx, principal: "Principal", change_id: str) -> dict:
    """The change, approved and applied, with the account (`staff`)."""
    return decide(tx, acting_admin(tx, principal), change_id, APPROVED)


def reject(tx, principal: "Principal", change_id: str, note: str) -> dict:
    """The change, rejected: nothing of it applies."""
    return decide(tx, acting_admin(tx, principal), change_id, REJECTED, note)


def decide(tx, actor: duties.Actor, change_id: str, status: str, note: str = "") -> dict:
    """Approve or reject a pending change as `actor`; NotFound, Forbidden (the
    requester or the account approving), Conflict (decided, expired, the account
    changed since, the username taken since)."""
    change = changes.change_for_decision(tx.cur, change_id)
    if change is None:
        raise NotFound("no such staff change")
    duties.check_decidable(change, actor.id, datetime.datetime.now(datetime.UTC),
                           approving=status == APPROVED)
    row = _apply(tx, change) if status == APPROVED else None
    decided = changes.decide(tx.cur, change_id, status, actor.id, actor.name, note,
                             row["id"] if row else None)
    audit_entry(tx, status, actor, change["username"], staff_id=decided["staff_id"],
                old=change["old"], new=change["new"], change_id=change_id,
                requested_by=change["requested_by"],
                approved_by=actor.id if row else None, note=note)
    return {**decided, "staff": row}


def _apply(tx, change: dict) -> dict:
    if change["kind"] == "create":
        row = store.insert_staff(tx.cur, {"username": change["username"], **change["new"]},
                                 change["password_hash"])
        if row is None:
            raise Conflict("username already taken", {"username": ["already taken"]})
        announce(tx, "staff_created", row)
        return row
    current = store.staff_by_id(tx.cur, change["staff_id"], lock=True)
    if current is None:
        raise NotFound("no such staff member")
    duties.check_unchanged_since(change, current)
    row = store.update_staff(tx.cur, change["staff_id"], change["new"], current["version"])
    if row is None:  # not while the row is locked; named for the reader
        raise Conflict("the account has changed since the request: ask again")
    changed(tx, current, row)
    return row


def staff_audit(tx, principal: "Principal", query: dict) -> dict:
    """Audit rows newest first, of one account (staff_id or username) or all."""
    before = decode_cursor(query.get("before"), "before", parts=(number,))
    rows = audit.entries(tx.cur, query.get("staff_id"), query.get("username"),
                         before[0] if before else None, query["limit"])
    last = rows[-1] if len(rows) == query["limit"] else None
    return {"entries": rows, "next": encode_cursor(last["id"]) if last else None}
