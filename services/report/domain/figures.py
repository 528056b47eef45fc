"""Ticket figures as read (R2), no I/O: periods in China, the rollup that answers a
grouping, the caller's scope, percentiles from the time histograms, zero-filled series.

Percentiles are read from the histogram buckets (domain/facts.py TIME_EDGES) by linear
interpolation inside the bucket that holds the rank (the open last bucket, a week and
more, answers its lower edge); the mean is exact (seconds summed / tickets).
"""
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from services.common.errors import Invalid, NotFound
from services.report.domain.facts import (
    COUNTERS,
    DAY,
    DAY_GROUP,
    DAY_KIND,
    DAY_STAFF,
    MONTH,
    TIME_EDGES,
)
from services.vocabulary import ADMINS, AUDITOR, MANAGERS_UP, SUPERVISOR

EVERYTHING = MANAGERS_UP | ADMINS | {AUDITOR}  # read every group's and agent's figures
PERIODS = ("day", "week", "month")
# grouping dimension -> the field it is answered in
DIMENSIONS = {"kind": "kind", "category": "category_id", "channel": "channel",
              "group": "group_name", "agent": "agent_id"}
FILTERS = {field: dim for dim, field in DIMENSIONS.items()}
DAY_DIMENSIONS = frozenset({"kind"})
DAY_GROUP_DIMENSIONS = frozenset({"group", "kind"})
DAY_KIND_DIMENSIONS = frozenset({"kind", "category", "channel"})
DAY_STAFF_DIMENSIONS = frozenset({"group", "agent", "kind"})
TIME_DIMENSIONS = frozenset({"kind", "group"})
MAX_DAYS = 400
MAX_POINTS = 20_000  # points of one answer (key groups × periods) with every figure;
FEW_MEASURES_POINTS = 50_000  # with some figures asked: values ≤ MAX_POINTS × all of them


@dataclass(frozen=True)
class Scope:
    """Whose tickets a caller sees: one agent's, some groups', or all (both None)."""

    agent_id: str | None = None
    groups: tuple[str, ...] | None = None

    @property
    def dimensions(self) -> frozenset:
        return frozenset({"agent"} if self.agent_id else {"group"} if self.groups is not None
                         else ())


def scope_of(principal_id: str, roles: Iterable[str], groups: Iterable[str]) -> Scope:
    """Managers, general managers, admins and auditors: all; supervisors: their groups;
    anyone else (an agent): their own tickets only (本人 / 本组 / 全部)."""
    roles = frozenset(roles)
    if roles & EVERYTHING:
        return Scope()
    if SUPERVISOR in roles:
        return Scope(groups=tuple(sorted(groups)))
    return Scope(agent_id=principal_id)


def within_scope(scope: Scope, filters: dict) -> None:
    """A filter naming another agent or group than the caller's is NotFound (out of
    scope reads as absent)."""
    if scope.agent_id and filters.get("agent_id") not in (None, scope.agent_id):
        raise NotFound("no such agent in your scope")
    if scope.groups is not None and filters.get("group_name") not in (None, *scope.groups):
        raise NotFound("no such group in your scope")


