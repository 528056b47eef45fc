"""The first admin account, made by an operator (manage.py ensure-admin).

Imports nothing of eventlet: operator commands run outside the service process.
"""
from services.gateway.domain import accounts
from services.gateway.store import staff as store


def ensure_admin(tx) -> str | None:
    """Create the first admin account with a random password and return the password;
    None when the account exists (nothing changes)."""
    if store.staff_by_username(tx.cur, accounts.FIRST_ADMIN["username"]):
        return None
    password = accounts.random_password()
    store.insert_staff(tx.cur, accounts.FIRST_ADMIN, accounts.hash_password(password))
    return password
