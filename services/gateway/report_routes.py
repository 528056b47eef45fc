"""The report service's routes 业务统计 (issue 13, R1–R4): a mixin of GatewayService.

Declared as every forwarding route is (routes.py): one `forward(...)` line each, the
roles and the OpenAPI description from the report contract index
(services/report/contract/__init__.py), the query validated by the operation's input
schema before any call (a bad field is a 400 naming it).  In their own class, as the
survey's are (survey_routes.py): nameko finds the entrypoints and the `report` proxy of
a base class as its own (test_report_routes: the names, the document).

The daily count (`tickets_daily`, /api/v1/reports/tickets/daily) stays in service.py.
Figures are read in the caller's scope by the report service (an agent their own, a
supervisor their groups', managers up, admins and auditors all; a filter out of scope
is 404).  One rebuild is named by its id in the path: an id that is no UUID names
nothing (404), as an unknown one.
"""
from services.common.ids import parse_id
from services.common.rpc import call, proxy
from services.gateway.http import api
from services.gateway.routes import Take, Upstream, forward, valid_query
from services.report import contract as report_contract
from services.report.contract.rebuild import Rebuild

REPORT = Upstream(report_contract.CONTRACT)
REBUILDS = "/api/v1/reports/rebuilds"


def _figures_query(request, schema) -> tuple:
    """The query string validated, `by` and `measures` lists (?by=kind&by=group or
    ?by=kind,group), as JSON again (dates as text) for the report service."""
    query = request.args.to_dict()
    for name, most in (("by", 10), ("measures", 40)):
        if name in request.args:
            query[name] = [part for value in request.args.getlist(name)
                           for part in value.split(",") if part][:most]
    return (schema.dump(schema.load(query)),)


FIGURES_QUERY = Take("query", _figures_query, validates=True)


class ReportRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    # -- figures (R1, R2) -----------------------------------------------------------------
    ticket_figures = forward(
        "GET", "/api/v1/reports/tickets",
        "Ticket counters and times (p50/p90/mean) by day, ISO week or month in China "
        "(?period=&from=&to=), grouped by kind, category, channel, group, agent (?by=) and "
        "filtered; in my scope (agents their own, supervisors their groups'; a filter "
        "out of it: 404)", REPORT.ticket_figures, FIGURES_QUERY)
    ticket_backlog = forward(
        "GET", "/api/v1/reports/tickets/backlog",
        "Open tickets at the end of each day (?from=&to=), by kind or group (?by=), in my "
        "scope", REPORT.ticket_backlog, valid_query())
    call_figures = forward(
        "GET", "/api/v1/reports/calls",
        "Calls and contacts 话务报表 by day, ISO week or month in China (?period=&from=&to=): "
        "offered, answered, answer rate, abandoned, ring and talk time, quick hang-ups, "
        "outbound attempts and answer rate, online contacts; grouped by queue, agent, hour "
        "of day (?by=) and filtered (?queue=&agent_id=); agents their own (another agent: "
        "404)", REPORT.call_figures, FIGURES_QUERY)

    # -- rebuild and check (R4) -----------------------------------------------------------
    rebuild_reports = forward(
        "POST", REBUILDS,
        "Rebuild the ticket figures from the ticket service (admins): the rebuild runs in "
        "the background (the one queued or running already, if any)",
        REPORT.rebuild_reports, status=202)

    @api("GET", REBUILDS + "/<rebuild_id>", "How far a rebuild is: queued, running, done "
         "or failed, pages and tickets read (admins)", allow=REPORT.report_rebuild.roles,
         response=Rebuild, upstreams=("report",))
    def report_rebuild(self, request, rebuild_id):
        """One rebuild (report.report_rebuild)"""
        query = {"rebuild_id": parse_id(rebuild_id, "rebuild")}
        return call(self.report.report_rebuild, query, timeout=self.deadline)

    check_reports = forward(
        "GET", "/api/v1/reports/check",
        "The figures checked against the ticket service's own counts per day and kind "
        "(?from=&to=): each difference named", REPORT.check_reports, valid_query())
