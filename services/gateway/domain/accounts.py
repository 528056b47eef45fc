"""Staff accounts, free of I/O: passwords (argon2id), refresh tokens, sign-in throttling,
groups."""
import datetime
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import Invalid
from services.customer.contract.levels import ORDINARY
from services.vocabulary import ADMIN

HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters (64 MiB)
# A hash to verify against when the username is unknown, so both cases cost the same.
DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def random_password() -> str:
    return secrets.token_urlsafe(18)


def new_refresh_token() -> tuple[str, str]:
    """(an opaque refresh token, its digest — all the database keeps)."""
    token = secrets.token_urlsafe(32)
    return token, refresh_digest(token)


def refresh_verdict(token: dict | None, account: dict | None) -> tuple[bool, str | None]:
    """(whether a presented refresh token gets the next pair, why its session ends or
    None).  Unknown, revoked or past its session's end: refused.  Used already: it was
    copied — refused, and its session ends.  Its account gone or disabled: the same."""
    if token is None or token["revoked_at"] is not None or token["expired"]:
        return False, None
    if token["used_at"] is not None:
        return False, "a used refresh token again"
    if account is None or not account["active"]:
        return False, "account disabled"
    return True, None


def refresh_digest(token: str) -> str:
    """A refresh token is 256 random bits: a plain SHA-256 keeps it unguessable."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_new_password(new: str, old: str, username: str) -> None:
    """The policy on a new password beyond its length (the schema's): not the current
    one, not containing the username."""
    problems = []
    if new == old:
        problems.append("must differ from the current password")
    if username.lower() in new.lower():
        problems.append("must not contain the username")
    if problems:
        raise Invalid("the new password is refused", {"new": problems})


# -- the sign-in throttle ----------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """How one scope of the throttle counts.  Every attempt is counted before its
    password is hashed (so parallel attempts cannot slip past the count) and a good
    one gives its count back.  The attempt that reaches `free` locks the key for
    `base` seconds, each later one for twice as long up to `cap`; failures older than
    `forget` seconds are forgotten; `reset_on_success`: a good password ends the
    failures in a row (else it only gives its own count back)."""

    scope: str
    free: int
    base: int
    cap: int
    forget: int
    reset_on_success: bool


FREE_FAILURES = 5
LOCK_BASE_SECONDS = 30
LOCK_MAX_SECONDS = 900
# Per account (the username typed, known or not): guessing one person's password.
ACCOUNT = Policy("account", FREE_FAILURES, LOCK_BASE_SECONDS, LOCK_MAX_SECONDS, 86400, True)
# Per client address (an IPv6 client by its /64): one guess at many usernames.  An
# office behind one NAT shares it, so it allows more, and a good sign-in only gives
# its own count back (it does not wipe out the failures of others behind it).
ADDRESS = Policy("address", 30, 60, LOCK_MAX_SECONDS, 3600, False)
# Per known device (a device token given to this account by a good sign-in): its
# owner mistyping, or a thief guessing with a stolen token; the account's and the
# address's locks do not apply to it.
DEVICE = Policy("device", FREE_FAILURES, LOCK_BASE_SECONDS, LOCK_MAX_SECONDS, 86400, True)
POLICIES = (ACCOUNT, ADDRESS, DEVICE)  # the order rows are locked in: never a deadlock
DEVICE_DAYS = 90  # a device token unused this long is forgotten


def lock_for(failures: int, policy: Policy = ACCOUNT) -> datetime.timedelta | None:
    """The lock the `failures`-th attempt in a row sets, if any: from the free
    attempts' last, a doubling period up to the cap."""
    if failures < policy.free:
        return None
    seconds = min(policy.base * 2 ** min(failures - policy.free, 32), policy.cap)
    return datetime.timedelta(seconds=seconds)


def throttle_keys(username: str, address: str,
                  device: str | None = None) -> list[tuple[Policy, str]]:
    """What one sign-in attempt counts against, in POLICIES order: the account and the
    address; from a known device (its token's digest) that device alone."""
    if device is not None:
        return [(DEVICE, device)]
    return [(ACCOUNT, username), (ADDRESS, address)]


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted_proxies: frozenset[str]) -> str:
    """The client a request comes from, as the throttle counts it: the peer, or — when
    the peer is a trusted proxy — the nearest address in X-Forwarded-For that is not
    one (a client cannot forge the part its proxies appended).  An IPv6 client is
    counted by its /64, which one subscriber usually holds whole."""
    client = peer or "unknown"
    if client in trusted_proxies and forwarded_for:
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            client = hop
            if hop not in trusted_proxies:
                break
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def check_groups(requested: list[str], known: set[str]) -> None:
    unknown = sorted(set(requested) - known)
    if unknown:
        raise Invalid("invalid input", {"groups": [f"no such group: {g}" for g in unknown]})


# The first account, made by the operator command ensure-admin (manage.py).
FIRST_ADMIN: dict[str, Any] = {"username": "admin", "display_name": "系统管理员",
                               "roles": [ADMIN], "groups": [], "clearance": ORDINARY}
