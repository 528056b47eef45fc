"""T2: readable serials counted by the business day in China."""
import datetime

from services.ticket.domain import tickets as domain

UTC = datetime.UTC


def test_serial_has_kind_prefix_day_and_number():
    assert domain.serial("complaint", datetime.date(2026, 11, 22), 7) == "TS-20261122-0007"
    assert {domain.serial(k, datetime.date(2026, 1, 2), 1)[:2] for k in domain.KIND_PREFIX} == {
        "ZX", "SH", "TS", "JY"}


def test_business_day_turns_at_midnight_in_shanghai():
    before = datetime.datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)
    after = datetime.datetime(2026, 11, 22, 16, 0, 0, tzinfo=UTC)
    assert domain.business_day(before) == datetime.date(2026, 11, 22)
    assert domain.business_day(after) == datetime.date(2026, 11, 23)


def test_idempotency_keys_are_per_staff_member():
    assert domain.request_key("a", "k1") != domain.request_key("b", "k1")
    assert domain.request_key("a", None) is None
