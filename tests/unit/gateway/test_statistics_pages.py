"""The console's statistics pages without a browser (issue 13): the page's query from
its filters, the report's points folded into a curve's totals and a table's rows (rates
and means pooled, never averaged), the ECharts option as plain JSON, and the templates
— hostile names shown as text, the curve's data in a JSON block (no inline script), a
part that did not answer saying 暂不可用, the menu item only for the figure readers."""
import datetime
import json
import re

import pytest
from werkzeug.datastructures import MultiDict

from services.common.identity import Principal
from services.common.zone import CHINA
from services.gateway.domain import statistics as figures
from services.gateway.pages import statistics as pages
from services.gateway.pages import web
from services.gateway.service import GatewayService
from services.report.contract import FIGURE_READERS
from services.vocabulary import ROLES

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TODAY = datetime.date(2026, 12, 7)


def render(template: str, roles=("supervisor",), **context) -> str:
    person = Principal("00000000-0000-0000-0000-000000000002", "li", frozenset(roles),
                       frozenset({"g1"}), 0)
    base = {"me": {"display_name": HOSTILE}, "principal": person, "csrf": "t0ken",
            "may": person.has_any, "path": "/stats"}
    return web.ENV.get_template(template).render(**{**base, **context})


# -- the query of a page --------------------------------------------------------------------
class TestPageQuery:
    def test_the_defaults_are_the_last_30_days_by_day_grouped_by_the_first_dimension(self):
        query = figures.page_query(MultiDict(), figures.TICKET_BY, TODAY)
        assert query == {"period": "day", "from": "2026-11-08", "to": "2026-12-07",
                         "by": "agent"}

    def test_a_longer_period_looks_further_back(self):
        query = figures.page_query(MultiDict({"period": "month"}), figures.CALL_BY, TODAY)
        assert query["from"] == (TODAY - datetime.timedelta(days=181)).isoformat()
        assert query["by"] == "queue"

    def test_unknown_choices_fall_back_and_days_are_passed_as_typed_but_bounded(self):
        query = figures.page_query(MultiDict({"period": "decade", "by": "weather",
                                              "from": "2026-13-45" + "x" * 50,
                                              "to": "2026-12-01"}), figures.TICKET_BY, TODAY)
        assert (query["period"], query["by"]) == ("day", "agent")
        assert query["from"] == "2026-13-45"  # the report service names it (400)
        assert query["to"] == "2026-12-01"

    def test_the_links_ask_the_same_query(self):
        link = figures.link_query({"period": "week", "from": "2026-11-01", "to": "2026-12-07",
                                   "by": "group"})
        assert link == "period=week&from=2026-11-01&to=2026-12-07&by=group"
        assert figures.link_query({"period": "day", "from": "a", "to": "b", "by": "agent"},
                                  by=False) == "period=day&from=a&to=b"


# -- curves and tables ---------------------------------------------------------------------
def point(period: str, key=None, field="agent_id", **counts) -> dict:
    return {"period": period, field: key, **counts}


