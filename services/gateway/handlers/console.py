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
from services.gateway.store import groups as groups_store
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
    return active_staff_id(db, name) or name.strip()


def active_staff_id(db, name: str) -> str | None:
    """The id of the active staff member a person typed — their username or their id —
    or None when there is no such active account."""
    name = name.strip()
    if not name:
        return None
    as_id = _uuid(name)
    with db.transaction() as tx:
        if as_id is not None:
            rows = store.staff_by_ids(tx.cur, [as_id])
            row = rows[0] if rows else None
        else:
            row = store.staff_by_username(tx.cur, name.lower()[:100])
    return row["id"] if row is not None and row["active"] else None


def _uuid(text: str) -> str | None:
    """The canonical text of a uuid, or None for anything else."""
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def staff_accounts(db, ids) -> dict[str, dict]:
    """{staff id: account} of the ids given (at most 200), read in one query; ids that
    are no uuid are left out."""
    wanted: dict[str, str] = {}
    for given in ids:
        canonical = _uuid(given) if isinstance(given, str) and len(given) <= 64 else None
        if canonical is not None and len(wanted) < 200:
            wanted.setdefault(canonical, given)
    if not wanted:
        return {}
    with db.transaction() as tx:
        rows = store.staff_by_ids(tx.cur, sorted(wanted))
    return {wanted[r["id"]]: r for r in rows if r["id"] in wanted}


def staff_names(db, ids) -> dict[str, str]:
    """{staff id: display name} of the ids given (at most 200; lists of follow-ups and
    figures name people, the services answer ids)."""
    return {i: r["display_name"] or r["username"] for i, r in staff_accounts(db, ids).items()}


def group_labels(db) -> dict[str, str]:
    """{group name: display name} of every group of staff."""
    with db.transaction() as tx:
        return {r["name"]: r["display_name"] or r["name"]
                for r in groups_store.list_groups(tx.cur)}


def agents_of(db, group: str) -> list[str]:
    """The ids of a group's active agents (a campaign's callers, picked by group)."""
    with db.transaction() as tx:
        rows = store.list_staff(tx.cur, group, "agent", None, 500)
    return [r["id"] for r in rows if r["active"]]
