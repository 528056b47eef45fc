"""The report service's keypad-offer and campaign figures routes (issue 13): a mixin of
GatewayService, declared as report_routes.py's are (one `forward(...)` line each, the
roles and the OpenAPI description from the report contract index, the query validated
by the operation's input schema before any call: a bad field is a 400 naming it).

GET /api/v1/reports/ivr-offers?period=&from=&to=&by=agent,group,kind
    &group_name=&agent_id=&ticket_kind=
    calls offered the keypad rating 满意度发送率, rated, the rating rate: rows, every
    period for every key found
GET /api/v1/reports/campaigns?from=&to=&by=agent&campaign_id=&group_name=&agent_id=
    each campaign starting in the range (and each agent of it): invited, accepted, came,
    satisfied with the rates
In the caller's scope (agents their own, supervisors their groups', managers up, admins
and auditors all; a filter out of it: 404); invitations never above the caller's
clearance.
"""
from services.common.rpc import proxy
from services.gateway.report_routes import FIGURES_QUERY, REPORT
from services.gateway.routes import forward


class ReportCampaignRoutes:
    report = proxy("report")
    deadline: float  # the service's own (http.Deadline)

    ivr_offer_figures = forward(
        "GET", "/api/v1/reports/ivr-offers",
        "Keypad rating offers 满意度发送率 by day, ISO week or month in China "
        "(?period=&from=&to=): calls offered the rating, rated, and the rating rate (per "
        "cent); grouped by agent, group and/or kind (?by=) and filtered "
        "(?group_name=&agent_id=&ticket_kind=), as rows with their columns; in my scope "
        "(a filter out of it: 404)", REPORT.ivr_offer_figures, FIGURES_QUERY)
    campaign_figures = forward(
        "GET", "/api/v1/reports/campaigns",
        "Campaigns 市场活动 starting in a range (?from=&to=, China days): each campaign (and "
        "with ?by=agent each agent of it) with its invitations — total, called, invited, "
        "accepted, came, with an outcome, satisfied, gifts, coupons — and the invitation, "
        "acceptance, attendance and satisfaction rates (per cent); filtered "
        "(?campaign_id=&group_name=&agent_id=); in my scope and clearance (a filter out "
        "of it: 404)", REPORT.campaign_figures, FIGURES_QUERY)
