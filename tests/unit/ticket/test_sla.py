"""T6: due times in business time on the mainland calendar (chinese_calendar's real
2026 data: National Day 10-01..10-07 with make-up Sunday 09-20 and Saturday 10-10;
Spring Festival 02-15..02-23 with make-up Saturdays 02-14 and 02-28), the pause
arithmetic, the calendar fallback for years the library does not know."""
import datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.errors import Invalid
from services.ticket.domain import sla

CN = ZoneInfo("Asia/Shanghai")
HOURS = sla.BusinessHours()  # 09:00–18:00 Asia/Shanghai
CAL = sla.Calendar()


def at(y, mo, d, h=0, mi=0, s=0):
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=CN)


def due(start, minutes, calendar=CAL, hours=HOURS):
    return sla.add_business_minutes(start, minutes, hours, calendar.is_workday)


class TestCalendarData:
    """The facts the other tests rely on, straight from chinese_calendar 1.11.0."""

    def test_national_day_2026_is_off_and_its_make_up_days_work(self):
        for day in range(1, 8):
            assert not CAL.is_workday(datetime.date(2026, 10, day))
        assert CAL.is_workday(datetime.date(2026, 9, 20))   # a Sunday
        assert CAL.is_workday(datetime.date(2026, 10, 10))  # a Saturday
        assert CAL.is_workday(datetime.date(2026, 10, 8))

    def test_2027_falls_back_to_weekends(self):
        assert not sla.known_year(2027) and sla.known_year(2026)
        assert CAL.source(datetime.date(2027, 1, 1)) == "weekend_rule"
        assert CAL.is_workday(datetime.date(2027, 1, 1))      # a Friday: unknown holiday
        assert not CAL.is_workday(datetime.date(2027, 1, 2))  # a Saturday

    def test_overrides_come_first(self):
        cal = sla.Calendar({datetime.date(2027, 1, 1): False, datetime.date(2026, 10, 3): True})
        assert not cal.is_workday(datetime.date(2027, 1, 1))
        assert cal.is_workday(datetime.date(2026, 10, 3))
        assert cal.source(datetime.date(2027, 1, 1)) == "override"
        assert cal.source(datetime.date(2026, 10, 9)) == "chinese_calendar"


class TestDueTimes:
    def test_within_one_day(self):
        assert due(at(2026, 11, 23, 10), 60) == at(2026, 11, 23, 11)

    def test_across_a_weekend(self):
        # Friday 17:30 + 60 business minutes: 30 on Friday, 30 on Monday morning.
        assert due(at(2026, 11, 20, 17, 30), 60) == at(2026, 11, 23, 9, 30)

    def test_across_national_day(self):
        # 09-30 (Wed) 17:00 + 2h: 1h that day, then nothing until Thursday 10-08.
        assert due(at(2026, 9, 30, 17), 120) == at(2026, 10, 8, 10)

    def test_make_up_saturday_is_worked(self):
        # Friday 10-09 17:00 + 2h lands on the make-up Saturday 10-10, not on Monday.
        assert due(at(2026, 10, 9, 17), 120) == at(2026, 10, 10, 10)

    def test_make_up_sunday_is_worked(self):
        # Saturday 09-19 is off; Sunday 09-20 is a make-up working day.
        assert due(at(2026, 9, 19, 12), 30) == at(2026, 9, 20, 9, 30)

    def test_spring_festival_from_a_make_up_saturday(self):
        # Saturday 02-14 works; 02-15..02-23 are off (with the weekend); Tuesday 02-24.
        assert due(at(2026, 2, 14, 17), 120) == at(2026, 2, 24, 10)

    def test_several_business_days(self):
        # 2160 minutes = 4 business days of 540: Monday 09:00 -> Thursday 18:00.
        assert due(at(2026, 11, 23, 9), 2160) == at(2026, 11, 26, 18)

    def test_accepted_before_opening(self):
        assert due(at(2026, 11, 23, 7), 30) == at(2026, 11, 23, 9, 30)

    def test_accepted_after_closing(self):
        assert due(at(2026, 11, 23, 20), 30) == at(2026, 11, 24, 9, 30)

    def test_accepted_on_a_holiday(self):
        assert due(at(2026, 10, 3, 11), 60) == at(2026, 10, 8, 10)

    def test_ending_exactly_at_closing_stays_that_day(self):
        assert due(at(2026, 11, 23, 9), 540) == at(2026, 11, 23, 18)
        assert due(at(2026, 11, 23, 17), 60) == at(2026, 11, 23, 18)

    def test_accepted_exactly_at_closing_starts_next_morning(self):
        assert due(at(2026, 11, 23, 18), 1) == at(2026, 11, 24, 9, 1)

    def test_accepted_exactly_at_opening(self):
        assert due(at(2026, 11, 23, 9), 1) == at(2026, 11, 23, 9, 1)

    def test_zero_minutes_is_the_moment_itself(self):
        assert due(at(2026, 11, 21, 3), 0) == at(2026, 11, 21, 3)

    def test_utc_input_is_read_in_business_time_zone(self):
        # 01:00 UTC is 09:00 in Shanghai.
        start = datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.UTC)
        assert due(start, 60) == at(2026, 11, 23, 10)

    def test_unknown_year_uses_weekends_until_overridden(self):
        # 2027-01-01 is a Friday: without data it is worked...
        assert due(at(2026, 12, 31, 17), 120) == at(2027, 1, 1, 10)
        # ...and an admin override makes it the holiday it will be.
        cal = sla.Calendar({datetime.date(2027, 1, 1): False})
        assert due(at(2026, 12, 31, 17), 120, cal) == at(2027, 1, 4, 10)

    def test_other_business_hours(self):
        hours = sla.BusinessHours("Asia/Shanghai", datetime.time(8, 30), datetime.time(20, 0))
        assert due(at(2026, 11, 23, 19, 30), 60, hours=hours) == at(2026, 11, 24, 9)

    def test_no_working_day_ahead_is_refused_not_looped(self):
        never = sla.Calendar()
        never.is_workday = lambda day: False
        with pytest.raises(Invalid):
            due(at(2026, 11, 23, 10), 60, never)

    def test_due_times_of_a_ticket(self):
        times = sla.due_times(at(2026, 9, 30, 17), 30, 120, HOURS, CAL.is_workday)
        assert times == {"response_due_at": at(2026, 9, 30, 17, 30),
                         "resolution_due_at": at(2026, 10, 8, 10)}

    def test_bad_business_hours_refused(self):
        with pytest.raises(Invalid) as err:
            sla.BusinessHours("Asia/Shanghai", datetime.time(18), datetime.time(9))
        assert "end" in err.value.fields


