"""The report service's field work 外勤 and biggest-customers routes (issue 13): a mixin
of GatewayService, declared as report_routes.py's are (one `forward(...)` line each, the
roles and the OpenAPI description from the report contract index, the query validated
by the operation's input schema before any call: a bad field is a 400 naming it).

GET /api/v1/reports/field?period=&from=&to=&by=staff,category&staff_id=&category_id=
answers rows (`columns` names their fields), every period for every key found: field
staff their own figures (another staff_id: 404); supervisors up, admins and auditors
everyone's.
GET /api/v1/reports/customers/top?from=&to=&limit= answers the customers with the most
tickets (then field jobs) in at most 92 days, top limit (≤ 100): ids and counts, only
what is within the caller's clearance; supervisors up, admins and auditors.
"""
from services.common.rpc import proxy
from services.gateway.report_routes import FIGURES_QUERY, REPORT
from services.gateway.routes import forward, valid_query


class ReportFieldRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    field_figures = forward(
        "GET", "/api/v1/reports/field",
        "Field work 外勤 by day, ISO week or month in China (?period=&from=&to=): jobs "
        "dispatched and handled, minutes on site, parts, fees charged and collected (fen), "
        "late jobs; grouped by field staff member and/or category (?by=staff,category) and "
        "filtered (?staff_id=&category_id=), as rows with their columns; field staff "
        "their own (another's: 404), supervisors up, admins and auditors everyone's",
        REPORT.field_figures, FIGURES_QUERY)
    top_customers = forward(
        "GET", "/api/v1/reports/customers/top",
        "The customers with the most tickets, then field jobs, in a period of at most 92 "
        "days (?from=&to=&limit=, limit ≤ 100): customer ids and counts, counting only "
        "what is within my clearance; supervisors up, admins and auditors",
        REPORT.top_customers, valid_query())