class TestTicketFigures:
    POINTS = [point("2026-12-01", "a1", created=3, resolved=1, fcr=1, same_day=1,
                    response_mean=60.0),
              point("2026-12-01", "a2", created=1, resolved=2, fcr=0, same_day=2),
              point("2026-12-02", "a1", created=1, resolved=3, fcr=3, same_day=0,
                    response_mean=120.0, resolution_mean=3600.0),
              point("2026-12-02", None, created=0, resolved=0)]

    def test_a_curve_sums_every_key_of_each_period_in_order(self):
        totals = figures.per_period(reversed(self.POINTS), ("created", "resolved"))
        assert list(totals) == ["2026-12-01", "2026-12-02"]
        assert totals["2026-12-01"] == {"created": 4, "resolved": 3}
        assert totals["2026-12-02"] == {"created": 1, "resolved": 3}

    def test_a_row_per_agent_sums_the_periods_and_weights_the_means(self):
        rows = {r["key"]: r for r in figures.ticket_rows(self.POINTS, "agent")}
        assert set(rows) == {"a1", "a2"}  # the empty unassigned key is left out
        a1 = rows["a1"]
        assert (a1["created"], a1["resolved"], a1["fcr"], a1["same_day"]) == (4, 4, 4, 1)
        assert a1["response_mean"] == pytest.approx((60 * 3 + 120 * 1) / 4)
        assert a1["resolution_mean"] == pytest.approx(3600.0)  # the only resolved point
        assert a1["fcr_rate"] == pytest.approx(100.0)
        assert a1["same_day_rate"] == pytest.approx(25.0)
        assert rows["a2"]["response_mean"] is None and rows["a2"]["fcr_rate"] == 0.0
        assert [r["key"] for r in figures.ticket_rows(self.POINTS, "agent")] == ["a1", "a2"]

    def test_unassigned_tickets_keep_their_row_when_there_are_some(self):
        rows = figures.ticket_rows([point("2026-12-01", None, created=2)], "agent")
        assert [(r["key"], r["created"]) for r in rows] == [(None, 2)]

    def test_the_backlog_of_a_period_is_that_of_its_last_day(self):
        backlog = [{"day": f"2026-12-{d:02d}", "open": d * 10} for d in range(1, 16)]
        weeks = ["2026-11-30", "2026-12-07", "2026-12-14"]
        assert figures.backlog_by_period(weeks, backlog, "week") == [60, 130, 150]
        assert figures.backlog_by_period(["2026-11-01"], backlog, "month") == [None]


class TestCallFigures:
    POINTS = [point("2026-12-01", "q1", "queue", offered=10, answered=8, abandoned=2,
                    ring_seconds=80, avg_ring_seconds=10.0, talk_seconds=800,
                    avg_talk_seconds=100.0, outbound=4, outbound_answered=1),
              point("2026-12-02", "q1", "queue", offered=10, answered=2, abandoned=8,
                    ring_seconds=100, avg_ring_seconds=50.0, talk_seconds=600,
                    avg_talk_seconds=300.0, outbound=0, outbound_answered=0),
              point("2026-12-02", "q2", "queue", offered=0, answered=0, abandoned=0)]

    def test_rates_and_means_are_pooled_over_the_calls_not_averaged(self):
        row = figures.call_row(self.POINTS[:2], "q1")
        assert (row["offered"], row["answered"], row["abandoned"]) == (20, 10, 10)
        assert row["answer_rate"] == pytest.approx(50.0)  # not (80% + 20%) / 2 by luck:
        assert figures.call_row(self.POINTS[:1])["answer_rate"] == pytest.approx(80.0)
        assert row["avg_ring_seconds"] == pytest.approx(180 / (8 + 2))  # 18, not 30
        assert row["avg_talk_seconds"] == pytest.approx(1400 / (8 + 2))  # 140, not 200
        assert row["outbound_answer_rate"] == pytest.approx(25.0)

    def test_no_call_has_no_rate_nor_mean(self):
        row = figures.call_row([self.POINTS[2]], "q2")
        assert row["answer_rate"] is None and row["avg_ring_seconds"] is None
        assert figures.percent(row["answer_rate"]) == "—"

    def test_rows_by_queue_most_offered_first_and_by_hour_in_order(self):
        assert [r["key"] for r in figures.call_rows(self.POINTS, "queue")] == ["q1", "q2"]
        hours = [point("2026-12-01", h, "hour", offered=1) for h in (14, 9, 10)]
        assert [r["key"] for r in figures.call_rows(hours, "hour")] == [9, 10, 14]
        assert figures.hour_label(9) == "09:00–10:00" and figures.hour_label(23) == "23:00–00:00"


def test_durations_and_labels_in_chinese():
    assert [figures.span(s) for s in (None, 45, 192, 7500)] == \
        ["—", "45秒", "3分12秒", "2小时05分"]
    assert figures.period_label("2026-12-07", "day") == "12-07"
    assert figures.period_label("2026-12-07", "week") == "12-07周"
    assert figures.period_label("2026-12-01", "month") == "2026-12"


