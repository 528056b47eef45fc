"""S7: argon2id hashes and the login throttle."""
import pytest

from services.common.errors import Invalid
from services.gateway.domain import accounts as domain


def test_passwords_are_argon2id_and_salted():
    first, second = domain.hash_password("correct horse"), domain.hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert domain.password_matches(first, "correct horse")
    assert not domain.password_matches(first, "wrong horse")
    assert not domain.password_matches("not-a-hash", "correct horse")


def test_lock_starts_after_free_failures_and_doubles_up_to_a_cap():
    assert domain.lock_for(domain.FREE_FAILURES - 1) is None
    first = domain.lock_for(domain.FREE_FAILURES).total_seconds()
    second = domain.lock_for(domain.FREE_FAILURES + 1).total_seconds()
    assert second == 2 * first
    assert domain.lock_for(100).total_seconds() == domain.LOCK_MAX_SECONDS


def test_unknown_groups_are_named():
    with pytest.raises(Invalid) as caught:
        domain.check_groups(["a", "zz"], {"a"})
    assert caught.value.fields == {"groups": ["no such group: zz"]}
