"""Reporting rules, free of I/O."""
import datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def business_day(moment: datetime.datetime) -> datetime.date:
    """Reports count by the calendar day in China."""
    return moment.astimezone(BUSINESS_TZ).date()
