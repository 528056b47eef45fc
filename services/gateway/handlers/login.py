"""Sign-in, sessions and password change: the password checked under the throttle, then
an access token and a refresh token issued (or the new password set).

Sessions (issue 9, finding 5): the access token lives at most 15 minutes; the refresh
token (opaque, its digest kept in refresh_token) gets the next pair once — a used one
presented again ends the session, as do logout, a password change and any change of the
account's rights (handlers/accounts.changed).  A session ends REFRESH_TTL_SECONDS after
its sign-in however often it is refreshed.

The throttle counts every attempt against the account (the username typed) and
the client's address before the password is hashed, in one statement per key
(store/throttle.py): a locked key refuses at once, and parallel attempts queue on
the key's row instead of all reading "not locked yet".  A good attempt gives its
count back.  argon2 runs in an OS thread under the sign-in guard (signin.py), with
no database connection held while it runs.

Known devices: a good sign-in hands out a device token (kept by its digest,
store/devices.py).  Presented again with the same username it stands for a client
that signed in before: that attempt is counted against the device alone — the
account's and the address's locks, which anyone guessing can set, do not shut the
owner out — and waits in the guard's first queue.  A password change forgets the
account's devices.
"""
import datetime
import uuid

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
from services.gateway.signin import ANYONE, KNOWN, Guard
from services.gateway.store import devices, sessions, throttle
from services.gateway.store import staff as store


def login(db, tokens: TokenCodec, guard: Guard, session_seconds: int, username: str,
          password: str, peer: str | None, forwarded_for: str | None,
          device: str | None = None) -> dict:
    """The access and refresh tokens with the account they stand for, and the device
    token to present next time; TooManyRequests while the account or the address (or
    the known device) is locked; Unavailable when sign-in is busy."""
    username = username.strip().lower()
    digest = accounts.refresh_digest(device) if device else None
    with db.transaction() as tx:
        known = digest is not None and devices.owner(
            tx.cur, digest, username, accounts.DEVICE_DAYS) is not None
        keys = accounts.throttle_keys(
            username, accounts.client_address(peer, forwarded_for, guard.trusted_proxies),
            digest if known else None)
        _count(tx.cur, keys)
        row = store.staff_by_username(tx.cur, username)
    # An unknown username costs the same as a wrong password.
    ok = _verify(db, guard, keys, row["password_hash"] if row else accounts.DUMMY_HASH,
                 password, KNOWN if known else ANYONE) and row is not None and row["active"]
    if not ok or row is None:
        raise Unauthenticated("wrong username or password")
    device_token = device if known and device else accounts.new_refresh_token()[0]
    with db.transaction() as tx:
        _succeeded(tx.cur, keys)
        devices.remember(tx.cur, accounts.refresh_digest(device_token), row["id"])
        refresh, digest = accounts.new_refresh_token()
        sessions.insert_token(tx.cur, digest, str(uuid.uuid4()), row["id"],
                              _now() + datetime.timedelta(seconds=session_seconds))
    return {**_tokens(tokens, row, refresh, session_seconds), "device_token": device_token}


def refresh(db, tokens: TokenCodec, presented: str) -> dict:
    """A new access token and refresh token for a live refresh token (the presented one
    is used up); Unauthenticated otherwise — and a used one presented again ends its
    whole session (it was copied)."""
    digest = accounts.refresh_digest(presented)
    with db.transaction() as tx:
        used = sessions.token_for_use(tx.cur, digest)
        row = store.staff_by_id(tx.cur, used["staff_id"]) if used else None
        answer = None
        rotate, ends = accounts.refresh_verdict(used, row)
        if used is not None and ends:
            sessions.revoke(tx.cur, ends, session_id=used["session_id"])
        if used is not None and row is not None and rotate:
            sessions.mark_used(tx.cur, digest)
            fresh, fresh_digest = accounts.new_refresh_token()
            sessions.insert_token(tx.cur, fresh_digest, used["session_id"], row["id"],
                                  used["expires_at"])
            left = int((used["expires_at"] - _now()).total_seconds())
            answer = _tokens(tokens, row, fresh, left)
    if answer is None:  # after the commit: an ended session stays ended
        raise Unauthenticated("the refresh token is not valid: sign in again")
    return answer


def logout(db, presented: str) -> None:
    """End the session of this refresh token (nothing when it is unknown); the access
    token in hand lives out its few minutes."""
    with db.transaction() as tx:
        session = sessions.session_of(tx.cur, accounts.refresh_digest(presented))
        if session is not None:
            sessions.revoke(tx.cur, "logout", session_id=session)


def forget_ended_sessions(db, after_seconds: int) -> int:
    """Drop refresh tokens of sessions that ended more than `after_seconds` ago, and
    device tokens unused for DEVICE_DAYS."""
    with db.transaction() as tx:
        devices.forget_unused(tx.cur, accounts.DEVICE_DAYS)
        return sessions.forget_ended(tx.cur, after_seconds)


def _tokens(tokens: TokenCodec, row: dict, refresh_token: str, refresh_seconds: int) -> dict:
    access = tokens.issue(row["id"], row["username"], row["roles"], row["groups"],
                          row["clearance"], version=row["version"])
    return {"token": access, "token_type": "Bearer", "expires_in": tokens.ttl,
            "refresh_token": refresh_token, "refresh_expires_in": max(refresh_seconds, 0),
            "staff": row}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def change_password(db, guard: Guard, principal: Principal, old: str, new: str,
                    peer: str | None, forwarded_for: str | None) -> dict:
    """The account with its new version.  The current password is checked like a
    sign-in (a wrong one counts as a failed attempt: Invalid naming `old`); the new
    one must pass the policy (Invalid naming `new`).  Every session of the account
    ends, and every access token of it is refused from the new version on (the
    services hear it from staff_updated): sign in again with the new password."""
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
        sessions.revoke(tx.cur, "password changed", staff_id=changed["id"])
        devices.forget_account(tx.cur, changed["id"])
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


def _verify(db, guard: Guard, keys: list, password_hash: str, password: str,
            lane: str = ANYONE) -> bool:
    """The password checked under the guard; when sign-in is busy the attempt never
    ran, and its count is given back."""
    try:
        return guard.hashing(accounts.password_matches, password_hash, password, lane=lane)
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
