"""What one ticket adds to the ticket rollups (R1), no I/O.

A ticket's fact is the latest snapshot the ticket service sent (its revision higher than
the one kept).  Every rollup row is the sum of the contributions of every fact, so
applying a changed fact adds `delta(old, new)` (new contribution − old) and a rollup
always equals a plain GROUP BY over the facts — whatever the order or number of
deliveries.  The store's rebuild SQL (store/facts.py RECOMPUTE_*) computes the same
contributions in one pass; the unit tests hold the two together.

Where each counter lands (days are days in China):
  accepted day   created, opened (+1 for the backlog), repeats (repeat_of non-empty),
                 reopened (reopen_count > 0), response_breached, resolution_breached;
                 the response time (first_response_at − accepted_at)
  resolved day   resolved, same_day (resolved on its accepted day), fcr (first-contact
                 resolution 一次性解答: resolved, never transferred nor reopened, and no
                 later ticket names it in repeat_of); the resolution time
                 (resolved_at − accepted_at)
  closed day     closed;  cancelled day  cancelled
  finished day   finished (+1 for the backlog): the closed or cancelled day of a ticket
                 whose status is closed or cancelled
Rollups: ticket_day (day, kind) and ticket_day_group (day, group, kind) — the narrow ones
the common curves read —, ticket_day_kind (day, kind, category, channel),
ticket_day_staff (day, group, agent = assignee, kind), ticket_month (month, kind,
category, channel, group, agent), and ticket_time_day (day, kind, group, measure,
bucket) -> n, seconds.
"""
import bisect
import datetime
import hashlib
from collections import defaultdict

from services.common.zone import CHINA

COUNTERS = ("created", "resolved", "closed", "cancelled", "reopened", "repeats",
            "response_breached", "resolution_breached", "same_day", "fcr", "opened",
            "finished")
TIME_COUNTERS = ("n", "seconds")
# Upper edges (seconds) of the time buckets: bucket i holds EDGES[i-1] <= t < EDGES[i];
# bucket 0 is under a minute, the last one a week and more.
TIME_EDGES = (60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200,
              604800)
LAST_BUCKET = len(TIME_EDGES)
MEASURES = ("response", "resolution")
FINISHED = ("closed", "cancelled")
DAY_KIND, DAY_STAFF, MONTH, TIME_DAY = ("ticket_day_kind", "ticket_day_staff",
                                         "ticket_month", "ticket_time_day")
DAY, DAY_GROUP = "ticket_day", "ticket_day_group"
TABLES = (DAY, DAY_GROUP, DAY_KIND, DAY_STAFF, MONTH, TIME_DAY)

Contribution = dict[str, dict[tuple, dict[str, int]]]


def china_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration (negative ones — clocks — count as 0)."""
    return bisect.bisect_right(TIME_EDGES, max(0, seconds))


def duration(start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole seconds from start to end, never negative."""
    return max(0, int((end - start).total_seconds()))


def first_contact_resolved(fact: dict, repeated_later: bool) -> bool:
    return (fact.get("resolved_at") is not None and not fact.get("transfer_count")
            and not fact.get("reopen_count") and not repeated_later)


def finished_at(fact: dict) -> datetime.datetime | None:
    """When the ticket reached closed or cancelled, if that is where it is."""
    if fact["status"] == "closed":
        return fact.get("closed_at")
    if fact["status"] == "cancelled":
        return fact.get("cancelled_at")
    return None


