"""Business time: working days on the mainland calendar and business hours (used by the
ticket service's SLA clock, T6, and the survey service's follow-up due times, V1).  No I/O.

Which days are working days, in this order:
  1. the overrides given (day -> workday true/false; the ticket service's admin-managed
     calendar);
  2. chinese_calendar (the mainland's official holidays and make-up working days
     调休) for the years it knows (1.11.0 knows 2004–2026);
  3. plain weekends (Mon–Fri work) for years it does not know.

Business time runs only inside [start, end) of the business hours of a working day,
in the configured time zone (default 09:00–18:00 Asia/Shanghai).  A due time is the
moment the target's business seconds are used up; a target that ends exactly at the
close of a day is due at that close (18:00), not at the next morning's opening.
"""
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

from services.common.errors import Invalid
from services.common.zone import CHINA

MAX_SCAN_DAYS = 3660  # a calendar without any working day must not loop forever


@dataclass(frozen=True)
class BusinessHours:
    timezone: str = CHINA.key
    start: datetime.time = datetime.time(9, 0)
    end: datetime.time = datetime.time(18, 0)

    def __post_init__(self):
        if not self.start < self.end:
            raise Invalid("business hours must start before they end",
                          {"end": ["must be after start"]})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Calendar:
    """is_workday(day): overrides first, then chinese_calendar, then weekends."""

    def __init__(self, overrides: Mapping[datetime.date, bool] | None = None):
        self.overrides = dict(overrides or {})

    def source(self, day: datetime.date) -> str:
        if day in self.overrides:
            return "override"
        try:
            chinese_calendar.is_workday(day)
            return "chinese_calendar"
        except NotImplementedError:
            return "weekend_rule"

    def is_workday(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _builtin_workday(day)


def _builtin_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the library does not know
        return day.weekday() < 5


def known_year(year: int) -> bool:
    """Whether chinese_calendar knows the year's holidays."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def _day_bounds(day: datetime.date, hours: BusinessHours):
    zone = hours.zone
    return (datetime.datetime.combine(day, hours.start, tzinfo=zone),
            datetime.datetime.combine(day, hours.end, tzinfo=zone))


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment


def add_business_seconds(start: datetime.datetime, seconds: float, hours: BusinessHours,
                         is_workday: Callable[[datetime.date], bool]) -> datetime.datetime:
    """The moment `seconds` of business time after `start` (aware; answered in the
    business time zone).  Zero seconds is `start` itself."""
    local = _aware(start).astimezone(hours.zone)
    remaining = datetime.timedelta(seconds=max(0, seconds))
    if not remaining:
        return local
    day = local.date()
    for _ in range(MAX_SCAN_DAYS):
        if is_workday(day):
            opens, closes = _day_bounds(day, hours)
            begin = max(local, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += datetime.timedelta(days=1)
    raise Invalid("the calendar has no working days ahead", {"calendar": ["no working days"]})


def add_business_minutes(start, minutes: int, hours: BusinessHours, is_workday):
    return add_business_seconds(start, minutes * 60, hours, is_workday)


def business_seconds_between(start: datetime.datetime, end: datetime.datetime,
                             hours: BusinessHours,
                             is_workday: Callable[[datetime.date], bool]) -> int:
    """Whole business seconds in [start, end) (0 when end <= start)."""
    a = _aware(start).astimezone(hours.zone)
    b = _aware(end).astimezone(hours.zone)
    if b <= a:
        return 0
    total = datetime.timedelta()
    day = a.date()
    last = b.date()
    if (last - day).days > MAX_SCAN_DAYS:
        raise ValueError("interval too long")
    while day <= last:
        if is_workday(day):
            opens, closes = _day_bounds(day, hours)
            lo, hi = max(a, opens), min(b, closes)
            if hi > lo:
                total += hi - lo
        day += datetime.timedelta(days=1)
    return int(total.total_seconds())
