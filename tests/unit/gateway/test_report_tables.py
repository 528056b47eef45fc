"""R3: report answers as tables and curves (services/gateway/domain/report_tables.py) —
Chinese headers, the key columns of the grouping asked, cells typed (dates as dates,
counters as ints, times and rates as floats, nothing as None), file names of the report
and its days; a chart's lines per measure and key group, at most 12 (more: Invalid
naming `by`, or `measure` when not grouped)."""
import datetime

import pytest

from services.common.errors import Invalid
from services.gateway.contract.report_files import (
    BACKLOG_MEASURES,
    CALL_MEASURES,
    TICKET_MEASURES,
)
from services.gateway.domain import report_tables as tables
from services.report.contract.calls import CallPoint
from services.report.contract.figures import BacklogPoint, FigurePoint

DEC1, DEC2 = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)
QUERY = {"from": "2026-12-01", "to": "2026-12-02", "period": "day", "by": ["kind", "group"]}


def ticket_point(day: str, kind: str, group: str | None, created: int, **more) -> dict:
    point = {name: 0 for name in TICKET_MEASURES if not name.startswith(("response_p",
                                                                          "response_m",
                                                                          "resolution_p",
                                                                          "resolution_m"))}
    point.update({"period": day, "kind": kind, "group_name": group, "created": created,
                  "response_p50": None, "response_p90": None, "response_mean": None,
                  "resolution_p50": 120.5, "resolution_p90": 600.0,
                  "resolution_mean": 200.25, **more})
    return point


def call_point(day: str, **more) -> dict:
    return {"period": day, "offered": 10, "answered": 8, "abandoned": 2, "answer_rate": 0.8,
            "ring_seconds": 80, "talk_seconds": 1600, "avg_ring_seconds": 10.0,
            "avg_talk_seconds": 200.0, "quick_hangups": 1, "outbound": 3,
            "outbound_answered": 2, "outbound_answer_rate": 0.6667, "online": 4,
            "online_seconds": 900, **more}


def test_r3_every_numeric_field_of_each_answer_is_a_column_and_a_chart_measure():
    """A field added to a point shows in the files and may be drawn, or this fails."""
    numeric = {name for name, field in FigurePoint().fields.items()
               if type(field).__name__ in ("Integer", "Float")}
    assert {c.field for c in tables.TICKETS.measures} == numeric == set(TICKET_MEASURES)
    backlog = {n for n, f in BacklogPoint().fields.items() if type(f).__name__ == "Integer"}
    assert {c.field for c in tables.BACKLOG.measures} == backlog == set(BACKLOG_MEASURES)
    calls = {name for name, field in CallPoint().fields.items()
             if type(field).__name__ in ("Integer", "Float")} - {"hour"}
    assert {c.field for c in tables.CALLS.measures} == calls == set(CALL_MEASURES)
    for report in (tables.TICKETS, tables.BACKLOG, tables.CALLS):
        titles = [c.title for c in (report.period, *report.keys.values(), *report.measures)]
        assert len(set(titles)) == len(titles), report.name
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles), titles


def test_r3_ticket_table_has_chinese_headers_the_grouped_keys_and_typed_cells():
    answer = {"as_of": None, "series": [ticket_point("2026-12-01", "after_sales", "g1", 3),
                                        ticket_point("2026-12-02", "complaint", None, 0)]}
    table = tables.table(tables.TICKETS, answer, QUERY)
    assert table.header[:5] == ["日期", "类型", "组", "新建", "已解决"]
    assert "座席" not in table.header and "分类" not in table.header  # not grouped by
    assert "平均解决时长(秒)" in table.header and len(table.header) == 3 + len(TICKET_MEASURES)
    first, second = table.rows
    assert first[:4] == (DEC1, "after_sales", "g1", 3)
    assert isinstance(first[0], datetime.date) and type(first[3]) is int
    assert second[:3] == (DEC2, "complaint", None)
    resolution_mean = table.header.index("平均解决时长(秒)")
    assert first[resolution_mean] == 200.25 and type(first[resolution_mean]) is float
    assert first[table.header.index("响应时长P50(秒)")] is None
    assert table.filename == "工单统计-2026-12-01-2026-12-02"
    assert table.ascii_filename == "tickets-2026-12-01-2026-12-02"


