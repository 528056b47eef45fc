"""The console's figure tables (issue 13): the report's rows — one per period and key —
folded into one line per key over the range (counts summed, rates made again from the
summed counts, never averaged), money and time shown in Chinese units, the template
with hostile names as text, a part that did not answer saying so, and the tabs a role
may open."""
import re

import pytest

from services.common.identity import Principal
from services.gateway.domain import stat_tables as tables
from services.gateway.domain import statistics as figures
from services.gateway.pages import statistics as pages
from services.gateway.pages import web
from services.report import contract as report_contract
from services.report.contract import field as field_contract
from services.report.contract import ivr_campaigns as ivr_campaign_contract
from services.report.contract import notifications as notification_contract
from services.report.contract import survey as survey_contract

HOSTILE = '<script>alert("x")</script>'
QUERY = {"period": "day", "from": "2026-12-01", "to": "2026-12-07", "by": "agent"}


def answer(columns: list[str], rows: list[list]) -> dict:
    return {"from": "2026-12-01", "to": "2026-12-07", "period": "day", "as_of": None,
            "columns": columns, "rows": rows}


class TestSummed:
    def test_rates_are_made_again_from_the_summed_counts_not_averaged(self):
        table = tables.TABLES["followups"]
        columns = ["period", "agent_id", "created", "due", "done", "reached", "unreachable",
                   "missed", "done_on_time", "on_time_rate"]
        found = answer(columns, [
            ["2026-12-01", "a1", 1, 1, 1, 1, 0, 0, 1, 1.0],
            ["2026-12-02", "a1", 3, 3, 3, 2, 1, 1, 0, 0.0],
            ["2026-12-01", "a2", 0, 0, 0, 0, 0, 0, 0, None]])
        rows = tables.summed(found, table, "agent")
        assert [(r["key"], r["done"], r["done_on_time"]) for r in rows] == \
            [("a1", 4, 1), ("a2", 0, 0)]
        assert rows[0]["on_time_rate"] == 25.0  # 1 of 4, not the mean of 100% and 0%
        assert rows[1]["on_time_rate"] is None
        assert tables.total(rows, table)["on_time_rate"] == 25.0

    def test_csat_and_nps_pool_the_answers(self):
        table = tables.TABLES["satisfaction"]
        columns = ["period", "agent_id", "answers", "csat_answers", "satisfied", "csat",
                   "nps_answers", "promoters", "detractors", "passives", "nps"]
        found = answer(columns, [["2026-12-01", "a1", 4, 4, 3, 75.0, 2, 2, 0, 0, 100.0],
                                 ["2026-12-02", "a1", 4, 4, 1, 25.0, 2, 0, 1, 1, -50.0]])
        [row] = tables.summed(found, table, "agent")
        assert (row["csat"], row["nps"]) == (50.0, 25.0)

    def test_an_ungrouped_answer_is_one_line(self):
        table = tables.TABLES["notifications"]
        columns = ["period", "sent", "delivered", "undelivered", "failed", "skipped",
                   "delivery_rate", "failure_rate"]
        found = answer(columns, [["2026-12-01", 10, 8, 1, 0, 2, 0.8, 0.1],
                                 ["2026-12-02", 10, 4, 0, 10, 0, 0.4, 0.5]])
        [row] = tables.summed(found, table, "template")
        assert (row["sent"], row["delivered"], row["failed"]) == (20, 12, 10)
        assert row["delivery_rate"] == 60.0 and row["failure_rate"] == pytest.approx(36.7, 0.01)

    def test_the_biggest_customers_are_counted_over_at_most_92_days(self):
        assert tables.top_from("2026-06-01", "2026-12-07") == "2026-09-07"
        assert tables.top_from("2026-12-01", "2026-12-07") == "2026-12-01"
        assert tables.top_from("yesterday", "2026-12-07") == "yesterday"  # the report names it

    def test_money_time_and_rates_are_shown_in_chinese_units(self):
        assert tables.shown(123456, "fen") == "¥1,234.56"
        assert tables.shown(90, "minutes") == "1.5 小时"
        assert tables.shown(None, "percent") == "—" and tables.shown(12.34, "percent") == "12.3%"
        assert tables.shown(-50.0, "score") == "-50.0" and tables.shown(1200, "count") == "1,200"


