"""Sign-in and password change: the password checked under the throttle, then a
token issued (or the new password set).

The throttle counts every attempt against the account (the username typed) and
the client's address before the password is hashed, in one statement per key
(store/throttle.py): a locked key refuses at once, and parallel attempts queue on
the key's row instead of all reading "not locked yet".  A good attempt gives its
count back.  argon2 runs in an OS thread under the sign-in guard (signin.py), with
no database connection held while it runs.
"""
from services.common.errors import (
    Conflict,
    Invalid,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from services.common.identity import Principal, TokenCodec
from services.gateway.domain import accounts, duties
from services.gateway.handlers.accounts import announce, audit_entry
from services.gateway.signin import Guard
from services.gateway.store import staff as store
from services.gateway.store import throttle


def login(db, tokens: TokenCodec, guard: Guard, username: str, password: str,
          peer: str | None, forwarded_for: str | None) -> dict:
    """The token with the account it stands for; TooManyRequests while the account or
    the address is locked; Unavailable when sign-in is busy."""
    username = username.strip().lower()
    keys = accounts.throttle_keys(
        username, accounts.client_address(peer, forwarded_for, guard.trusted_proxies))
    with db.transaction() as tx:
        _count(tx.cur, keys)
        row = store.staff_by_username(tx.cur, username)
    # An unknown username costs the same as a wrong password.
    ok = _verify(db, guard, keys, row["password_hash"] if row else accounts.DUMMY_HASH,
                 password) and row is not None and row["active"]
    if not ok or row is None:
        raise Unauthenticated("wrong username or password")
    with db.transaction() as tx:
        _succeeded(tx.cur, keys)
    token = tokens.issue(row["id"], row["username"], row["roles"], row["groups"],
                         row["clearance"])
    return {"token": token, "token_type": "Bearer", "expires_in": tokens.ttl, "staff": row}


def change_password(db, guard: Guard, principal: Principal, old: str, new: str,
                    peer: str | None, forwarded_for: str | None) -> dict:
    """The account with its new version.  The current password is checked like a
    sign-in (a wrong one counts as a failed attempt: Invalid naming `old`); the new
    one must pass the policy (Invalid naming `new`).  Other sessions' tokens live on
    until they expire: ending them is the revocation's (staff_updated carries the
    new version)."""
    with db.transaction() as tx:
        row = store.credentials_by_id(tx.cur, principal.id)
        if row is None or not row["active"]:
            raise Unauthenticated("account no longer active")
        accounts.check_new_password(new, old, row["username"])
        keys = accounts.throttle_keys(
            row["username"], accounts.client_address(peer, forwarded_for,
                                                     guard.trusted_proxies))
        _count(tx.cur, keys)
    if not _verify(db, guard, keys, row["password_hash"], old):
        raise Invalid("wrong password", {"old": ["not your current password"]})
    with db.transaction() as tx:
        _succeeded(tx.cur, keys)
    password_hash = guard.hashing(accounts.hash_password, new)
    with db.transaction() as tx:
        changed = store.set_password(tx.cur, row["id"], password_hash, row["version"])
        if changed is None:
            raise Conflict("the account changed meanwhile: try again")
        audit_entry(tx, "password_changed", duties.Actor(principal.id, principal.username),
                    changed["username"], staff_id=changed["id"])
        announce(tx, "staff_updated", changed)
    return changed


def forget_stale(db) -> int:
    """Drop throttle keys whose failures every policy has forgotten."""
    with db.transaction() as tx:
        return throttle.forget_stale(tx.cur, max(p.forget for p in accounts.POLICIES))


def _count(cur, keys: list) -> None:
    """Count the attempt against every key, locking a key that reaches its limit;
    TooManyRequests (the transaction rolls back: nothing counted) when one is
    locked."""
    for policy, key in keys:
        attempts = throttle.charge(cur, policy.scope, key, policy.forget)
        if attempts is None:
            raise TooManyRequests("too many failed sign-ins; try again later")
        period = accounts.lock_for(attempts, policy)
        if period:
            throttle.lock(cur, policy.scope, key, period)


def _verify(db, guard: Guard, keys: list, password_hash: str, password: str) -> bool:
    """The password checked under the guard; when sign-in is busy the attempt never
    ran, and its count is given back."""
    try:
        return guard.hashing(accounts.password_matches, password_hash, password)
    except Unavailable:
        with db.transaction() as tx:
            for policy, key in keys:
                throttle.give_back(tx.cur, policy.scope, key, policy.free)
        raise


def _succeeded(cur, keys: list) -> None:
    """A good password: the account's failures are over, the address gets its count
    back."""
    for policy, key in keys:
        if policy.reset_on_success:
            throttle.clear(cur, policy.scope, key)
        else:
            throttle.give_back(cur, policy.scope, key, policy.free)