def test_r3_key_columns_follow_the_reports_order_whatever_the_query_says():
    answer = {"series": [ticket_point("2026-12-01", "after_sales", "g1", 1, agent_id="a1")]}
    table = tables.table(tables.TICKETS, answer, {**QUERY, "by": ["agent", "group", "kind"]})
    assert table.header[:4] == ["日期", "类型", "组", "座席"]
    assert table.rows[0][:4] == (DEC1, "after_sales", "g1", "a1")
    flat = tables.table(tables.TICKETS, answer, {**QUERY, "by": []})
    assert flat.header[:2] == ["日期", "新建"]


def test_r3_backlog_and_call_tables():
    backlog = tables.table(tables.BACKLOG, {"series": [
        {"day": "2026-12-01", "group_name": "g1", "open": 7}]},
        {"from": "2026-12-01", "to": "2026-12-01", "by": "group"})  # one grouping: a name
    assert backlog.header == ["日期", "组", "未结"]
    assert backlog.rows == [(DEC1, "g1", 7)]
    assert backlog.filename == "未结工单-2026-12-01-2026-12-01"
    calls = tables.table(tables.CALLS, {"from": "2026-12-01", "to": "2026-12-01",
                                        "period": "day", "points": [
                                            call_point("2026-12-01", queue="q1", hour=9)]},
                         {"from": "2026-12-01", "to": "2026-12-01", "by": ["hour", "queue"]})
    assert calls.header[:7] == ["日期", "队列", "时段", "呼入", "接通", "放弃", "接通率"]
    assert {"速挂", "外呼", "外呼接通", "在线会话"} <= set(calls.header)
    row = dict(zip(calls.header, calls.rows[0], strict=True))
    assert row["时段"] == 9 and row["接通率"] == 0.8 and row["速挂"] == 1
    assert calls.filename == "话务报表-2026-12-01-2026-12-01"


def test_r3_a_chart_has_a_line_per_key_group_and_measure_in_the_key_order():
    answer = {"series": [ticket_point(d, "after_sales", g, n, resolved=n - 1)
                         for d, g, n in (("2026-12-01", "g2", 2), ("2026-12-01", "g1", 5),
                                         ("2026-12-02", "g2", 3), ("2026-12-02", "g1", 6),
                                         ("2026-12-02", None, 1))]}
    chart = tables.chart(tables.TICKETS, answer, {**QUERY, "by": ["group"]},
                         ["created", "resolved"])
    assert chart.title == "工单趋势（2026-12-01 至 2026-12-02）"
    assert (chart.xlabel, chart.ylabel) == ("日期", "数量")
    assert [line.label for line in chart.lines] == [
        "g1 · 新建", "g1 · 已解决", "g2 · 新建", "g2 · 已解决", "（无） · 新建", "（无） · 已解决"]
    assert chart.lines[0].points == [(DEC1, 5), (DEC2, 6)]
    assert chart.lines[3].points == [(DEC1, 1), (DEC2, 2)]
    alone = tables.chart(tables.TICKETS, answer, {**QUERY, "by": []}, ["resolution_mean"])
    assert alone.ylabel == "秒" and alone.lines[0].label == "平均解决时长(秒)"


def test_r3_call_chart_labels_hours_and_rates():
    answer = {"points": [call_point("2026-12-01", hour=9), call_point("2026-12-01", hour=10)]}
    chart = tables.chart(tables.CALLS, answer, {**QUERY, "by": ["hour"]}, ["answer_rate"])
    assert [line.label for line in chart.lines] == ["9时", "10时"]
    assert chart.ylabel == "比率" and chart.title.startswith("话务趋势")


@pytest.mark.parametrize("by,measures,field", [
    (["agent"], ["created"], "by"),         # 13 agents
    (["agent"], ["created", "closed"], "by"),
    ([], list(TICKET_MEASURES[:13]), "measure"),
])
def test_r3_more_than_twelve_lines_is_invalid_naming_the_cause(by, measures, field):
    points = [ticket_point("2026-12-01", "after_sales", "g1", 1, agent_id=f"agent-{n}")
              for n in range(13)]
    answer = {"series": points if by else points[:1]}
    with pytest.raises(Invalid) as refused:
        tables.chart(tables.TICKETS, answer, {**QUERY, "by": by}, measures)
    assert list(refused.value.fields) == [field]
    six = {"series": points[:6]}  # 6 agents × 2 measures: 12 lines, drawn
    assert len(tables.chart(tables.TICKETS, six, {**QUERY, "by": ["agent"]},
                            ["created", "closed"]).lines) == 12


def test_r3_a_chart_of_no_measure_is_invalid():
    with pytest.raises(Invalid) as refused:
        tables.chart(tables.TICKETS, {"series": []}, QUERY, [])
    assert list(refused.value.fields) == ["measure"]
