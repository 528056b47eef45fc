"""The console's statistics pages 统计 (issue 13), free of I/O: the query of a page from
its filters, the figures the report service answers folded into what a page shows —
totals per period for a curve, totals per key (座席, 组, 类型, 队列, 时段) for a table —
and the ECharts option of a curve (plain data: the page embeds it as JSON, console.js
draws it).

Rates and means of several points are pooled, never averaged: an answer rate is the
answered calls over the offered ones of every point; a call mean is its total seconds
over the calls behind it (each point's count is its total over its mean, whatever the
report service counts them by); a ticket time's mean is weighted by the tickets of its
point (created for the response, resolved for the resolution).
"""
import datetime
from collections.abc import Iterable
from urllib.parse import urlencode

PERIODS = {"day": "按日", "week": "按周", "month": "按月"}
TICKET_BY = {"agent": "座席", "group": "组", "kind": "类型"}
CALL_BY = {"queue": "队列", "agent": "座席", "hour": "时段"}
KEY_FIELD = {"agent": "agent_id", "group": "group_name", "kind": "kind", "queue": "queue",
             "hour": "hour"}
# How far back a page looks when no `from` is given, by period.
DEFAULT_DAYS = {"day": 30, "week": 12 * 7, "month": 182}
TICKET_COUNTS = ("created", "resolved", "fcr", "same_day", "response_breached",
                 "resolution_breached", "reopened", "repeats")
CALL_COUNTS = ("offered", "answered", "abandoned", "quick_hangups", "outbound",
               "outbound_answered", "online", "ring_seconds", "talk_seconds",
               "online_seconds")


def page_query(args, dimensions: dict, today: datetime.date) -> dict:
    """{period, from, to, by} of a page from its query string: an unknown period or
    grouping is the default, missing days the last weeks; days as typed (at most 10
    characters) — the report service refuses a bad one, naming it."""
    period = str(args.get("period") or "day")[:10]
    period = period if period in PERIODS else "day"
    by = str(args.get("by") or "")[:20]
    by = by if by in dimensions else next(iter(dimensions))
    to = str(args.get("to") or "")[:10] or today.isoformat()
    start = today - datetime.timedelta(days=DEFAULT_DAYS[period] - 1)
    first = str(args.get("from") or "")[:10] or start.isoformat()
    return {"period": period, "from": first, "to": to, "by": by}


def link_query(query: dict, by: bool = True) -> str:
    """The page's query as a query string (export links ask the same; a curve's link
    without the grouping: the page's curve is the totals)."""
    asked = {"period": query["period"], "from": query["from"], "to": query["to"]}
    return urlencode({**asked, "by": query["by"]} if by else asked)


def _day(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(
        str(value)[:10])


def period_label(value, period: str) -> str:
    """12-07 (a day), 12-07周 (the ISO week from that Monday), 2026-12 (a month)."""
    day = _day(value)
    if period == "month":
        return day.strftime("%Y-%m")
    return day.strftime("%m-%d") + ("周" if period == "week" else "")


def _period_of(point: dict) -> str:
    return str(point.get("period") or "")[:10]


def per_period(points: Iterable[dict], measures: Iterable[str]) -> dict[str, dict]:
    """{period: {measure: total}} over every key of each period, periods in order."""
    measures = tuple(measures)
    totals: dict[str, dict] = {}
    for point in points:
        into = totals.setdefault(_period_of(point), dict.fromkeys(measures, 0))
        for measure in measures:
            into[measure] += point.get(measure) or 0
    return dict(sorted(totals.items()))


def backlog_by_period(periods: Iterable[str], backlog: Iterable[dict],
                      period: str) -> list[int | None]:
    """The open tickets at the end of each period: the backlog of the period's last day
    within the answer (None for a period with no day of it)."""
    days = sorted((str(p["day"])[:10], p.get("open") or 0) for p in backlog)
    starts = list(periods)
    out: list[int | None] = []
    for start in starts:
        end = next_period(start, period)
        inside = [n for day, n in days if start <= day < end]
        out.append(inside[-1] if inside else None)
    return out


def next_period(start: str, period: str) -> str:
    """The first day of the period after the one starting on `start`."""
    day = _day(start)
    if period == "month":
        return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1).isoformat()
    return (day + datetime.timedelta(days=7 if period == "week" else 1)).isoformat()


def _weighted(pairs: list[tuple[float | None, int]]) -> float | None:
    weight = sum(w for mean, w in pairs if mean is not None and w)
    if not weight:
        return None
    return sum(mean * w for mean, w in pairs if mean is not None and w) / weight