class TestContracts:
    """Every table reads an operation of the report's contract, its groupings are that
    operation's, and its counted columns are in the answer's rows."""

    QUERIES = {"field": field_contract.DIMENSIONS,
               "followups": survey_contract.FOLLOWUP_DIMENSIONS,
               "satisfaction": survey_contract.SATISFACTION_DIMENSIONS,
               "notifications": notification_contract.DIMENSIONS,
               "ivr": ivr_campaign_contract.OFFER_DIMENSIONS}

    @pytest.mark.parametrize("slug", sorted(tables.TABLES))
    def test_the_table_matches_its_report_operation(self, slug):
        table = tables.TABLES[slug]
        operation = report_contract.CONTRACT.operation(table.operation)
        assert operation is not None
        assert set(table.dimensions) == set(self.QUERIES[slug])
        assert set(table.key_columns) == set(table.dimensions)


def render(roles=("supervisor",), **context) -> str:
    person = Principal("00000000-0000-0000-0000-000000000002", "li", frozenset(roles),
                       frozenset({"g1"}), 0)
    base = {"me": {"display_name": "李"}, "principal": person, "csrf": "t0ken",
            "may": person.has_any, "path": "/stats/field",
            "tabs": [("/stats", "今日看板"), ("/stats/field", "外勤与费用")]}
    return web.ENV.get_template("stats_table.html").render(**{**base, **context})


def test_the_table_shows_hostile_names_as_text_and_the_biggest_customers():
    table = tables.TABLES["field"]
    rows = [{"key": "s1", "label": HOSTILE, "dispatched": 2, "handled": 1, "late": 0,
             "minutes": 90, "parts": 3, "fee_fen": 15000, "paid_fen": 10000}]
    page = render(table=table, query={**QUERY, "by": "staff"}, periods=figures.PERIODS,
                  dimensions=table.dimensions, rows=rows, total=tables.total(rows, table),
                  chart=figures.line_chart("外勤", ["2026-12-01"], "day", [("派工", [2])]),
                  as_of="截至 1", error="", shown=tables.shown,
                  customers=[{"customer_id": "c0ffee00-aaaa", "tickets": 7, "field_jobs": 2}],
                  customers_error="", top_span=("2026-12-01", "2026-12-07"))
    assert "<script>alert" not in page
    assert "<th>外勤人员</th><th>派工</th><th>完工</th>" in page
    assert "¥150.00" in page and "1.5 小时" in page
    assert 'href="/customers/c0ffee00-aaaa"' in page and 'class="tickets">7<' in page
    assert 'aria-current="page"' in page
    assert re.search(r'id="table-chart-data">\{', page)


def test_a_table_whose_report_did_not_answer_says_so():
    table = tables.TABLES["notifications"]
    page = render(table=table, query={**QUERY, "by": "channel"}, periods=figures.PERIODS,
                  dimensions=table.dimensions, rows=[], total=None, chart=None, as_of="",
                  error="暂不可用", shown=tables.shown, customers=None, customers_error="")
    assert 'id="stats-error">暂不可用<' in page and "data-chart" not in page
    assert "服务次数最多的客户" not in page


class Visit:
    def __init__(self, roles):
        self.roles = frozenset(roles)

    def may(self, roles) -> bool:
        return bool(self.roles & set(roles))


@pytest.mark.parametrize("role, expected", [
    ("agent", {"/stats/followups", "/stats/satisfaction", "/stats/ivr"}),
    ("field", {"/stats/field"}),
    ("manager", {"/stats/field", "/stats/followups", "/stats/satisfaction",
                 "/stats/notifications", "/stats/ivr"})])
def test_the_tabs_are_the_pages_the_role_may_read(role, expected):
    found = {href for href, _ in pages.tabs(Visit([role]))}
    boards = {"/stats", "/stats/trends", "/stats/calls"}
    assert found - boards == expected
    assert (boards <= found) == (role in pages.READERS)
    assert not found & boards or boards <= found
