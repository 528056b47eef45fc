"""The report files (issue 13, R3): every report answer as CSV or XLSX, and its curves
as PNG or SVG — a mixin of GatewayService, beside report_routes.ReportRoutes.

Each route asks the report operation the JSON route asks (the same roles, the same
scope: the report service reads the figures as the caller) with the query validated
first by that operation's input schema plus `format` (and `measure` for a chart)
(contract/report_files.py), so a bad field is a 400 naming it before any call:

  /api/v1/reports/tickets/export          ticket_figures   ?format=xlsx|csv&<its query>
  /api/v1/reports/tickets/backlog/export  ticket_backlog   ?format=xlsx|csv&<its query>
  /api/v1/reports/calls/export            call_figures     ?format=xlsx|csv&<its query>
  /api/v1/reports/tickets/chart           ticket_figures   ?format=png|svg&measure=…
  /api/v1/reports/calls/chart             call_figures     ?format=png|svg&measure=…

A file is an attachment named for the report and its days (工单统计-2026-12-01-
2026-12-07.xlsx, RFC 5987 `filename*`, an ASCII `filename` beside it).  The XLSX is
written in a real thread (eventlet.tpool: CPU work; the hub keeps serving) to an
anonymous temporary file and sent from it in chunks; a CSV is made as it is sent.  A
chart is drawn in a real thread too.  One file or image is made at a time per gateway
process (RENDERING): the libraries take locks that eventlet turned green, which only
one real thread at a time may hold safely, and a burst of exports queues rather than
taking every core.
"""
from urllib.parse import quote

from eventlet import tpool
from eventlet.semaphore import Semaphore
from marshmallow import fields
from werkzeug.wrappers import Response

from services.common.rpc import call, proxy
from services.gateway import openapi
from services.gateway.contract.report_files import (
    CALL_MEASURES,
    TICKET_MEASURES,
    chart_query,
    file_query,
)
from services.gateway.domain import report_tables
from services.gateway.domain.report_tables import BACKLOG, CALLS, TICKETS, Report
from services.gateway.handlers import report_charts, report_files
from services.gateway.http import api
from services.gateway.routes import Rpc, Upstream
from services.report import contract as report_contract

REPORT = Upstream(report_contract.CONTRACT)
MEDIA = {"file": tuple(kind.split(";")[0] for kind in report_files.CONTENT_TYPES.values()),
         "chart": tuple(report_charts.CONTENT_TYPES.values())}
RENDERING = Semaphore(1)
MAX_LIST = 50  # values of one list parameter read (its schema bounds it further)


def _query(request, schema) -> dict:
    """The query string validated by `schema`, as JSON again (dates as text); a list
    parameter (`by`, `measure`) repeated or comma-separated (?by=kind&by=group or
    ?by=kind,group)."""
    query = request.args.to_dict()
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, fields.List) and key in request.args:
            query[key] = [part for value in request.args.getlist(key)
                          for part in value.split(",") if part][:MAX_LIST]
    return schema.dump(schema.load(query))


def _off_hub(work, *args):
    """`work(*args)` in a real thread, one at a time (RENDERING)."""
    with RENDERING:
        return tpool.execute(work, *args)


def _attachment(body, content_type: str, name: str, ascii_name: str, size: int | None,
                disposition: str = "attachment") -> Response:
    headers = {"Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; "
                                      f"filename*=UTF-8''{quote(name)}",
               "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if size is not None:
        headers["Content-Length"] = str(size)
    return Response(body, status=200, content_type=content_type, headers=headers,
                    direct_passthrough=True)


def _file_route(url: str, summary: str, rpc: Rpc, report: Report):
    schema = file_query(rpc.operation.input)()

    def route(self, request):
        query = _query(request, schema)
        fmt = query.pop("format")
        answer = call(getattr(self.report, rpc.operation.name), query, timeout=self.deadline)
        table = report_tables.table(report, answer, query)
        name, ascii_name = f"{table.filename}.{fmt}", f"{table.ascii_filename}.{fmt}"
        if fmt == "csv":
            return _attachment(report_files.csv_chunks(table.header, table.rows),
                               report_files.CONTENT_TYPES[fmt], name, ascii_name, None)
        file, size = _off_hub(report_files.xlsx_file, table.name, table.columns, table.rows)
        return _attachment(report_files.chunks(file), report_files.CONTENT_TYPES[fmt], name,
                           ascii_name, size)

    route.__doc__ = (f"{summary}: the file (Content-Disposition); 400 naming a bad field, "
                     f"404 for a filter out of my scope (asks report {rpc.operation.name})")
    return openapi.produces(*MEDIA["file"])(api(
        "GET", url, summary, allow=rpc.roles, query=type(schema), upstreams=("report",))(route))


def _chart_route(url: str, summary: str, rpc: Rpc, report: Report, measures: tuple,
                 default: tuple):
    schema = chart_query(rpc.operation.input, measures, default)()

    def route(self, request):
        query = _query(request, schema)
        fmt, measure = query.pop("format"), query.pop("measure")
        report_charts.ready()  # no CJK font: 503 before the report service is asked
        answer = call(getattr(self.report, rpc.operation.name), query, timeout=self.deadline)
        chart = report_tables.chart(report, answer, query, measure)
        image = _off_hub(report_charts.render, chart, fmt)
        name = f"{report.chart_title}-{query['from']}-{query['to']}.{fmt}"
        return _attachment(image, report_charts.CONTENT_TYPES[fmt], name,
                           f"{report.slug}-{query['from']}-{query['to']}.{fmt}", len(image),
                           disposition="inline")

    route.__doc__ = (f"{summary}: the image; 400 naming a bad field or `by` for more than "
                     f"{report_tables.MAX_LINES} lines (asks report {rpc.operation.name})")
    return openapi.produces(*MEDIA["chart"])(api(
        "GET", url, summary, allow=rpc.roles, query=type(schema), upstreams=("report",))(route))


class ReportFileRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    export_ticket_figures = _file_route(
        "/api/v1/reports/tickets/export",
        "The ticket figures (as /api/v1/reports/tickets, the same query) as XLSX or CSV "
        "with Chinese headers (?format=), in my scope", REPORT.ticket_figures, TICKETS)
    export_ticket_backlog = _file_route(
        "/api/v1/reports/tickets/backlog/export",
        "The backlog (as /api/v1/reports/tickets/backlog) as XLSX or CSV (?format=), in my "
        "scope", REPORT.ticket_backlog, BACKLOG)
    export_call_figures = _file_route(
        "/api/v1/reports/calls/export",
        "The call figures 话务报表 (as /api/v1/reports/calls) as XLSX or CSV (?format=), in "
        "my scope", REPORT.call_figures, CALLS)
    ticket_chart = _chart_route(
        "/api/v1/reports/tickets/chart",
        "The ticket figures as a line chart, PNG or SVG (?format=), a line per measure "
        "(?measure=created,resolved) and key group (≤ 12), Chinese labels; in my scope",
        REPORT.ticket_figures, TICKETS, TICKET_MEASURES, ("created", "resolved"))
    call_chart = _chart_route(
        "/api/v1/reports/calls/chart",
        "The call figures as a line chart, PNG or SVG (?format=), a line per measure "
        "(?measure=offered,answered) and key group (≤ 12), Chinese labels; in my scope",
        REPORT.call_figures, CALLS, CALL_MEASURES, ("offered", "answered"))