def ticket_rows(points: Iterable[dict], by: str) -> list[dict]:
    """One row per key (the grouped dimension's value; None: none, e.g. not assigned):
    counters summed over the periods, response and resolution means weighted, the
    first-contact and same-day shares of the resolved.  Most created first."""
    field = KEY_FIELD[by]
    rows: dict = {}
    for point in points:
        key = point.get(field)
        row = rows.setdefault(key, {"key": key, **dict.fromkeys(TICKET_COUNTS, 0),
                                    "_response": [], "_resolution": []})
        for measure in TICKET_COUNTS:
            row[measure] += point.get(measure) or 0
        row["_response"].append((point.get("response_mean"), point.get("created") or 0))
        row["_resolution"].append((point.get("resolution_mean"), point.get("resolved") or 0))
    shown = []
    for row in rows.values():
        row["response_mean"] = _weighted(row.pop("_response"))
        row["resolution_mean"] = _weighted(row.pop("_resolution"))
        row["fcr_rate"] = share(row["fcr"], row["resolved"])
        row["same_day_rate"] = share(row["same_day"], row["resolved"])
        if any(row[m] for m in TICKET_COUNTS) or row["key"] is not None:
            shown.append(row)
    return sorted(shown, key=lambda r: (-r["created"], -r["resolved"], str(r["key"] or "")))


def _pooled(points: list[dict], total: str, mean: str) -> float | None:
    """A mean over several points: their totals over the counts behind them (each
    point's count: its total over its mean)."""
    seconds = count = 0.0
    for point in points:
        value, average = point.get(total) or 0, point.get(mean)
        if value and average:
            seconds += value
            count += value / average
    return seconds / count if count else None


def call_row(points: list[dict], key=None) -> dict:
    """The totals of some call points: counters summed, rates and means pooled."""
    row: dict = {"key": key, **dict.fromkeys(CALL_COUNTS, 0)}
    for point in points:
        for measure in CALL_COUNTS:
            row[measure] += point.get(measure) or 0
    row["answer_rate"] = share(row["answered"], row["offered"])
    row["outbound_answer_rate"] = share(row["outbound_answered"], row["outbound"])
    row["avg_ring_seconds"] = _pooled(points, "ring_seconds", "avg_ring_seconds")
    row["avg_talk_seconds"] = _pooled(points, "talk_seconds", "avg_talk_seconds")
    return row


def call_rows(points: Iterable[dict], by: str) -> list[dict]:
    """One row per queue, agent or hour of the day; hours in order, else most offered
    first."""
    field = KEY_FIELD[by]
    grouped: dict = {}
    for point in points:
        grouped.setdefault(point.get(field), []).append(point)
    rows = [call_row(group, key) for key, group in grouped.items()]
    if by == "hour":
        return sorted(rows, key=lambda r: (r["key"] is None, r["key"] or 0))
    return sorted(rows, key=lambda r: (-r["offered"], -r["answered"], str(r["key"] or "")))


def share(part: float, whole: float) -> float | None:
    """part / whole as a percentage (None when there is no whole)."""
    return 100.0 * part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def span(seconds: float | None) -> str:
    """A duration in Chinese words: 45秒, 3分12秒, 2小时05分."""
    if seconds is None:
        return "—"
    total = int(round(seconds))
    if total < 60:
        return f"{total}秒"
    if total < 3600:
        return f"{total // 60}分{total % 60:02d}秒"
    return f"{total // 3600}小时{total % 3600 // 60:02d}分"


def hour_label(hour) -> str:
    """09:00–10:00"""
    if hour is None or hour == "":
        return "（无）"
    hour = int(hour)
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def line_chart(title: str, periods: list[str], period: str,
               lines: list[tuple[str, list]]) -> dict:
    """An ECharts option: one line per (name, values) over the periods, a legend, an
    axis tooltip; no function in it (it travels as JSON)."""
    return {
        "title": {"text": title, "left": 8, "top": 4,
                  "textStyle": {"fontSize": 14, "fontWeight": "normal"}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 4, "right": 8, "data": [name for name, _ in lines]},
        "grid": {"left": 48, "right": 24, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "boundaryGap": False,
                  "data": [period_label(p, period) for p in periods]},
        "yAxis": {"type": "value", "minInterval": 1},
        "animation": False,
        "series": [{"name": name, "type": "line", "data": list(values), "showSymbol": True,
                    "connectNulls": False} for name, values in lines],
    }


def as_of_label(as_of, now: datetime.datetime, zone) -> str:
    """截至 14:05 (today in China) or 截至 12-06 18:30 (an earlier day); 暂无数据
    when nothing was counted yet."""
    if not as_of:
        return "暂无数据"
    moment = as_of if isinstance(as_of, datetime.datetime) \
        else datetime.datetime.fromisoformat(str(as_of))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return "截至 " + local.strftime("%H:%M")
    return "截至 " + local.strftime("%m-%d %H:%M")
