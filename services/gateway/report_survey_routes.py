"""The report service's follow-up and satisfaction figures routes (issue 13): a mixin of
GatewayService, declared as report_routes.py's are (one `forward(...)` line each, the
roles and the OpenAPI description from the report contract index, the query validated
by the operation's input schema before any call: a bad field is a 400 naming it).

GET /api/v1/reports/followups?period=&from=&to=&by=group,agent&group_name=&agent_id=
GET /api/v1/reports/satisfaction?period=&from=&to=&by=agent,group,kind,source
    &group_name=&agent_id=&ticket_kind=&source=
answer rows (`columns` names their fields), every period for every key found; in the
caller's scope (agents their own, supervisors their groups', managers up, admins and
auditors all; a filter out of it: 404).
"""
from services.common.rpc import proxy
from services.gateway.report_routes import FIGURES_QUERY, REPORT
from services.gateway.routes import forward


class ReportSurveyRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    followup_figures = forward(
        "GET", "/api/v1/reports/followups",
        "Follow-ups 回访 by day, ISO week or month in China (?period=&from=&to=): created, "
        "due, done (reached, unreachable), missed, done on time and the on-time rate, each "
        "task in its first group; grouped by group and/or agent (?by=) and filtered "
        "(?group_name=&agent_id=), as rows with their columns; in my scope (a filter out "
        "of it: 404)", REPORT.followup_figures, FIGURES_QUERY)
    satisfaction_figures = forward(
        "GET", "/api/v1/reports/satisfaction",
        "Satisfaction 满意度 by day, ISO week or month in China (?period=&from=&to=): "
        "answers, CSAT (satisfied 4–5) and NPS (promoters 9–10, detractors 0–6) with the "
        "counts behind them, grouped by agent, group, kind, source (?by=) and filtered "
        "(?group_name=&agent_id=&ticket_kind=&source=), as rows with their columns; in my "
        "scope (a filter out of it: 404)", REPORT.satisfaction_figures, FIGURES_QUERY)
