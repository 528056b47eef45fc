"""R3: every report answer as CSV and XLSX (services/gateway/handlers/report_files.py,
report_file_routes.py) — CSV in UTF-8 with a byte-order mark; XLSX with Chinese headers,
numbers as numbers and dates as dates (read back by openpyxl and python-calamine, the two
readers of the house), written through a temporary file that is gone once sent; the
file named for the report and its days (RFC 5987); the query validated by the report
operation's own schema plus `format` before any call (a bad field: 400 naming it); the
routes have the roles of the JSON routes and are in the OpenAPI document."""
import csv
import datetime
import importlib
import io
import os
from urllib.parse import quote

import openpyxl
import pytest
from marshmallow import ValidationError
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from python_calamine import CalamineWorkbook
from werkzeug.test import EnvironBuilder

from services.gateway import http, openapi
from services.gateway import report_file_routes as routes_module
from services.gateway.domain import report_tables as tables
from services.gateway.handlers import report_files
from services.report import contract as report
from tests.unit.gateway.test_report_tables import call_point, ticket_point

Gateway = importlib.import_module("services.gateway.service").GatewayService
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEC1 = datetime.date(2026, 12, 1)
ANSWER = {"as_of": "2026-12-07T10:00:00+08:00", "series": [
    ticket_point("2026-12-01", "after_sales", "g1", 3, resolved=2),
    ticket_point("2026-12-01", "complaint", "=HYPERLINK(\"x\")", 1),
    ticket_point("2026-12-02", "after_sales", None, 0, resolution_mean=None)]}
CALLS = {"from": "2026-12-01", "to": "2026-12-01", "period": "day", "as_of": None,
         "quick_hangup_seconds": 5,
         "points": [call_point("2026-12-01", queue="q1"), call_point("2026-12-01", queue=None)]}


class FakeGateway:
    report = type("Report", (), {name: f"report.{name}" for name in (
        "ticket_figures", "ticket_backlog", "call_figures")})()
    deadline = 5.0


@pytest.fixture
def asked(monkeypatch):
    """The RPCs the routes make; each answers what `answers` holds for it."""
    made: list = []
    answers = {"ticket_figures": ANSWER, "call_figures": CALLS,
               "ticket_backlog": {"as_of": None, "series": [
                   {"day": "2026-12-01", "group_name": "g1", "open": 4}]}}

    def call(method, *args, timeout):
        name = method.rsplit(".", 1)[1]
        made.append((name, args))
        return answers[name]
    monkeypatch.setattr(routes_module, "call", call)
    return made


def _get(path: str, query: str):
    return EnvironBuilder(method="GET", path=path, query_string=query).get_request()


def _body(response) -> bytes:
    return b"".join(response.response)


def _rows_openpyxl(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]


# -- the writers ---------------------------------------------------------------------------
def test_r3_csv_is_utf8_with_a_bom_and_comes_in_pieces():
    table = tables.table(tables.TICKETS, ANSWER, {"from": "2026-12-01", "to": "2026-12-02",
                                                  "by": ["kind", "group"]})
    data = b"".join(report_files.csv_chunks(table.header, table.rows))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["日期", "类型", "组", "新建"]
    assert rows[1][:5] == ["2026-12-01", "after_sales", "g1", "3", "2"]
    assert rows[2][2] == "'=HYPERLINK(\"x\")"  # never a formula in a spreadsheet
    assert rows[3][2] == ""  # no group
    assert rows[1][table.header.index("平均解决时长(秒)")] == "200.25"
    many = list(report_files.csv_chunks(["日期"], ((DEC1,) for _ in range(1201))))
    assert len(many) == 3 and many[0].startswith(b"\xef\xbb\xbf")  # 500, 500, 201 rows
    assert b"".join(many).decode("utf-8-sig").count("\r\n") == 1202


