"""The mainland holiday calendar (chinese_calendar): which holiday starts on a day."""
import datetime

import chinese_calendar

LOOKAHEAD_DAYS = 400
NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
         "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
         "Mid-autumn Festival": "中秋节"}


def _holiday(day: datetime.date) -> str | None:
    try:
        on, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # beyond the years the library knows
        return None
    return str(name) if on and name else None


def starting_on(day: datetime.date) -> str | None:
    """The holiday whose first day off this is, or None."""
    name = _holiday(day)
    if name is None or _holiday(day - datetime.timedelta(days=1)) == name:
        return None
    return name


def next_start(holiday: str, after: datetime.date) -> datetime.date | None:
    """The next first day of a holiday on or after a day, within the calendar known."""
    for n in range(LOOKAHEAD_DAYS):
        day = after + datetime.timedelta(days=n)
        if starting_on(day) == holiday:
            return day
    return None
