"""C4 declassification on a frozen clock: the effective level and the archive decision one
second before and one second after `declassify_at` (the clock is an argument, so it is
frozen by passing the instant; the database computes the same with now())."""
import datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.identity import Principal
from services.customer.domain.access import archive_decision, effective_level

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Declassification at 09:00 Beijing time (01:00 UTC); the reads are stamped in UTC.
AT = datetime.datetime(2026, 3, 1, 9, 0, 0, tzinfo=SHANGHAI)
SECOND = datetime.timedelta(seconds=1)
BEFORE = (AT - SECOND).astimezone(datetime.UTC)
AFTER = (AT + SECOND).astimezone(datetime.UTC)


def staff(role: str, clearance: int) -> Principal:
    return Principal(id=f"{role}-{clearance}", username=role, roles=frozenset({role}),
                     groups=frozenset({"g1"}), clearance=clearance)


@pytest.mark.parametrize(("level", "to"), [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_c4_effective_level_is_the_stored_level_until_the_date_then_the_lower(level, to):
    assert effective_level(level, AT, to, BEFORE) == level
    assert effective_level(level, AT, to, AFTER) == to


def test_c4_the_date_itself_already_counts_as_declassified():
    # The database compares `declassify_at <= now()`; the Python side must agree.
    assert effective_level(2, AT, 0, AT.astimezone(datetime.UTC)) == 0


def test_c4_no_date_means_no_declassification():
    far = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
    assert effective_level(2, None, None, far) == 2


# (role, clearance, level, to): archive allowed one second before / one second after.
CASES = [
    # secret -> ordinary: an agent waits for the date, then reads like any ordinary archive
    ("agent", 0, 1, 0, False, True),
    ("agent", 3, 2, 0, False, True),
    ("auditor", 2, 3, 0, False, True),
    # top secret -> confidential: a manager cleared for 2 gets in only after the date
    ("manager", 2, 3, 2, False, True),
    # a manager cleared for 1 still sees nothing after 3 -> 2
    ("manager", 1, 3, 2, False, False),
    # confidential -> secret: agents still only see the card (classified is managers only)
    ("agent", 3, 2, 1, False, False),
    ("supervisor", 3, 2, 1, False, False),
    ("general_manager", 1, 2, 1, False, True),
    # top secret without a grant -> secret: the date removes the need for borrowing
    ("general_manager", 3, 3, 1, False, True),
]


@pytest.mark.parametrize(("role", "clearance", "level", "to", "before", "after"), CASES)
def test_c4_archive_decision_one_second_before_and_after_declassify_at(
        role, clearance, level, to, before, after):
    p = staff(role, clearance)
    d_before = archive_decision(p, effective_level(level, AT, to, BEFORE), False)
    d_after = archive_decision(p, effective_level(level, AT, to, AFTER), False)
    assert (d_before.allowed, d_after.allowed) == (before, after)
    # Before the date the record is classified: the decision is always logged.
    assert d_before.log_action == ("read_archive" if before else "deny")
    # After it, logging depends on the level it fell to.
    assert d_after.log_action == (None if to == 0 else ("read_archive" if after else "deny"))