def test_r3_xlsx_has_chinese_headers_typed_cells_and_its_temporary_file_goes(tmp_path):
    table = tables.table(tables.TICKETS, ANSWER, {"from": "2026-12-01", "to": "2026-12-02",
                                                  "by": ["kind", "group"]})
    file, size = report_files.xlsx_file(table.name, table.columns, table.rows,
                                        tmpdir=str(tmp_path))
    data = b"".join(report_files.chunks(file, size=4096))
    assert len(data) == size and data[:2] == b"PK" and file.closed
    assert os.listdir(tmp_path) == []  # nothing left: the file and xlsxwriter's own
    rows = _rows_openpyxl(data)
    assert rows[0][:4] == ("日期", "类型", "组", "新建")
    assert rows[1][:5] == (datetime.datetime(2026, 12, 1), "after_sales", "g1", 3, 2)
    mean = table.header.index("平均解决时长(秒)")
    assert rows[1][mean] == 200.25 and rows[3][mean] is None
    assert rows[2][2] == "=HYPERLINK(\"x\")"  # text, as it came
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["工单统计"]
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].data_type == "n" and sheet["C3"].data_type == "s"
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert calamine[0][:4] == ["日期", "类型", "组", "新建"]
    assert calamine[1][0] == DEC1 and calamine[1][3] == 3


def test_r3_a_write_that_fails_leaves_no_file(tmp_path):
    def rows():
        yield (DEC1,)
        raise RuntimeError("the answer broke off")
    with pytest.raises(RuntimeError):
        report_files.xlsx_file("工单统计", (tables.TICKETS.period,), rows(), tmpdir=str(tmp_path))
    assert os.listdir(tmp_path) == []


# -- the routes ----------------------------------------------------------------------------
def test_r3_tickets_export_xlsx_is_the_figures_answer_named_for_its_days(asked):
    reply = Gateway.export_ticket_figures(FakeGateway(), _get(
        "/api/v1/reports/tickets/export",
        "format=xlsx&from=2026-12-01&to=2026-12-02&by=kind&by=group"))
    [(operation, (query,))] = asked
    assert operation == "ticket_figures" and "format" not in query
    assert query["by"] == ["kind", "group"] and query["from"] == "2026-12-01"
    assert reply.status_code == 200 and reply.mimetype == XLSX
    name = "工单统计-2026-12-01-2026-12-02.xlsx"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert 'filename="tickets-2026-12-01-2026-12-02.xlsx"' in disposition
    data = _body(reply)
    assert int(reply.headers["Content-Length"]) == len(data)
    rows = _rows_openpyxl(data)
    header = rows[0]
    assert len(rows) == 1 + len(ANSWER["series"])
    for point, row in zip(ANSWER["series"], rows[1:], strict=True):
        cells = dict(zip(header, row, strict=True))
        assert cells["日期"].date().isoformat() == point["period"]
        assert (cells["类型"], cells["组"]) == (point["kind"], point["group_name"])
        assert (cells["新建"], cells["已解决"]) == (point["created"], point["resolved"])
        assert cells["平均解决时长(秒)"] == point["resolution_mean"]


def test_r3_tickets_export_csv_and_the_period_default(asked):
    reply = Gateway.export_ticket_figures(FakeGateway(), _get(
        "/api/v1/reports/tickets/export", "format=csv&from=2026-12-01&to=2026-12-02"))
    assert asked[0][1][0]["period"] == "day" and asked[0][1][0]["by"] == []
    assert reply.mimetype == "text/csv" and reply.mimetype_params["charset"] == "utf-8"
    assert quote("工单统计-2026-12-01-2026-12-02.csv") in reply.headers["Content-Disposition"]
    assert "Content-Length" not in reply.headers  # made as it is sent
    data = _body(reply)
    assert data.startswith("\ufeff日期,新建,".encode())


def test_r3_backlog_and_calls_export(asked):
    backlog = Gateway.export_ticket_backlog(FakeGateway(), _get(
        "/api/v1/reports/tickets/backlog/export", "from=2026-12-01&to=2026-12-01&by=group"))
    assert asked[0] == ("ticket_backlog", ({"from": "2026-12-01", "to": "2026-12-01",
                                            "by": "group", "kind": None, "group_name": None,
                                            "agent_id": None},))
    assert _rows_openpyxl(_body(backlog)) == [("日期", "组", "未结"),
                                             (datetime.datetime(2026, 12, 1), "g1", 4)]
    assert quote("未结工单-2026-12-01-2026-12-01.xlsx") in backlog.headers["Content-Disposition"]
    calls = Gateway.export_call_figures(FakeGateway(), _get(
        "/api/v1/reports/calls/export", "format=xlsx&from=2026-12-01&to=2026-12-01&by=queue"))
    assert asked[1][0] == "call_figures" and asked[1][1][0]["by"] == ["queue"]
    rows = _rows_openpyxl(_body(calls))
    assert rows[0][:7] == ("日期", "队列", "呼入", "接通", "放弃", "接通率", "振铃时长(秒)")
    assert rows[1][:6] == (datetime.datetime(2026, 12, 1), "q1", 10, 8, 2, 0.8)
    assert rows[2][1] is None  # contacts have no queue
    assert quote("话务报表-2026-12-01-2026-12-01.xlsx") in calls.headers["Content-Disposition"]


