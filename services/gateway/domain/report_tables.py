"""Report answers as tables and curves (issue 13, R3), free of I/O.

A table is what both files of one answer hold (handlers/report_files.py writes them):
a header row of Chinese column names, then one row per point, each cell typed — a
period as a date, a counter as an int, a time or a rate as a float, a key as its text,
nothing as None (an empty cell).  The key columns are those the query grouped by (a
point has no other), then every measure of the answer's points, in its schema's order.
Key values stay the codes and ids the JSON answer carries, so a file reads back equal
to it.

A chart is one line per measure and key group over the periods (handlers/report_charts
draws it), titled with its days.  The measures it may draw are named in
contract/report_files.py (the query is validated there); each is a column here.  At
most MAX_LINES lines (as many as services/common/charts draws): more is Invalid naming
`by` when the query was grouped (too many key groups), else `measure`.
"""
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from services.common.errors import Invalid

MAX_LINES = 12
NO_KEY = "（无）"  # a key group with no value, e.g. tickets nobody is assigned to

DATE, TEXT, INT, NUMBER = "date", "text", "int", "number"


@dataclass(frozen=True)
class Column:
    field: str
    title: str
    kind: str  # DATE, TEXT, INT or NUMBER: how a cell is written


@dataclass(frozen=True)
class Report:
    """What one kind of answer is called and how it reads: its key columns by the
    grouping that adds each, its measures."""

    name: str        # the file name's stem and the sheet's name: 工单统计
    slug: str        # the file name's ASCII stem, for clients that ignore filename*
    chart_title: str
    period: Column   # the field naming the period of a point
    keys: dict[str, Column]  # grouping (the query's `by`) -> its column
    measures: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    name: str
    filename: str  # without the extension: 工单统计-2026-12-01-2026-12-07
    ascii_filename: str
    columns: tuple[Column, ...]
    rows: list[tuple]

    @property
    def header(self) -> list[str]:
        return [column.title for column in self.columns]


@dataclass(frozen=True)
class Line:
    label: str
    points: list[tuple[datetime.date, float | None]]


@dataclass(frozen=True)
class Chart:
    title: str
    xlabel: str
    ylabel: str
    lines: list[Line]


def _counters(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(field, title, INT) for field, title in pairs)


def _numbers(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(field, title, NUMBER) for field, title in pairs)


TICKETS = Report(
    "工单统计", "tickets", "工单趋势", Column("period", "日期", DATE),
    keys={"kind": Column("kind", "类型", TEXT), "category": Column("category_id", "分类", TEXT),
          "channel": Column("channel", "渠道", TEXT), "group": Column("group_name", "组", TEXT),
          "agent": Column("agent_id", "座席", TEXT)},
    measures=_counters(
        ("created", "新建"), ("resolved", "已解决"), ("closed", "已关闭"),
        ("cancelled", "已撤销"), ("reopened", "重新打开"), ("repeats", "重复工单"),
        ("response_breached", "响应超时"), ("resolution_breached", "解决超时"),
        ("same_day", "当日解决"), ("fcr", "一次性解答"), ("opened", "转入未结"),
        ("finished", "办结")) + _numbers(
        ("response_p50", "响应时长P50(秒)"), ("response_p90", "响应时长P90(秒)"),
        ("response_mean", "平均响应时长(秒)"), ("resolution_p50", "解决时长P50(秒)"),
        ("resolution_p90", "解决时长P90(秒)"), ("resolution_mean", "平均解决时长(秒)")))

BACKLOG = Report(
    "未结工单", "backlog", "未结工单趋势", Column("day", "日期", DATE),
    keys={"kind": Column("kind", "类型", TEXT), "group": Column("group_name", "组", TEXT)},
    measures=_counters(("open", "未结")))

