"""Operator commands' use cases (manage.py): the first admin account, and approving
the staff change that makes a fresh install's second admin.

They run outside the service process: no green threads, no tpool (argon2 runs
inline), one plain transaction.
"""
from services.gateway.contract.duties import APPROVED, PENDING
from services.gateway.domain import accounts, duties
from services.gateway.handlers.accounts import audit_entry
from services.gateway.handlers.duties import decide
from services.gateway.store import changes
from services.gateway.store import staff as store


def ensure_admin(tx) -> str | None:
    """Create the first admin account with a random password and return the password;
    None when the account exists (nothing changes).  Audited as the operator's; not
    announced (no service keeps admins)."""
    if store.staff_by_username(tx.cur, accounts.FIRST_ADMIN["username"]):
        return None
    password = accounts.random_password()
    row = store.insert_staff(tx.cur, accounts.FIRST_ADMIN, accounts.hash_password(password))
    if row is None:  # made by a concurrent ensure-admin
        return None
    audit_entry(tx, "created", duties.OPERATOR, row["username"], staff_id=row["id"],
                new=duties.rights(row))
    return password


def pending_changes(tx) -> list[dict]:
    """The pending staff changes, newest first."""
    return changes.list_changes(tx.cur, PENDING, None, 100)


def approve_change(tx, change_id: str) -> dict:
    """The change approved by the operator and applied (see handlers/duties.decide)."""
    return decide(tx, duties.OPERATOR, change_id, APPROVED)