def test_as_of_today_is_a_time_an_earlier_day_has_its_date():
    now = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=CHINA)
    assert figures.as_of_label("2026-12-07T06:05:00+00:00", now, CHINA) == "截至 14:05"
    assert figures.as_of_label("2026-12-06T10:30:00+00:00", now, CHINA) == "截至 12-06 18:30"
    assert figures.as_of_label(None, now, CHINA) == "暂无数据"


def test_the_chart_option_is_plain_json_with_a_line_per_measure():
    option = figures.line_chart("工单趋势", ["2026-12-01", "2026-12-02"], "day",
                                [("新建", [4, 1]), ("积压", [None, 7])])
    assert json.loads(json.dumps(option)) == option  # nothing but data
    assert option["xAxis"]["data"] == ["12-01", "12-02"]
    assert [(s["name"], s["type"], s["data"]) for s in option["series"]] == \
        [("新建", "line", [4, 1]), ("积压", "line", [None, 7])]
    assert option["legend"]["data"] == ["新建", "积压"]


# -- templates ------------------------------------------------------------------------------
NOW = datetime.datetime(2026, 12, 7, 15, 0, tzinfo=CHINA)


def board(**parts) -> dict:
    shown = {"tickets": {"created": 3, "resolved": 1, "response_breached": 1,
                         "resolution_breached": 0, "as_of": "截至 14:59"},
             "backlog": {"open": 12, "as_of": "截至 14:59"},
             "calls": {**figures.call_row(TestCallFigures.POINTS[:1]), "as_of": "截至 14:58"},
             "followups": {"due": "2", "overdue": "0", "as_of": "截至 15:00"},
             "csat": {"csat": 75.0, "answers": 4, "as_of": "截至 15:00"}}
    shown.update(parts)
    missing = {name for name, value in shown.items() if value is None}
    return {"now": NOW, "shown": {"tickets", "backlog", "calls", "due", "overdue", "csat"},
            "missing_names": sorted(missing), **shown}


def test_the_board_shows_each_part_with_its_time():
    page = render("stats_board.html", **board())
    assert 'id="board-created">3<' in page and 'id="board-backlog">12<' in page
    assert 'id="board-breached">1<' in page and 'id="board-answer-rate">80.0%<' in page
    assert 'id="board-followups-due">2<' in page and 'id="board-csat-value">75.0%<' in page
    assert 'hx-get="/stats/board"' in page and 'hx-trigger="every 30s"' in page
    assert page.count("截至 ") >= 5 and "暂不可用" not in page


def test_a_part_that_did_not_answer_says_so_and_the_rest_is_shown():
    page = render("stats_board_part.html", **board(calls=None, csat=None))
    assert 'id="board-calls-unavailable">暂不可用<' in page
    assert 'id="board-csat-unavailable">暂不可用<' in page
    assert 'id="board-created">3<' in page and 'id="board-followups-due">2<' in page


def test_a_part_the_role_may_not_read_is_not_drawn():
    context = board()
    context["shown"] = {"tickets", "backlog"}
    page = render("stats_board_part.html", roles=("admin",), **context)
    assert "board-calls" not in page and "board-csat" not in page
    assert "board-followups" not in page


QUERY = {"period": "day", "from": "2026-12-01", "to": "2026-12-07", "by": "agent"}
EXPORTS = {"xlsx": "/stats/tickets/export?format=xlsx&" + figures.link_query(QUERY),
           "csv": "/x", "png": "/y"}