class TestPausedTime:
    def between(self, a, b):
        return sla.business_seconds_between(a, b, HOURS, CAL.is_workday)

    def test_within_a_day(self):
        assert self.between(at(2026, 11, 23, 10), at(2026, 11, 23, 11, 30)) == 5400

    def test_nights_and_weekends_do_not_count(self):
        # Friday 17:00 -> Monday 10:00: 1h + 1h.
        assert self.between(at(2026, 11, 20, 17), at(2026, 11, 23, 10)) == 7200

    def test_holiday_does_not_count_make_up_day_does(self):
        # 09-30 17:00 -> 10-10 10:00: 1h (09-30) + 9h (10-08) + 9h (10-09) + 1h (10-10).
        assert self.between(at(2026, 9, 30, 17), at(2026, 10, 10, 10)) == 20 * 3600

    def test_reversed_or_empty_interval_is_zero(self):
        assert self.between(at(2026, 11, 23, 11), at(2026, 11, 23, 10)) == 0
        assert self.between(at(2026, 11, 22, 10), at(2026, 11, 22, 12)) == 0  # Sunday

    def test_pushing_a_due_time_by_the_paused_time(self):
        # Due Friday 17:00, paused 2 business hours: due Monday 10:00.
        pushed = sla.add_business_seconds(at(2026, 11, 20, 17), 7200, HOURS, CAL.is_workday)
        assert pushed == at(2026, 11, 23, 10)


class TestRules:
    def test_only_waiting_on_the_customer_pauses(self):
        assert sla.pauses("waiting", "customer")
        assert not sla.pauses("waiting", "parts")
        assert not sla.pauses("in_progress", None)

    def test_first_response_is_a_handler_acting_not_routing(self):
        assert not sla.is_first_response("new", "assigned", False)
        assert sla.is_first_response("assigned", "in_progress", False)
        assert sla.is_first_response("new", "resolved", False)
        assert not sla.is_first_response("assigned", "in_progress", True)
        assert not sla.is_first_response("new", "cancelled", False)

    def test_response_target_may_not_exceed_resolution(self):
        sla.check_policy(30, 30)
        with pytest.raises(Invalid) as err:
            sla.check_policy(60, 30)
        assert "response_minutes" in err.value.fields


class TestReminderDue:
    NOW = at(2026, 11, 22, 10)

    def test_in_days_is_calendar_time(self):
        assert sla.reminder_due(self.NOW, {"in_days": 2}) == at(2026, 11, 24, 10)
        assert sla.reminder_due(self.NOW, {"in_hours": 3}) == at(2026, 11, 22, 13)

    def test_at_must_be_future(self):
        assert sla.reminder_due(self.NOW, {"at": at(2026, 11, 23)}) == at(2026, 11, 23)
        with pytest.raises(Invalid) as err:
            sla.reminder_due(self.NOW, {"at": at(2026, 11, 21)})
        assert "at" in err.value.fields

    def test_exactly_one_way(self):
        for data in ({}, {"in_days": 1, "in_hours": 2}):
            with pytest.raises(Invalid):
                sla.reminder_due(self.NOW, data)
