"""Time as the business reads it: days and hours in China (Asia/Shanghai)."""
import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def business_day(moment: datetime.datetime) -> datetime.date:
    """The calendar day in China of an aware moment."""
    return moment.astimezone(CHINA).date()


def local_time(moment: datetime.datetime) -> str:
    """A moment as staff read it: Beijing time, to the minute."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def day_start(day: datetime.date) -> datetime.datetime:
    """The first moment of a day in China."""
    return datetime.datetime.combine(day, datetime.time(), CHINA)
