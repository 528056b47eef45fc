"""Staff accounts: who I am, create, change and list them (admins; supervisors list).

Every change publishes the account as it is now (staff_created, staff_updated),
in the same transaction as the write.
"""
from eventlet import tpool

from services.common.errors import Conflict, NotFound, Unauthenticated
from services.common.identity import Principal
from services.gateway.domain import accounts
from services.gateway.store import groups
from services.gateway.store import staff as store
from services.vocabulary import StaffChanged

STAFF_CHANGED = StaffChanged()


def _changed(row: dict) -> dict:
    return STAFF_CHANGED.dump({**row, "staff_id": row["id"]})


def me(tx, principal: Principal) -> dict:
    """The caller's own account, while it is active."""
    row = store.staff_by_id(tx.cur, principal.id)
    if row is None or not row["active"]:
        raise Unauthenticated("account no longer active")
    return row


def create_staff(db, principal: Principal, data: dict) -> dict:
    """The new account; Conflict when the username is taken."""
    # argon2 runs in an OS thread, before the transaction opens.
    password_hash = tpool.execute(accounts.hash_password, data.pop("password"))
    with db.transaction() as tx:
        accounts.check_groups(data["groups"], groups.group_names(tx.cur))
        row = store.insert_staff(tx.cur, data, password_hash)
        if row is None:
            raise Conflict("username already taken", {"username": ["already taken"]})
        tx.emit("staff_created", _changed(row))
    return row


def update_staff(tx, principal: Principal, staff_id: str, changes: dict) -> dict:
    """The account after the changes; NotFound when there is none."""
    if "groups" in changes:
        accounts.check_groups(changes["groups"], groups.group_names(tx.cur))
    row = store.update_staff(tx.cur, staff_id, changes)
    if row is None:
        raise NotFound("no such staff member")
    tx.emit("staff_updated", _changed(row))
    return row


def list_staff(tx, principal: Principal, query: dict) -> dict:
    """Accounts by username, of one group or role if asked, after a username."""
    return {"staff": store.list_staff(tx.cur, query.get("group"), query.get("role"),
                                      query.get("after"), query["limit"])}

