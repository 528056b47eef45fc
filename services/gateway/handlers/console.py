"""The console's sessions (issue 10): a browser signs in like any client and keeps the
refresh token it is given in an HttpOnly cookie, never rotated — each page request
finds the account behind it and works under a fresh access token of that account,
minted here from the account as it is now.  A password change, a change of rights,
disabling the account or signing out end it like any session (handlers/login).
"""
import uuid

from services.common.errors import Unauthenticated
from services.common.identity import TokenCodec
from services.gateway.domain import accounts
from services.gateway.store import sessions
from services.gateway.store import staff as store


def enter(db, tokens: TokenCodec, cookie: str | None) -> tuple[str, dict]:
    """(an access token, the account) for a console cookie; Unauthenticated when the
    session has ended or the account is disabled."""
    if not cookie:
        raise Unauthenticated("sign in")
    with db.transaction() as tx:
        session = sessions.live_session(tx.cur, accounts.refresh_digest(cookie))
        row = store.staff_by_id(tx.cur, session["staff_id"]) if session else None
    if row is None or not row["active"]:
        raise Unauthenticated("sign in")
    token = tokens.issue(row["id"], row["username"], row["roles"], row["groups"],
                         row["clearance"], version=row["version"])
    return token, row


def staff_id(db, name: str) -> str:
    """A staff member's id from what a person typed: the id itself or a username (an
    unknown one is returned as typed, for the service to refuse by its field)."""
    name = name.strip()
    try:
        uuid.UUID(name)
        return name
    except ValueError:
        pass
    with db.transaction() as tx:
        row = store.staff_by_username(tx.cur, name.lower())
    return row["id"] if row is not None and row["active"] else name