def test_trends_embed_the_curve_as_json_and_show_hostile_names_as_text():
    chart = figures.line_chart(HOSTILE, ["2026-12-01"], "day", [(HOSTILE, [1])])
    rows = figures.ticket_rows([point("2026-12-01", "a1", created=1)], "agent")
    rows[0]["label"] = HOSTILE
    page = render("stats_trends.html", query=QUERY, periods=figures.PERIODS,
                  dimensions=figures.TICKET_BY, chart=chart, rows=rows, error="", as_of="截至 1",
                  backlog_missing=False, span=figures.span, percent=figures.percent,
                  exports=EXPORTS)
    assert "<script>alert" not in page and "<img src=x" not in page
    block = re.search(r'<script type="application/json" id="trend-chart-data">(.*?)</script>',
                      page, re.S)
    assert block and json.loads(block[1])["series"][0]["name"] == HOSTILE
    # no script of the page's own but the vendored files and console.js (the CSP's 'self')
    sources = re.findall(r"<script(?![^>]*application/json)([^>]*)>", page)
    assert sources == [' src="/static/vendor/htmx-2.0.4.min.js"',
                       ' src="/static/vendor/echarts-5.5.1.min.js"',
                       ' src="/static/console.js"']
    assert 'href="/stats/tickets/export?format=xlsx&amp;period=day&amp;from=2026-12-01' in page


def test_calls_unavailable_draws_no_curve_and_says_so():
    page = render("stats_calls.html", query={**QUERY, "by": "queue"}, periods=figures.PERIODS,
                  dimensions=figures.CALL_BY, chart=None, rows=[], total=None,
                  error="暂不可用", as_of="", span=figures.span, percent=figures.percent,
                  exports=EXPORTS)
    assert 'id="stats-error">暂不可用<' in page and "data-chart" not in page
    assert "<th>队列</th><th>呼入</th><th>接通</th><th>接通率</th><th>放弃</th>" in page


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_menu_shows_statistics_only_to_figure_readers(role):
    page = render("workbench.html", roles=(role,), counts=None, mine=[], inbox=[], unread=0,
                  on_duty=None, missing=[])
    assert ('href="/stats"' in page) == (role in FIGURE_READERS)
    assert "echarts" not in page  # loaded by the statistics pages only


# -- the pages' folding and downloads ----------------------------------------------------------
def test_the_board_folds_each_answer_and_counts_follow_ups_beyond_a_page():
    shown = {"tickets": {"as_of": "2026-12-07T06:59:00+00:00", "series": [
                 {"period": "2026-12-07", "created": 3, "resolved": 1, "response_breached": 1,
                  "resolution_breached": 2}]},
             "backlog": {"as_of": None, "series": [{"day": "2026-12-07", "open": 5}]},
             "calls": {"as_of": "2026-12-07T06:58:00+00:00", "points": [
                 {"period": "2026-12-07", "offered": 4, "answered": 3, "abandoned": 1}]},
             "due": {"tasks": [{}] * 200, "next": "c"}, "overdue": {"tasks": [], "next": None},
             "csat": {"figures": [{"csat_answers": 4, "satisfied": 3}]}}
    board_figures = pages._board_figures(shown, NOW)
    assert board_figures["tickets"]["created"] == 3
    assert board_figures["tickets"]["as_of"] == "截至 14:59"
    assert board_figures["backlog"] == {"open": 5, "as_of": "暂无数据"}
    assert board_figures["calls"]["answer_rate"] == pytest.approx(75.0)
    assert board_figures["followups"]["due"] == "200+"
    assert board_figures["followups"]["overdue"] == "0"
    assert board_figures["csat"]["csat"] == pytest.approx(75.0)
    missing = pages._board_figures({**shown, "calls": None, "csat": None}, NOW)
    assert missing["calls"] is None and missing["csat"] is None
    assert missing["tickets"]["resolved"] == 1


def test_every_download_runs_an_api_route_allowing_the_pages_roles():
    routes = pages._api_routes(GatewayService)
    for console_path, api_path in pages.DOWNLOADS.items():
        assert console_path.removeprefix("/stats") == api_path.removeprefix("/api/v1/reports")
        assert routes[("GET", api_path)][1] == pages.READERS, api_path
