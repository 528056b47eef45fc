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


@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("203.0.113.9", None, frozenset(), "203.0.113.9"),
    ("203.0.113.9", "198.51.100.1", frozenset(), "203.0.113.9"),  # not a trusted proxy
    ("127.0.0.1", "198.51.100.1", frozenset({"127.0.0.1"}), "198.51.100.1"),
    ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", frozenset({"127.0.0.1", "10.0.0.2"}),
     "198.51.100.1"),  # the client's own prefix is not believed
    ("2001:db8:1:2:3:4:5:6", None, frozenset(), "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.9", None, frozenset(), "203.0.113.9"),
    (None, None, frozenset(), "unknown"),
])
def test_finding9_the_client_address_the_throttle_counts(peer, forwarded, trusted, expected):
    assert domain.client_address(peer, forwarded, trusted) == expected


def test_finding9_the_address_allows_more_than_an_account():
    assert domain.ADDRESS.free > domain.ACCOUNT.free
    assert domain.lock_for(domain.ADDRESS.free - 1, domain.ADDRESS) is None
    assert domain.lock_for(domain.ADDRESS.free, domain.ADDRESS).total_seconds() == \
        domain.ADDRESS.base


def test_finding9_a_new_password_differs_and_leaves_out_the_username():
    domain.check_new_password("a-new-long-password", "old-password", "wang")
    with pytest.raises(Invalid) as caught:
        domain.check_new_password("Wang-and-more-1", "Wang-and-more-1", "wang")
    assert len(caught.value.fields["new"]) == 2
