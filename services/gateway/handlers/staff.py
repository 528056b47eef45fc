"""Staff accounts: who I am, create, change and list them (admins; supervisors list).

A change that grants a right above the ceiling (domain/duties.py) is not applied:
it waits for a second admin as a staff change (handlers/duties.py).  Every change
applied is audited and publishes the account as it is now (staff_created,
staff_updated) with its version, in the same transaction as the write.
"""
from services.common.errors import Conflict, NotFound, Unauthenticated
from services.common.identity import Principal
from services.gateway.domain import accounts, duties
from services.gateway.handlers.accounts import acting_admin, announce, audit_entry, changed
from services.gateway.signin import Guard
from services.gateway.store import changes, groups
from services.gateway.store import staff as store


def me(tx, principal: Principal) -> dict:
    """The caller's own account, while it is active."""
    row = store.staff_by_id(tx.cur, principal.id)
    if row is None or not row["active"]:
        raise Unauthenticated("account no longer active")
    return row


def get_staff(tx, principal: Principal, staff_id: str) -> dict:
    """One account by its id (admins' pages); NotFound when there is none."""
    row = store.staff_by_id(tx.cur, staff_id)
    if row is None:
        raise NotFound("no such staff member")
    return row


def create_staff(db, guard: Guard, principal: Principal, data: dict) -> tuple[bool, dict]:
    """(False, the new account), or (True, the staff change waiting for a second admin)
    when the account would hold a right above the ceiling; Conflict when the
    username is taken."""
    # argon2 runs in an OS thread under the guard, before the transaction opens.
    password_hash = guard.hashing(accounts.hash_password, data.pop("password"))
    with db.transaction() as tx:
        actor = acting_admin(tx, principal)
        accounts.check_groups(data["groups"], groups.group_names(tx.cur))
        new = duties.rights({**data, "active": True})
        grants = duties.grants(None, new)
        if grants:
            if store.staff_by_username(tx.cur, data["username"]):
                raise Conflict("username already taken", {"username": ["already taken"]})
            return True, _ask(tx, actor, "create", None, data["username"], None, new, grants,
                              password_hash=password_hash)
        row = store.insert_staff(tx.cur, data, password_hash)
        if row is None:
            raise Conflict("username already taken", {"username": ["already taken"]})
        audit_entry(tx, "created", actor, row["username"], staff_id=row["id"],
                    new=duties.rights(row))
        announce(tx, "staff_created", row)
    return False, row


def update_staff(tx, principal: Principal, staff_id: str, changes: dict) -> tuple[bool, dict]:
    """(False, the account after the changes), or (True, the staff change waiting for a
    second admin) when they grant a right above the ceiling; Forbidden for the rights
    of one's own account; NotFound when there is none."""
    actor = acting_admin(tx, principal)
    duties.check_not_own(actor.id, staff_id, changes)
    if "groups" in changes:
        accounts.check_groups(changes["groups"], groups.group_names(tx.cur))
    current = store.staff_by_id(tx.cur, staff_id, lock=True)
    if current is None:
        raise NotFound("no such staff member")
    old, new = duties.rights(current), duties.merged(current, changes)
    if new == old:
        return False, current
    grants = duties.grants(old, new)
    if grants:
        return True, _ask(tx, actor, "update", current["id"], current["username"], old, new,
                          grants, base_version=current["version"])
    row = store.update_staff(tx.cur, staff_id, new, current["version"])
    if row is None:  # not while the row is locked; named for the reader
        raise Conflict("the account changed meanwhile: try again")
    audit_entry(tx, "updated", actor, row["username"], staff_id=row["id"], old=old, new=new)
    changed(tx, current, row)
    return False, row


def list_staff(tx, principal: Principal, query: dict) -> dict:
    """Accounts by username, of one group or role if asked, after a username."""
    return {"staff": store.list_staff(tx.cur, query.get("group"), query.get("role"),
                                      query.get("after"), query["limit"])}


def _ask(tx, actor: duties.Actor, kind: str, staff_id: str | None, username: str,
         old: dict | None, new: dict, grants: list[str], base_version=None,
         password_hash=None) -> dict:
    change = changes.insert_change(tx.cur, {
        "kind": kind, "staff_id": staff_id, "username": username,
        "base_version": base_version, "old": old, "new": new, "password_hash": password_hash,
        "grants": grants, "requested_by": actor.id, "requested_by_name": actor.name})
    audit_entry(tx, "requested", actor, username, staff_id=staff_id, old=old, new=new,
                change_id=change["id"], requested_by=actor.id)
    return change
