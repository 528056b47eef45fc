"""The report service's notification figures route (issue 13): a mixin of GatewayService,
declared as report_routes.py's are (one `forward(...)` line, the roles and the OpenAPI
description from the report contract index, the query validated by the operation's
input schema before any call: a bad field is a 400 naming it).

GET /api/v1/reports/notifications?period=&from=&to=&by=channel,template&channel=&template=
answers rows (`columns` names their fields), every period for every key found; for
supervisors up, admins and auditors (department-level figures), never counting messages
above the caller's clearance.
"""
from services.common.rpc import proxy
from services.gateway.report_routes import FIGURES_QUERY, REPORT
from services.gateway.routes import forward


class ReportNotifyRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    notification_figures = forward(
        "GET", "/api/v1/reports/notifications",
        "Notifications sent, delivered, undelivered, failed and skipped by day, ISO week or "
        "month in China (?period=&from=&to=), each message on the day it was made, grouped "
        "by channel and/or template (?by=) and filtered (?channel=&template=), as rows with "
        "their columns; supervisors up, admins and auditors (messages above my clearance "
        "not counted)", REPORT.notification_figures, FIGURES_QUERY)
