"""Follow-up rules (V1): which resolved tickets a rule follows up, the reproducible
share, and when the task is due.  No I/O.

A rule follows up a ticket when the ticket passes every filter the rule gives (an empty
list is no filter): kinds, after-sales subtypes (of the ticket's category), categories,
the agent who handled it (its assignee), VIP customers only.  With `share_percent` it
keeps only the tickets whose point — from hash(rule id, ticket id), so the same ticket
always gets the same answer on every replica and every redelivery — falls in the share.
A `rest_only` rule applies only to tickets no other active rule follows up ("a random
x% of the rest").

Due: `delay_amount` business hours after resolution, or business days (a business day
is the length of the business hours: resolved on a Friday at 15:00, due two business
days later on Tuesday at 15:00), on the mainland calendar (services.common.business_time).
"""
import datetime
import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal

from services.common.business_time import BusinessHours, add_business_seconds

SHARE_POINTS = 10_000  # a share is chosen in hundredths of a percent
VIP_GRADES = frozenset({"vip", "贵宾"})  # the customer's grade 客户级别 (C1 level VIP/normal)


def is_vip(card: dict | None) -> bool:
    """A customer is VIP when its grade (the customer service's 客户级别) says so."""
    return card is not None and str(card.get("grade") or "").strip().lower() in VIP_GRADES


def share_point(rule_id: str, ticket_id: str) -> int:
    """The ticket's point in 0..9999 for this rule: the same for the same pair, spread
    evenly over tickets (sha-256, not random())."""
    digest = hashlib.sha256(f"{rule_id}:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SHARE_POINTS


def in_share(rule_id: str, ticket_id: str, percent) -> bool:
    """Whether the ticket falls in the rule's share of `percent` (None: all do)."""
    if percent is None:
        return True
    return share_point(rule_id, ticket_id) < int(Decimal(str(percent)) * 100)


def passes_filters(rule: dict, ticket: dict) -> bool:
    """The ticket ({kind, subtype, category_id, assignee_id, vip}) passes every filter."""
    def within(values, value) -> bool:
        return not values or value in values

    return (rule["active"]
            and within(rule["kinds"], ticket["kind"])
            and within(rule["subtypes"], ticket.get("subtype"))
            and within(rule["category_ids"], ticket.get("category_id"))
            and within(rule["assignee_ids"], ticket.get("assignee_id"))
            and (not rule["vip_only"] or bool(ticket.get("vip"))))


def follows_up(rule: dict, ticket: dict) -> bool:
    return passes_filters(rule, ticket) and in_share(str(rule["id"]), ticket["ticket_id"],
                                                     rule["share_percent"])


def select(rules: Iterable[dict], ticket: dict) -> list[dict]:
    """The rules that follow the ticket up: every matching rule; the rest_only ones only
    when no other rule does."""
    rules = list(rules)
    chosen = [r for r in rules if not r["rest_only"] and follows_up(r, ticket)]
    if chosen:
        return chosen
    return [r for r in rules if r["rest_only"] and follows_up(r, ticket)]


def to_make(rules: Iterable[dict], ticket: dict, taken: set[str]) -> list[dict]:
    """The rules a ticket event makes tasks of: select() over every active rule — so a
    rest_only rule still sees that another rule took the ticket on an earlier event
    (resolved, then closed) — less those that already made the ticket's task."""
    return [r for r in select(rules, ticket) if str(r["id"]) not in taken]


def needs_subtype(rules: Iterable[dict]) -> bool:
    """Whether some active rule filters by after-sales subtype (the category is asked)."""
    return any(r["active"] and r["subtypes"] for r in rules)


def day_seconds(hours: BusinessHours) -> int:
    """A business day's length in seconds (09:00–18:00: 9 hours)."""
    start = datetime.datetime.combine(datetime.date(2000, 1, 3), hours.start)
    end = datetime.datetime.combine(datetime.date(2000, 1, 3), hours.end)
    return int((end - start).total_seconds())


def due_at(resolved_at: datetime.datetime, amount: int, unit: str, hours: BusinessHours,
           is_workday: Callable[[datetime.date], bool]) -> datetime.datetime:
    """When a task of a ticket resolved at `resolved_at` is due: `amount` business hours
    or business days later."""
    seconds = amount * (3600 if unit == "hours" else day_seconds(hours))
    return add_business_seconds(resolved_at, seconds, hours, is_workday)


def day_end(day: datetime.date, hours: BusinessHours,
            is_workday: Callable[[datetime.date], bool]) -> datetime.datetime:
    """The close of business of `day`, or of the first working day after it."""
    for _ in range(370):
        if is_workday(day):
            return datetime.datetime.combine(day, hours.end, tzinfo=hours.zone)
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, hours.end, tzinfo=hours.zone)


def next_attempt_due(now: datetime.datetime, call_again_on: datetime.date | None,
                     hours: BusinessHours,
                     is_workday: Callable[[datetime.date], bool]) -> datetime.datetime:
    """When the next call of an unreached task is due: the close of the day asked for,
    else of the next working day."""
    if call_again_on is not None:
        return day_end(call_again_on, hours, is_workday)
    today = now.astimezone(hours.zone).date()
    return day_end(today + datetime.timedelta(days=1), hours, is_workday)