@pytest.mark.parametrize("route,query,field", [
    ("export_ticket_figures", "format=pdf&from=2026-12-01&to=2026-12-02", "format"),
    ("export_ticket_figures", "to=2026-12-02", "from"),
    ("export_ticket_figures", "from=2026-12-01&to=2026-12-02&by=kind,colour", "by"),
    ("export_ticket_figures", "from=2026-12-01&to=2026-12-02&group_name=" + "g" * 101,
     "group_name"),
    ("export_ticket_figures", "from=2026-12-01&to=2026-12-02&colour=red", "colour"),
    ("export_ticket_backlog", "from=2026-12-01&to=2026-12-02&by=agent", "by"),
    ("export_call_figures", "from=2026-12-01&to=2026-12-02&by=kind", "by"),
    ("export_call_figures", "from=2026-12-01&to=yesterday", "to"),
    # the JSON answer's shape is not a file's (every column; a chart's own `measure`)
    ("export_ticket_figures", "from=2026-12-01&to=2026-12-02&layout=columns", "layout"),
    ("ticket_chart", "from=2026-12-01&to=2026-12-02&measures=created", "measures"),
])
def test_r3_a_bad_export_query_is_refused_naming_the_field_before_any_call(asked, route,
                                                                           query, field):
    with pytest.raises(ValidationError) as refused:
        getattr(Gateway, route)(FakeGateway(), _get("/x", query))
    assert field in refused.value.messages
    assert asked == []
    assert http.response_for(refused.value).status_code == 400


def _api(name: str) -> http.Api:
    return next(e for e in getattr(getattr(Gateway, name), ENTRYPOINT_EXTENSIONS_ATTR)
                if isinstance(e, http.Api))


ROUTES = {"export_ticket_figures": ("/api/v1/reports/tickets/export", "ticket_figures"),
          "export_ticket_backlog": ("/api/v1/reports/tickets/backlog/export",
                                    "ticket_backlog"),
          "export_call_figures": ("/api/v1/reports/calls/export", "call_figures"),
          "ticket_chart": ("/api/v1/reports/tickets/chart", "ticket_figures"),
          "call_chart": ("/api/v1/reports/calls/chart", "call_figures")}


def test_r3_file_routes_have_the_roles_of_the_figures_they_read():
    for name, (url, operation) in ROUTES.items():
        route = _api(name)
        assert (route.method, route.url) == ("GET", url)
        assert route.allow == report.CONTRACT.operation(operation).roles, name
        assert route.upstreams == ("report",) and not route.public, name


def test_r3_file_routes_are_in_the_openapi_document():
    paths = openapi.document()["paths"]
    for name, (url, _) in ROUTES.items():
        operation = paths[url]["get"]
        assert operation["security"] == [{"bearer": []}], url
        assert {"400", "401", "403", "default"} <= set(operation["responses"]), url
        content = operation["responses"]["200"]["content"]
        media = {XLSX, "text/csv"} if "export" in name else {"image/png", "image/svg+xml"}
        assert set(content) == media, url
        params = {p["name"]: p for p in operation["parameters"]}
        assert {"format", "from", "to", "by"} <= set(params), url
        assert params["from"]["required"] and not params["format"]["required"], url
        assert ("measure" in params) == ("chart" in name), url
    figures = {p["name"] for p in paths["/api/v1/reports/tickets/export"]["get"]["parameters"]}
    assert {"period", "kind", "category_id", "channel", "group_name", "agent_id"} <= figures
