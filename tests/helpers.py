"""Generated references for tests: no test depends on a sequence value or fixed data."""
import os
import random

from services.common.identity import TokenCodec

TEST_SECRET = "test-secret-" + "x" * 40


def random_mobile() -> str:
    """A valid mainland mobile number nobody else in the test run uses."""
    return "139" + "".join(random.choices("0123456789", k=8))


def secret() -> str:
    return os.environ.get("KEFU_JWT_SECRET") or TEST_SECRET


def token(roles=("agent",), staff_id=None, groups=(), clearance=0, ttl=600) -> str:
    staff_id = staff_id or f"staff-{random.getrandbits(48):x}"
    return TokenCodec(secret()).issue(staff_id, staff_id, roles, groups, clearance, ttl=ttl)