def contributions(fact: dict | None, repeated_later: bool = False) -> Contribution:
    """{table: {key: {counter: n}}} of one fact (None: nothing).  `repeated_later`: a
    later ticket names this one in its repeat_of."""
    out: Contribution = {t: {} for t in TABLES}
    if fact is None:
        return out
    kind, category = fact["kind"], fact.get("category_id") or ""
    channel, group = fact.get("channel") or "", fact.get("group_name") or ""
    agent = fact.get("assignee_id") or ""
    accepted = fact["accepted_at"]
    accepted_day = china_day(accepted)

    def add(day: datetime.date, **counters: int) -> None:
        keys = ((DAY, (day, kind)), (DAY_GROUP, (day, group, kind)),
                (DAY_KIND, (day, kind, category, channel)),
                (DAY_STAFF, (day, group, agent, kind)),
                (MONTH, (day.replace(day=1), kind, category, channel, group, agent)))
        for table, key in keys:
            row = out[table].setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, n in counters.items():
                row[name] += n

    def time(day: datetime.date, measure: str, seconds: int) -> None:
        row = out[TIME_DAY].setdefault((day, kind, group, measure, bucket(seconds)),
                                       dict.fromkeys(TIME_COUNTERS, 0))
        row["n"] += 1
        row["seconds"] += seconds

    add(accepted_day, created=1, opened=1, repeats=int(bool(fact.get("repeat"))),
        reopened=int((fact.get("reopen_count") or 0) > 0),
        response_breached=int(bool(fact.get("response_breached"))),
        resolution_breached=int(bool(fact.get("resolution_breached"))))
    if fact.get("first_response_at") is not None:
        time(accepted_day, "response", duration(accepted, fact["first_response_at"]))
    if fact.get("resolved_at") is not None:
        resolved_day = china_day(fact["resolved_at"])
        add(resolved_day, resolved=1, same_day=int(resolved_day == accepted_day),
            fcr=int(first_contact_resolved(fact, repeated_later)))
        time(resolved_day, "resolution", duration(accepted, fact["resolved_at"]))
    if fact.get("closed_at") is not None:
        add(china_day(fact["closed_at"]), closed=1)
    if fact.get("cancelled_at") is not None:
        add(china_day(fact["cancelled_at"]), cancelled=1)
    done = finished_at(fact)
    if done is not None:
        add(china_day(done), finished=1)
    return out


def combine(*parts: tuple[int, Contribution]) -> Contribution:
    """Σ sign × contribution, rows that sum to zero left out."""
    out: Contribution = {t: {} for t in TABLES}
    for sign, part in parts:
        for table, rows in part.items():
            target = out[table]
            for key, counters in rows.items():
                row = target.setdefault(key, dict.fromkeys(counters, 0))
                for name, n in counters.items():
                    row[name] += sign * n
    return {t: {k: c for k, c in rows.items() if any(c.values())} for t, rows in out.items()}


def delta(old: dict | None, new: dict | None, old_repeated: bool = False,
          new_repeated: bool = False) -> Contribution:
    """What a rollup gains when a fact changes from `old` to `new` (new − old)."""
    return combine((1, contributions(new, new_repeated)), (-1, contributions(old, old_repeated)))


def newer(old: dict | None, snapshot: dict) -> bool:
    """Whether a snapshot replaces the fact kept (revision strictly higher)."""
    return old is None or snapshot["revision"] > old["revision"]


def link_changes(old: dict | None, new: dict) -> tuple[set[str], set[str]]:
    """(earlier tickets newly named in repeat_of, earlier ones no longer named)."""
    before = set(old["repeat_of"]) if old else set()
    after = set(new.get("repeat_of") or ())
    after.discard(new["ticket_id"])
    return after - before, before - after


def lock_key(ticket_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one ticket's contribution."""
    return int.from_bytes(hashlib.blake2b(ticket_id.encode(), digest_size=8).digest(),
                          "big", signed=True)


def summed(facts: list[dict]) -> Contribution:
    """The reference: every rollup as the sum of the final facts' contributions."""
    named = defaultdict(set)
    for fact in facts:
        for earlier in fact.get("repeat_of") or ():
            if earlier != fact["ticket_id"]:
                named[earlier].add(fact["ticket_id"])
    return combine(*((1, contributions(f, bool(named[f["ticket_id"]]))) for f in facts))
