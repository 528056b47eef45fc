"""Contact log and call events (T8): the rules, no I/O."""
import datetime

from services.common import phones
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.zone import CHINA
from services.ticket.domain.dispatch import decode_cursor, encode_cursor  # noqa: F401
from services.vocabulary import SUPERVISORS_UP

REDACTED = "[已销毁]"


def agent_of(principal, given: str | None) -> str:
    """The agent of a contact: the caller, or another agent named by a supervisor up."""
    if not given or given == principal.id:
        return principal.id
    if principal.is_system or principal.has_any(SUPERVISORS_UP):
        return given
    raise Forbidden("only supervisors may log a contact for another agent",
                    {"agent_id": ["only supervisors may name another agent"]})


def customer_of(given: str | None, ticket: dict | None, ticket_given: bool) -> str | None:
    """The customer of a contact: as given, else the ticket's.  NotFound for an
    unknown ticket; Invalid when the ticket belongs to someone else."""
    if ticket_given and ticket is None:
        raise NotFound("no such ticket", {"ticket_id": ["no such ticket"]})
    if ticket is None:
        return given
    if given and given != ticket["customer_id"]:
        raise Invalid("the ticket belongs to another customer",
                      {"ticket_id": ["belongs to another customer"]})
    return ticket["customer_id"]


def caller_number(raw: str | None) -> str | None:
    """The caller as E.164 when it is a phone number; as given otherwise (anonymous,
    a SIP address): the telephony system's word is kept, never refused."""
    if not raw or not raw.strip():
        return None
    try:
        return phones.normalize(raw)[0]
    except phones.BadPhone:
        return raw.strip()


def period(start: datetime.datetime | None, end: datetime.datetime | None,
           now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The statistics period; default today in China (midnight to now)."""
    if start is None:
        local = now.astimezone(CHINA)
        start = datetime.datetime.combine(local.date(), datetime.time(), CHINA)
    if end is None:
        end = max(now, start + datetime.timedelta(seconds=1))
    if end <= start:
        raise Invalid("the period is empty", {"to": ["must be after from"]})
    if end - start > datetime.timedelta(days=366):
        raise Invalid("the period is too long", {"to": ["at most a year after from"]})
    return start, end


def queue_stats(queue: str | None, counts: dict) -> dict:
    offered, answered = counts.get("offered") or 0, counts.get("answered") or 0
    # A call answered without an "offered" event was still offered.
    offered = max(offered, answered + (counts.get("abandoned") or 0))
    return {
        "queue": queue, "offered": offered, "answered": answered,
        "abandoned": counts.get("abandoned") or 0,
        "answer_rate": round(answered / offered, 4) if offered else None,
        "avg_wait_seconds": _round(counts.get("avg_wait")),
        "p90_wait_seconds": _round(counts.get("p90_wait")),
    }


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


def page(rows: list[dict], limit: int) -> tuple[list[dict], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["started_at"], rows[-1]["id"])