def check_range(first: datetime.date, last: datetime.date) -> None:
    if last < first:
        raise Invalid("the period ends before it starts", {"to": ["must not be before from"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid("the period is too long", {"to": [f"at most {MAX_DAYS} days"]})


def needed(by: Iterable[str], filters: dict, scope: Scope) -> frozenset:
    """The dimensions a rollup must keep: grouped by, filtered on, or scoped by."""
    return (frozenset(by) | {FILTERS[f] for f, v in filters.items() if v is not None}
            | scope.dimensions)


def rollup_for(by: Iterable[str], filters: dict, scope: Scope, period: str,
               first: datetime.date, last: datetime.date) -> str:
    """The narrowest rollup that answers: by day and kind; by day, group and kind; by
    day and kind / category / channel; by day and group / agent / kind; anything else
    by whole months only (Invalid naming `by`, or `from` / `to` when the months are not
    whole)."""
    dims = needed(by, filters, scope)
    narrow = daily_rollup(dims)
    if narrow is not None:
        return narrow
    if period != "month":
        raise Invalid("this grouping is kept by month only",
                      {"by": [f"{', '.join(sorted(dims))} together: period must be month"]})
    if first.day != 1:
        raise Invalid("this grouping is kept by whole months", {"from": ["must be a 1st"]})
    if (last + datetime.timedelta(days=1)).day != 1:
        raise Invalid("this grouping is kept by whole months",
                      {"to": ["must be the last day of a month"]})
    return MONTH


def daily_rollup(dims: frozenset) -> str | None:
    """The narrowest day rollup keeping these dimensions (None: only the months do)."""
    for table, kept in ((DAY, DAY_DIMENSIONS), (DAY_GROUP, DAY_GROUP_DIMENSIONS),
                        (DAY_KIND, DAY_KIND_DIMENSIONS), (DAY_STAFF, DAY_STAFF_DIMENSIONS)):
        if dims <= kept:
            return table
    return None


def unscoped_only(table: str) -> bool:
    """Whether a rollup keeps no group nor agent (never a scoped caller's)."""
    return table in (DAY, DAY_KIND)


def times_kept(by: Iterable[str], filters: dict, scope: Scope) -> bool:
    """Whether response / resolution times can be read (kept by day, kind and group)."""
    return needed(by, filters, scope) <= TIME_DIMENSIONS


def period_start(day: datetime.date, period: str) -> datetime.date:
    """The first day of the day, ISO week (from Monday) or month holding `day`."""
    if period == "week":
        return day - datetime.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def periods(first: datetime.date, last: datetime.date, period: str) -> list[datetime.date]:
    """Every period from the one holding `first` to the one holding `last`."""
    out, start = [], period_start(first, period)
    while start <= last:
        out.append(start)
        if period == "day":
            start += datetime.timedelta(days=1)
        elif period == "week":
            start += datetime.timedelta(days=7)
        else:
            start = (start + datetime.timedelta(days=32)).replace(day=1)
    return out


def percentile(buckets: dict[int, int], q: float) -> float | None:
    """The q-quantile (0 < q < 1) of a histogram {bucket: tickets}, None when empty."""
    total = sum(buckets.values())
    if total <= 0:
        return None
    rank, seen = q * total, 0
    for b in sorted(buckets):
        n = buckets[b]
        if n <= 0:
            continue
        if seen + n >= rank:
            lower = TIME_EDGES[b - 1] if b > 0 else 0
            if b >= len(TIME_EDGES):
                return float(lower)
            return round(lower + (rank - seen) / n * (TIME_EDGES[b] - lower), 1)
        seen += n
    return float(TIME_EDGES[-1])


def mean(seconds: int, n: int) -> float | None:
    return round(seconds / n, 1) if n else None


def time_key(period: datetime.date, kind: str | None, group_name: str | None) -> tuple:
    """The key a point's times are found under: a dimension a ticket lacks ('' in the
    rollups) is None, as in the point's own key."""
    return (period, kind or None, group_name or None)


def time_figures(rows: list[dict]) -> dict:
    """{(period, kind, group_name): {response_p50, ..., resolution_mean}} from rows of
    (period, kind, group_name, measure, bucket, n, seconds)."""
    hist: dict = defaultdict(lambda: defaultdict(dict))
    sums: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in rows:
        key = time_key(r["period"], r.get("kind"), r.get("group_name"))
        hist[key][r["measure"]][r["bucket"]] = \
            hist[key][r["measure"]].get(r["bucket"], 0) + r["n"]
        total = sums[key][r["measure"]]
        total[0] += r["n"]
        total[1] += r["seconds"]
    out = {}
    for key in hist:
        figures = {}
        for measure in ("response", "resolution"):
            buckets = hist[key].get(measure, {})
            n, seconds = sums[key][measure]
            figures.update({f"{measure}_p50": percentile(buckets, 0.5),
                            f"{measure}_p90": percentile(buckets, 0.9),
                            f"{measure}_mean": mean(seconds, n)})
        out[key] = figures
    return out


NO_TIMES = {f"{m}_{s}": None for m in ("response", "resolution") for s in ("p50", "p90", "mean")}


def series(rows: list[dict], times: list[dict] | None, by: Iterable[str],
           first: datetime.date, last: datetime.date, period: str,
           measures: Iterable[str] = ()) -> list[dict]:
    """Every period of the range for every key group found (zeros where none), in key
    then period order; each point: period, the grouped fields, the counters, and the
    times (None when not kept for this grouping or no ticket) — of them, the `measures`
    asked only (none: all)."""
    asked = set(measures)
    counters = [c for c in COUNTERS if not asked or c in asked]
    time_names = [t for t in NO_TIMES if not asked or t in asked]
    fields = _fields(by)
    counts: dict = {}
    for r in rows:
        point = counts.setdefault((r["period"], _key(r, fields)), dict.fromkeys(counters, 0))
        for c in counters:
            point[c] += r[c] or 0
    keys = sorted({k for _, k in counts} or ({()} if not fields else set()),
                  key=lambda k: tuple((v is not None, v or "") for v in k))
    timed = time_figures(times) if times is not None else {}
    zero = dict.fromkeys(counters, 0)
    starts = periods(first, last, period)
    out = []
    for key in keys:
        named = dict(zip(fields, key, strict=True))
        for start in starts:
            point = counts.get((start, key), zero)
            if time_names:
                found = timed.get(time_key(start, named.get("kind"), named.get("group_name")),
                                  NO_TIMES)
                out.append({"period": start, **named, **point,
                            **{t: found[t] for t in time_names}})
            else:
                out.append({"period": start, **named, **point})
    return out


def columns_per_key(rows: list[dict], times: list[dict] | None, by: Iterable[str],
                    first: datetime.date, last: datetime.date, period: str,
                    measures: Iterable[str] = ()) -> dict:
    """The figures of `series` as arrays: {periods (ISO text), fields, keys, values:
    {measure: [[per period] per key]}} — no object per point (the compact answer, P6) —
    from one row per key group (store.counts_per_key: `periods` and an array per
    counter over them): a key with every period takes its arrays as they are, one with
    gaps is filled with zeros."""
    asked = set(measures)
    counters = [c for c in COUNTERS if not asked or c in asked]
    time_names = [t for t in NO_TIMES if not asked or t in asked]
    fields = _fields(by)
    starts = periods(first, last, period)
    at = {start: i for i, start in enumerate(starts)}
    key_of = _keyer(fields)
    found: dict = {}  # key -> its row; rows of one key (None and '' alike) merged
    for r in rows:
        key = key_of(r)
        if key in found:
            found[key] = _merged(found[key], r, counters)
        else:
            found[key] = r
    keys = sorted(found or ({()} if not fields else set()),
                  key=lambda k: tuple((v is not None, v or "") for v in k))
    values: dict = {c: [] for c in counters}
    for key in keys:
        row = found.get(key)
        full = row is not None and row["periods"] == starts
        for c in counters:
            if full and row is not None:
                values[c].append(row[c])
                continue
            line = [0] * len(starts)
            if row is not None:
                for day, n in zip(row["periods"], row[c], strict=True):
                    line[at[day]] += n or 0
            values[c].append(line)
    timed = time_figures(times) if times is not None else {}
    named = [dict(zip(fields, key, strict=True)) for key in keys]
    for t in time_names:  # None where not kept for this grouping, or no ticket
        values[t] = [[timed.get(time_key(start, n.get("kind"), n.get("group_name")),
                                NO_TIMES)[t] for start in starts] for n in named]
    return {"periods": [start.isoformat() for start in starts], "fields": fields,
            "keys": [list(key) for key in keys], "values": values}


def _merged(a: dict, b: dict, counters: list[str]) -> dict:
    """Two per-key rows of one key group as one (periods in order, counts summed)."""
    sums: dict = {}
    for row in (a, b):
        for i, day in enumerate(row["periods"]):
            point = sums.setdefault(day, dict.fromkeys(counters, 0))
            for c in counters:
                point[c] += row[c][i] or 0
    days = sorted(sums)
    return {"periods": days, **{c: [sums[d][c] for d in days] for c in counters}}


def check_keys(keys: int, by: Iterable[str], first: datetime.date, last: datetime.date,
               period: str, measures: Iterable[str] = ()) -> None:
    """check_size for an answer of `keys` key groups."""
    points = (keys or 1) * len(periods(first, last, period))
    most = max_points(measures)
    if points > most:
        field = "by" if list(by) else "from"
        raise Invalid("the answer would be too large",
                      {field: [f"{points} points (key groups × periods) above "
                               f"{most}: group by less, ask fewer measures, a shorter "
                               "range or a longer period"]})


def times_asked(measures: Iterable[str]) -> bool:
    """Whether the answer holds a time (none asked: all are)."""
    asked = set(measures)
    return not asked or bool(asked & set(NO_TIMES))


def _fields(by: Iterable[str]) -> list[str]:
    return [DIMENSIONS[d] for d in DIMENSIONS if d in set(by)]


def _key(row: dict, fields: list[str]) -> tuple:
    return tuple(row.get(f) or None for f in fields)


def _keyer(fields: list[str]):
    """_key for these fields, made once (thousands of rows: one field is the common
    case and needs no generator)."""
    if len(fields) == 1:
        only = fields[0]
        return lambda row: (row.get(only) or None,)
    return lambda row: tuple(row.get(f) or None for f in fields)


def max_points(measures: Iterable[str] = ()) -> int:
    """The points one answer may hold: MAX_POINTS with every figure; with `measures`
    asked, as many values as that (at most FEW_MEASURES_POINTS points)."""
    asked = len(set(measures))
    every = len(COUNTERS) + len(NO_TIMES)
    if not asked or asked >= every:
        return MAX_POINTS
    return min(FEW_MEASURES_POINTS, MAX_POINTS * every // asked)


def check_size(rows: list[dict], by: Iterable[str], first: datetime.date,
               last: datetime.date, period: str, measures: Iterable[str] = ()) -> None:
    """Invalid when the answer would hold more than max_points(measures) points (every
    period for every key group found): naming `by` when grouped, else `from`."""
    key_of = _keyer(_fields(by))
    check_keys(len({key_of(r) for r in rows}), by, first, last, period, measures)


def backlog(base: list[dict], days: list[dict], field: str | None,
            first: datetime.date, last: datetime.date) -> list[dict]:
    """Open tickets at the end of each day (opened − finished, summed from the start of
    time) per key of `field` (kind or group_name; None: one line).  `base`: (key,
    open) before `first`; `days`: (day, key, change) within the range."""
    opening: dict = defaultdict(int)
    for r in base:
        opening[r.get(field) if field else None] += r["change"]
    change: dict = defaultdict(int)
    for r in days:
        change[(r["day"], r.get(field) if field else None)] += r["change"]
    keys = sorted((set(opening) | {k for _, k in change}) or ({None} if not field else set()),
                  key=lambda k: (k is not None, k or ""))
    out = []
    for key in keys:
        running = opening.get(key, 0)
        for day in periods(first, last, "day"):
            running += change.get((day, key), 0)
            out.append({"day": day, **({field: key or None} if field else {}),
                        "open": running})
    return out


# -- the check against the owner (R4) ------------------------------------------------------
CHECKED = ("created", "resolved", "closed", "cancelled", "reopened_tickets", "repeats",
           "response_breached", "resolution_breached")


def _day(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, kind, measure) where the two counts differ (a missing row counts 0)."""
    mine = {(_day(r["day"]), r["kind"]): r for r in ours}
    theirs = {(_day(r["day"]), r["kind"]): r for r in owner}
    out = []
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key, {}), theirs.get(key, {})
        for measure in CHECKED:
            if (a.get(measure) or 0) != (b.get(measure) or 0):
                out.append({"day": key[0], "kind": key[1], "measure": measure,
                            "ours": a.get(measure) or 0, "owner": b.get(measure) or 0})
    return out
