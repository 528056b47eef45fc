"""Ticket rules, free of I/O."""
import datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
KIND_PREFIX = {"consultation": "ZX", "after_sales": "SH", "complaint": "TS", "suggestion": "JY"}


def business_day(moment: datetime.datetime) -> datetime.date:
    """The calendar day in China of a moment (serials and reports count by it)."""
    return moment.astimezone(BUSINESS_TZ).date()


def serial(kind: str, day: datetime.date, number: int) -> str:
    """Readable, unique per kind and day: ZX-20261122-0001."""
    return f"{KIND_PREFIX[kind]}-{day:%Y%m%d}-{number:04d}"


def request_key(principal_id: str, idempotency_key: str | None) -> str | None:
    """Keys are per staff member, so two agents can never collide."""
    return f"{principal_id}:{idempotency_key}" if idempotency_key else None
