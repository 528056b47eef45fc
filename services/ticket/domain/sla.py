"""Business time (T6): working days, business hours, due times.  No I/O.

Which days are working days, in this order:
  1. the admin-managed calendar overrides (day -> workday true/false, with a note);
  2. chinese_calendar (the mainland's official holidays and make-up working days
     调休) for the years it knows (1.11.0 knows 2004–2026);
  3. plain weekends (Mon–Fri work) for years it does not know — until the admins
     enter that year's holidays and make-up days as overrides (the State Council
     publishes them each November).

Business time runs only inside [start, end) of the business hours of a working day,
in the configured time zone (default 09:00–18:00 Asia/Shanghai).  A due time is the
moment the target's business seconds are used up; a target that ends exactly at the
close of a day is due at that close (18:00), not at the next morning's opening.
"""
import datetime
from collections.abc import Callable

# The business-time functions live in services.common.business_time (the survey service
# counts follow-up due times with them too), re-exported here under their old names.
from services.common.business_time import (  # noqa: F401
    MAX_SCAN_DAYS,
    BusinessHours,
    Calendar,
    add_business_minutes,
    add_business_seconds,
    business_seconds_between,
    known_year,
)
from services.common.errors import Conflict, Invalid, NotFound
from services.vocabulary import MANAGERS_UP

MAX_CALENDAR_DAYS = 366  # days one calendar view shows at most
TARGETS = ("response", "resolution")
# The first time a ticket reaches one of these, it has had its first response: they
# are reached only by a handler acting on it (unlike `assigned`, which routing —
# possibly automatic — produces).
RESPONDED = ("in_progress", "waiting", "resolved")


def due_times(accepted_at, response_minutes: int, resolution_minutes: int,
              hours: BusinessHours, is_workday) -> dict:
    """The response and resolution due times of a ticket accepted at `accepted_at`."""
    return {
        "response_due_at": add_business_minutes(accepted_at, response_minutes, hours,
                                                is_workday),
        "resolution_due_at": add_business_minutes(accepted_at, resolution_minutes, hours,
                                                  is_workday),
    }


def pauses(to_status: str, waiting_on: str | None) -> bool:
    """The clock stops while the ticket waits on the customer (not on parts)."""
    return to_status == "waiting" and waiting_on == "customer"


def is_first_response(from_status: str, to_status: str, already: bool) -> bool:
    return not already and to_status in RESPONDED and from_status != to_status


def resumes(paused_since, to_status: str, waiting_on: str | None) -> bool:
    """A paused clock starts again with any status but waiting on the customer."""
    return paused_since is not None and not pauses(to_status, waiting_on)


def clock_changes(ticket: dict, from_status: str, to_status: str, waiting_on: str | None,
                  hours: BusinessHours | None = None,
                  is_workday: Callable[[datetime.date], bool] | None = None) -> tuple[dict, int]:
    """What a status change does to a ticket's clock (ticket: paused_since,
    first_response_at, response_due_at, resolution_due_at, now): the columns to set, and
    the business seconds of the pause it ends (0 for none).  The first reach of a
    RESPONDED status stamps the first response; waiting on the customer pauses; leaving
    the pause pushes the due times by the business time it lasted (hours and is_workday
    are needed then, see `resumes`)."""
    now = ticket["now"]
    changes: dict = {}
    if is_first_response(from_status, to_status, ticket["first_response_at"] is not None):
        changes["first_response_at"] = now
    paused = 0
    if resumes(ticket["paused_since"], to_status, waiting_on):
        if hours is None or is_workday is None:
            raise ValueError("ending a pause needs the business hours and calendar")
        paused = business_seconds_between(ticket["paused_since"], now, hours, is_workday)
        changes["paused_since"] = None
        for key in ("response_due_at", "resolution_due_at"):
            if ticket[key] is not None and paused:
                changes[key] = add_business_seconds(ticket[key], paused, hours, is_workday)
    elif ticket["paused_since"] is None and pauses(to_status, waiting_on):
        changes["paused_since"] = now
    return changes, paused


def check_policy(response_minutes: int, resolution_minutes: int) -> None:
    if response_minutes > resolution_minutes:
        raise Invalid("the response target cannot exceed the resolution target",
                      {"response_minutes": ["must not exceed resolution_minutes"]})


def escalation_note(target: str, due_at: datetime.datetime, notify: list[str]) -> str:
    """The trail's note of an escalation: which target passed, whom it went to."""
    return f"{target} due {due_at.isoformat()} passed; notified {', '.join(notify) or 'nobody'}"


def due_group(principal, group: str | None) -> str | None:
    """The one group the due view is asked for (None: all the caller's scope): managers
    up any group, supervisors one of theirs (NotFound for another)."""
    if group and not principal.has_any(MANAGERS_UP) and group not in principal.groups:
        raise NotFound("no such group")
    return group


# --- the calendar -------------------------------------------------------------

def parse_day(value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid("not a date (YYYY-MM-DD)", {"day": ["not a date (YYYY-MM-DD)"]}) from exc


def calendar_day(day: datetime.date, calendar: Calendar, note: str = "") -> dict:
    """One day as the calendar shows it: working day or not, and why."""
    return {"day": day, "workday": calendar.is_workday(day), "source": calendar.source(day),
            "note": note}


def check_calendar_span(start: datetime.date, end: datetime.date) -> None:
    """A calendar view shows [start, end]: at least one day, at most MAX_CALENDAR_DAYS."""
    span = (end - start).days
    if span < 0:
        raise Invalid("`to` is before `from`", {"to": ["must not be before from"]})
    if span >= MAX_CALENDAR_DAYS:
        raise Invalid("at most 366 days at once", {"to": ["at most 366 days after from"]})


def calendar_view(start: datetime.date, end: datetime.date, overrides: dict) -> dict:
    """Each day of [start, end], with the overrides ({day: {workday, note}}) applied;
    and the years only the weekend rule covers."""
    span = (end - start).days
    calendar = Calendar({d: r["workday"] for d, r in overrides.items()})
    days = [calendar_day(day, calendar, overrides[day]["note"] if day in overrides else "")
            for day in (start + datetime.timedelta(days=n) for n in range(span + 1))]
    unknown = sorted({d["day"].year for d in days if not known_year(d["day"].year)})
    return {"days": days, "unknown_years": unknown}


# --- reminders ------------------------------------------------------------------

def check_cancel(reminder: dict | None, staff_id: str) -> dict:
    """The reminder, when one may cancel it: one's own, not sent (cancelled already:
    as it is); another's is NotFound, a sent one Conflict."""
    if reminder is None or reminder["staff_id"] != staff_id:
        raise NotFound("no such reminder")
    if reminder["sent_at"] is not None:
        raise Conflict("the reminder was already sent")
    return reminder


def reminder_due(now: datetime.datetime, data: dict) -> datetime.datetime:
    """When a reminder falls due: exactly one of at / in_minutes / in_hours / in_days
    (calendar time, not business time); it must lie in the future."""
    given = [k for k in ("at", "in_minutes", "in_hours", "in_days") if data.get(k) is not None]
    if len(given) != 1:
        raise Invalid("give exactly one of at, in_minutes, in_hours, in_days",
                      {"at": ["give exactly one of at, in_minutes, in_hours, in_days"]})
    key = given[0]
    if key == "at":
        due = data["at"]
        if due <= now:
            raise Invalid("the reminder must be in the future", {"at": ["must be in the future"]})
        return due
    unit = {"in_minutes": 60, "in_hours": 3600, "in_days": 86400}[key]
    return now + datetime.timedelta(seconds=data[key] * unit)
