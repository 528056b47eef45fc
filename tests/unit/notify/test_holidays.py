"""N5: holiday greetings go on a holiday's first day, by the mainland calendar."""
import datetime

from services.notify.domain import holidays


def test_n5_the_first_day_of_a_holiday_is_found_and_not_the_days_after():
    assert holidays.starting_on(datetime.date(2026, 10, 1)) == "National Day"
    assert holidays.starting_on(datetime.date(2026, 10, 2)) is None
    assert holidays.starting_on(datetime.date(2026, 9, 30)) is None
    # The 2026 Spring Festival break (chinese_calendar): 15–23 February.
    assert holidays.starting_on(datetime.date(2026, 2, 15)) == "Spring Festival"


def test_n5_next_start_and_a_year_the_calendar_does_not_know_yet():
    assert holidays.next_start("National Day", datetime.date(2026, 1, 1)) == \
        datetime.date(2026, 10, 1)
    assert holidays.next_start("Spring Festival", datetime.date(2026, 12, 7)) is None
