"""Notifications sent / delivered / undelivered / failed / skipped per channel and
template (issue 13, R1, R2, R4), no I/O: a message's state merged from notify's word,
what one message adds to the daily rollup, the figures as read, and the check.

One fact per message (notify's message id).  Its state is the highest seen, in the
order queued 0 < sent 1 < delivered 2 < undelivered 3 < failed 4 < skipped 5 (failed and
skipped are final; a message is delivered or undelivered, never both) — a maximum, so
an event twice, or a later state told before an earlier one, changes nothing.  Its key
is the China day the message was MADE (created_at: every outcome of a message counts on
one day, whenever its receipt came), its channel, its template's name ('' without one)
and its level (the highest told).  It adds to notification_day:
  sent 1 when the provider took it (sent, delivered, undelivered);
  delivered 1 / undelivered 1 by the receipt; failed 1 (any other failure); skipped 1.
notify's status maps to the state: queued and sending → queued, sent, delivered,
failed with reason `undelivered` → undelivered, any other failed → failed, skipped.
"""
import datetime
import hashlib

from services.common.errors import Invalid
from services.common.zone import CHINA
from services.report.domain.figures import MAX_POINTS, periods

TABLE = "notification_day"
UNDELIVERED = "undelivered"  # notify's reason of a failed message whose receipt said so
TABLES = (TABLE,)
KEY = ("day", "channel", "template", "level")
COUNTERS = ("sent", "delivered", "undelivered", "failed", "skipped")
STATES = ("queued", "sent", "delivered", "undelivered", "failed", "skipped")
RANK = {name: rank for rank, name in enumerate(STATES)}
ADDS = {"queued": (), "sent": ("sent",), "delivered": ("sent", "delivered"),
        "undelivered": ("sent", "undelivered"), "failed": ("failed",),
        "skipped": ("skipped",)}
DIMENSIONS = ("channel", "template")

Contribution = dict[tuple, dict[str, int]]


def lock_key(message_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one message's fact."""
    return int.from_bytes(hashlib.blake2b(f"notification:{message_id}".encode(),
                                          digest_size=8).digest(), "big", signed=True)


def state_of(status: str, reason: str | None) -> str:
    """The state notify's status (and reason) says."""
    if status == "failed" and reason == UNDELIVERED:
        return "undelivered"
    return status if status in RANK else "queued"  # queued, sending


def told(message_id: str, created_at: datetime.datetime, channel: str,
         template: str | None, level: int, status: str, reason: str | None) -> dict:
    """What one word of notify (an event's message, a rebuild's record) says of a
    message, as a fact."""
    return {"message_id": message_id, "day": created_at.astimezone(CHINA).date(),
            "channel": channel, "template": template or "", "level": int(level or 0),
            "state": RANK[state_of(status, reason)]}


def merged(old: dict | None, word: dict) -> dict:
    """The fact after `word`: the highest state and level told (day, channel and
    template do not change: the first kept stays)."""
    if old is None:
        return dict(word)
    return {**old, "level": max(old["level"], word["level"]),
            "state": max(old["state"], word["state"])}


def contribution(fact: dict | None) -> Contribution:
    """{key: counters} one fact adds to notification_day (None or queued: nothing)."""
    if fact is None:
        return {}
    adds = ADDS[STATES[fact["state"]]]
    if not adds:
        return {}
    return {tuple(fact[k] for k in KEY): {c: int(c in adds) for c in COUNTERS}}


def delta(old: dict | None, new: dict | None) -> Contribution:
    """What the rollup gains when a fact changes from `old` to `new` (rows summing to
    zero left out)."""
    out: Contribution = {}
    for sign, fact in ((1, new), (-1, old)):
        for key, counters in contribution(fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, n in counters.items():
                row[name] += sign * n
    return {k: c for k, c in out.items() if any(c.values())}


def rows(change: Contribution) -> list[tuple]:
    """(key..., counters...) rows in key order, as the store adds them."""
    return [(*key, *(change[key][c] for c in COUNTERS)) for key in sorted(change)]


def summed(facts: list[dict]) -> Contribution:
    """The reference: the rollup as the sum of the facts' contributions."""
    out: Contribution = {}
    for fact in facts:
        for key, counters in contribution(fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name, n in counters.items():
                row[name] += n
    return {k: c for k, c in out.items() if any(c.values())}


# -- the figures as read (R2) --------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def columns(by) -> list[str]:
    """The answer's columns: period, the grouped dimensions, the counters, the rates."""
    return ["period", *[d for d in DIMENSIONS if d in set(by)], *COUNTERS,
            "delivery_rate", "failure_rate"]


def table(found: list[dict], by, first: datetime.date, last: datetime.date,
          period: str) -> list[list]:
    """Every period of the range for every key found (zeros where none), in key then
    period order, as rows of `columns(by)`.  Invalid naming `by` above MAX_POINTS rows.
    delivery_rate = delivered / sent; failure_rate = (failed + undelivered) / (sent +
    failed) — null when nothing to divide by."""
    grouped = [d for d in DIMENSIONS if d in set(by)]
    sums: dict = {}
    for r in found:
        key = tuple(r[d] for d in grouped)
        sums[(r["period"], key)] = tuple(int(r[c] or 0) for c in COUNTERS)
    keys = sorted({k for _, k in sums}) if grouped else [()]
    starts = periods(first, last, period)
    if len(keys) * len(starts) > MAX_POINTS:
        raise Invalid("the answer would be too large", {
            ("by" if grouped else "from"): [
                f"{len(keys) * len(starts)} rows (keys × periods) above {MAX_POINTS}: "
                "group by less, or ask a shorter range or a longer period"]})
    zero = (0,) * len(COUNTERS)
    out = []
    for key in keys:
        for start in starts:
            sent, delivered, undelivered, failed, skipped = sums.get((start, key), zero)
            out.append([start.isoformat(), *key, sent, delivered, undelivered, failed,
                        skipped, _rate(delivered, sent),
                        _rate(failed + undelivered, sent + failed)])
    return out


# -- the check against the owner (R4) ------------------------------------------------------
CHECKED = ("sent", "delivered", "undelivered", "failed", "skipped")
CHECK_KIND = "notifications"  # a difference is named kind "notifications:<channel>"


def differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, channel, measure) where our counts and notify's differ (a missing row
    counts 0), kind "notifications:<channel>"."""
    def day(value) -> datetime.date:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    mine = {(day(r["day"]), r["channel"]): r for r in ours}
    theirs = {(day(r["day"]), r["channel"]): r for r in owner}
    out = []
    for d, channel in sorted(set(mine) | set(theirs)):
        a, b = mine.get((d, channel), {}), theirs.get((d, channel), {})
        for measure in CHECKED:
            if (a.get(measure) or 0) != (b.get(measure) or 0):
                out.append({"day": d, "kind": f"{CHECK_KIND}:{channel}", "measure": measure,
                            "ours": a.get(measure) or 0, "owner": b.get(measure) or 0})
    return out
