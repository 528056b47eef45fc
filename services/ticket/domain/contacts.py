"""Contact log and call events (T8): the rules, no I/O."""
import datetime

from services.common import phones
from services.common.errors import Forbidden, Invalid, NotFound
from services.common.zone import business_day, day_start
from services.ticket.domain.tickets import request_key
from services.vocabulary import SUPERVISORS_UP

MAX_KEY = 300  # a contact's request key is cut to this length


def agent_of(principal, given: str | None) -> str:
    """The agent of a contact: the caller, or another agent named by a supervisor up."""
    if not given or given == principal.id:
        return principal.id
    if principal.is_system or principal.has_any(SUPERVISORS_UP):
        return given
    raise Forbidden("only supervisors may log a contact for another agent",
                    {"agent_id": ["only supervisors may name another agent"]})


def contact_key(principal_id: str, idempotency_key: str | None) -> str | None:
    """A contact's idempotency key: per staff member, like a ticket's, cut to MAX_KEY."""
    key = request_key(principal_id, idempotency_key)
    return key[:MAX_KEY] if key else None


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
        start = day_start(business_day(now))
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

