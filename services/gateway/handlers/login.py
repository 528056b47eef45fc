"""Sign-in: check the password under the throttle, then issue a token.

Two transactions around the password check: argon2 runs in an OS thread, so it
does not stall every other request, and no database connection is held while it
runs.
"""
from eventlet import tpool

from services.common.errors import TooManyRequests, Unauthenticated
from services.common.identity import TokenCodec
from services.gateway.domain import accounts
from services.gateway.store import staff as store
from services.gateway.store import throttle


def login(db, tokens: TokenCodec, username: str, password: str) -> dict:
    """The token with the account it stands for; TooManyRequests while locked."""
    username = username.strip().lower()
    with db.transaction() as tx:
        if throttle.locked_until(tx.cur, username):
            raise TooManyRequests("too many failed sign-ins; try again later")
        row = store.staff_by_username(tx.cur, username)
    # An unknown username costs the same as a wrong password.
    matches = tpool.execute(accounts.password_matches,
                            row["password_hash"] if row else accounts.DUMMY_HASH, password)
    ok = bool(matches and row and row["active"])
    with db.transaction() as tx:
        if ok:
            throttle.clear_failures(tx.cur, username)
        else:
            period = accounts.lock_for(throttle.record_failure(tx.cur, username))
            if period:
                throttle.lock(tx.cur, username, period)
    if not ok or row is None:
        raise Unauthenticated("wrong username or password")
    token = tokens.issue(row["id"], row["username"], row["roles"], row["groups"],
                         row["clearance"])
    return {"token": token, "token_type": "Bearer", "expires_in": tokens.ttl, "staff": row}
