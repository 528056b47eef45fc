"""N3, N4: quiet hours, caps, opt-outs and back-off as plain rules."""
import datetime
import random

import pytest

from services.common.zone import CHINA
from services.notify.domain import policy


def china(h, m=0, day=7):
    return datetime.datetime(2026, 12, day, h, m, tzinfo=CHINA)


@pytest.mark.parametrize(("at", "quiet"), [
    (china(20, 59), False), (china(21, 0), True), (china(23, 30), True), (china(0, 0), True),
    (china(7, 59), True), (china(8, 0), False), (china(12), False)])
def test_n4_default_quiet_hours_are_21_to_8_china_time(at, quiet):
    assert policy.QuietHours().contains(at.timetz().replace(tzinfo=None)) is quiet


def test_n4_marketing_waits_for_the_morning_service_per_its_template():
    q = policy.QuietHours()
    night = china(23, 10).astimezone(datetime.UTC)
    assert policy.not_before(night, "marketing", "send", q) == china(8, 0, day=8)
    assert policy.not_before(night, "service", "defer", q) == china(8, 0, day=8)
    assert policy.not_before(night, "service", "send", q) == night
    early = china(2, 0)
    assert policy.not_before(early, "marketing", "send", q) == china(8, 0)
    noon = china(12)
    assert policy.not_before(noon, "marketing", "send", q) == noon


def test_n4_quiet_hours_parse_and_may_be_switched_off():
    assert policy.QuietHours.parse("22:30-07:15") == policy.QuietHours(
        datetime.time(22, 30), datetime.time(7, 15))
    off = policy.QuietHours.parse("")
    assert not off.contains(datetime.time(3, 0))
    day_only = policy.QuietHours.parse("12:00-14:00")
    assert day_only.contains(datetime.time(13, 0)) and not day_only.contains(datetime.time(3, 0))


def test_n4_frequency_caps_by_china_day_and_week():
    caps = policy.Caps(daily=1, weekly=3)
    assert policy.cap_reason(0, 0, caps) is None
    assert policy.cap_reason(1, 1, caps) == policy.CAP_DAY
    assert policy.cap_reason(0, 3, caps) == policy.CAP_WEEK
    day, week = policy.day_and_week_start(datetime.datetime(2026, 12, 9, 17, 0,
                                                            tzinfo=datetime.UTC))
    assert day == datetime.datetime(2026, 12, 10, tzinfo=CHINA)   # 01:00 the 10th in China
    assert week == datetime.datetime(2026, 12, 7, tzinfo=CHINA)   # that Monday


def test_n4_a_marketing_opt_out_leaves_service_messages_an_all_opt_out_stops_both():
    assert policy.opted_out("marketing", {"marketing"})
    assert not policy.opted_out("service", {"marketing"})
    assert policy.opted_out("service", {"all"})
    assert not policy.opted_out("marketing", set())


def test_n3_retries_back_off_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    delays = [policy.retry_delay(n, rng) for n in range(1, 8)]
    for n, d in enumerate(delays, start=1):
        base = min(policy.BACKOFF_CAP_SECONDS, policy.BACKOFF_BASE_SECONDS * 2 ** (n - 1))
        assert 0.5 * base <= d < 1.5 * base
    assert len({round(policy.retry_delay(1), 6) for _ in range(20)}) > 1  # jitter


def test_n3_throttling_halves_the_pace_and_clean_rounds_restore_it():
    assert policy.slower(200) == 100 and policy.slower(1.5) == 1.0
    rate = 25.0
    for _ in range(20):
        rate = policy.faster(rate, 200)
    assert rate == 200


def test_n1_only_mobiles_take_an_sms():
    from services.notify.domain.addresses import is_mobile
    assert is_mobile("+8613800138000") and is_mobile("+85291234567")
    assert not is_mobile("+862361234567")   # a Chongqing landline
    assert not is_mobile("+86")