CALLS = Report(
    "话务报表", "calls", "话务趋势", Column("period", "日期", DATE),
    keys={"queue": Column("queue", "队列", TEXT), "agent": Column("agent_id", "座席", TEXT),
          "hour": Column("hour", "时段", INT)},
    measures=_counters(("offered", "呼入"), ("answered", "接通"), ("abandoned", "放弃")) + (
        Column("answer_rate", "接通率", NUMBER),) + _counters(
        ("ring_seconds", "振铃时长(秒)"), ("talk_seconds", "通话时长(秒)")) + _numbers(
        ("avg_ring_seconds", "平均振铃时长(秒)"), ("avg_talk_seconds", "平均通话时长(秒)")) + (
        _counters(("quick_hangups", "速挂"), ("outbound", "外呼"),
                  ("outbound_answered", "外呼接通"))) + (
        Column("outbound_answer_rate", "外呼接通率", NUMBER),) + _counters(
        ("online", "在线会话"), ("online_seconds", "在线时长(秒)")))



def grouped_by(by) -> list[str]:
    """The query's grouping as a list, whichever way it came (a list, one name, none)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def table(report: Report, answer: dict, query: dict) -> Table:
    """The answer of `query` (as sent: JSON, dates as text) as a table: the period, the
    key columns grouped by (in the report's order), every measure."""
    wanted = set(grouped_by(query.get("by")))
    keys = tuple(column for name, column in report.keys.items() if name in wanted)
    columns = (report.period, *keys, *report.measures)
    rows = [tuple(cell(column, point.get(column.field)) for column in columns)
            for point in _points(answer)]
    span = f"{query['from']}-{query['to']}"
    return Table(report.name, f"{report.name}-{span}", f"{report.slug}-{span}", columns, rows)


def _points(answer: dict) -> list[dict]:
    return answer.get("series", answer.get("points")) or []


def cell(column: Column, value):
    """One value of the answer (JSON) typed for its column; None stays None."""
    if value is None:
        return None
    if column.kind == DATE:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(
            str(value)[:10])
    if column.kind == INT:
        return int(value)
    if column.kind == NUMBER:
        return float(value)
    return str(value)


def chart(report: Report, answer: dict, query: dict, measures: Iterable[str]) -> Chart:
    """A line per measure and key group over the answer's periods (a period with no
    value: a gap).  More than MAX_LINES lines: Invalid naming `by` (grouped) or `measure`."""
    names = {column.field: column for column in report.measures}
    chosen = [names[m] for m in dict.fromkeys(measures)]  # unknown: the contract refused it
    if not chosen:
        raise Invalid("no measure to draw", {"measure": ["name at least one measure"]})
    wanted = set(grouped_by(query.get("by")))
    keys = [column for name, column in report.keys.items() if name in wanted]
    groups: dict[tuple, list[dict]] = {}
    for point in _points(answer):
        groups.setdefault(tuple(point.get(k.field) for k in keys), []).append(point)
    if len(groups) * len(chosen) > MAX_LINES:
        field = "by" if keys else "measure"
        raise Invalid("too many lines for one chart", {field: [
            f"{len(groups) * len(chosen)} lines (key groups × measures); at most {MAX_LINES}:"
            " narrow the filters or the grouping"]})
    lines = []
    for key, points in sorted(groups.items(), key=lambda item: _order(item[0])):
        for measure in chosen:
            lines.append(Line(_label(keys, key, measure, len(chosen) > 1), [
                (cell(report.period, p[report.period.field]), cell(measure, p.get(measure.field)))
                for p in points]))
    title = f"{report.chart_title}（{query['from']} 至 {query['to']}）"
    return Chart(title, report.period.title, _unit(chosen), lines)


def _order(key: tuple) -> tuple:
    """Key groups in order: numbers (hours) as numbers, text as text, none last."""
    return tuple((value is None, value if isinstance(value, int) else 0, str(value))
                 for value in key)


def _label(keys: list[Column], key: tuple, measure: Column, several: bool) -> str:
    parts = [NO_KEY if value is None else f"{value}时" if column.field == "hour"
             else str(value) for column, value in zip(keys, key, strict=True)]
    if several or not parts:
        parts.append(measure.title)
    return " · ".join(parts)


def _unit(measures: list[Column]) -> str:
    """The y axis: 秒 when every measure is a time, 比率 when every one a rate, 数量 when
    every one a count, else 数值."""
    if all("秒" in m.title for m in measures):
        return "秒"
    if all(m.field.endswith("_rate") for m in measures):
        return "比率"
    if all(m.kind == INT and "秒" not in m.title for m in measures):
        return "数量"
    return "数值"
