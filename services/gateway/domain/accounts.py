"""Staff accounts, free of I/O: passwords (argon2id), sign-in throttling, groups."""
import datetime
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.errors import Invalid
from services.customer.contract.levels import ORDINARY
from services.vocabulary import ADMIN

HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
FREE_FAILURES = 5
LOCK_BASE_SECONDS = 30
LOCK_MAX_SECONDS = 900
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


def lock_for(failures: int) -> datetime.timedelta | None:
    """After FREE_FAILURES failures in a row, lock for a doubling period."""
    if failures < FREE_FAILURES:
        return None
    seconds = min(LOCK_BASE_SECONDS * 2 ** (failures - FREE_FAILURES), LOCK_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def check_groups(requested: list[str], known: set[str]) -> None:
    unknown = sorted(set(requested) - known)
    if unknown:
        raise Invalid("invalid input", {"groups": [f"no such group: {g}" for g in unknown]})


# The first account, made by the operator command ensure-admin (manage.py).
FIRST_ADMIN: dict[str, Any] = {"username": "admin", "display_name": "系统管理员",
                               "roles": [ADMIN], "groups": [], "clearance": ORDINARY}
