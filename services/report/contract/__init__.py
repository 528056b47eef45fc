"""The report service 业务统计 — its contract index: every RPC and every event.

Areas, each with its schemas in its own module:
  figures  (R1, R2) ticket counters, times and backlog by period, grouping and filters,
           read from rollups kept by the ticket events' snapshots — contract/figures.py
  calls    (R1, R2) calls and contacts 话务报表 by period, queue, agent and hour of day,
           read from rollups kept by the ticket service's call_recorded and
           contact_logged events — contract/calls.py
  rebuild  (R4) rebuild from the ticket service (tickets, calls, contacts), and the check
           against its own counts — contract/rebuild.py
  daily    the daily count of created tickets (the first rollup) — contract/daily.py
  ivr_campaigns  (issue 13) keypad rating offers 满意度发送率 and campaign invitation /
           acceptance / attendance / satisfaction rates, from the survey service's
           snapshot events — contract/ivr_campaigns.py
  survey   (issue 13) follow-ups 回访 done / missed / on time and satisfaction 满意度
           (CSAT, NPS) by period, agent, group (kind, source), read from rollups kept
           by the survey service's events — contract/survey.py
  daily_report  (R3) yesterday's figures and curve for managers, once a day, as the event
           `daily_report` the notify service sends on — contract/daily_report.py

Errors are besides Unauthenticated and Forbidden, which any call may answer.  Figures
are read in the caller's scope: an agent their own tickets, a supervisor their groups',
managers up, admins and auditors all; a filter out of scope is NotFound (a supervisor's
agent filter: an agent with no ticket in their groups).  Call figures: an agent their
own calls and contacts (another agent_id: NotFound); supervisors, managers up, admins
and auditors every queue and agent.  An answer holds at most 20,000
points (keys × periods; more: Invalid naming `by`, or `from` when not grouped).

While a rebuild runs (rebuild_reports, until report_rebuild says done) the figures are
approximate: its pages replace facts without touching the rollups, which it corrects at
its end.  A run that fails is queued again and taken after a back-off (its `error` tells
the last failure) until it is done.
"""
from services.common.contracts import Consumes, Contract, Event, Operation
from services.common.errors import DeadlineExceeded, Invalid, NotFound, Unavailable
from services.report.contract.calls import CallFigures, CallFiguresQuery
from services.report.contract.daily import DailyQuery, DailySeries
from services.report.contract.daily_report import DailyReport
from services.report.contract.field import (
    FieldFigures,
    FieldFiguresQuery,
    TopCustomers,
    TopCustomersQuery,
)
from services.report.contract.figures import Backlog, BacklogQuery, FiguresQuery, TicketFigures
from services.report.contract.ivr_campaigns import (
    CampaignFigures,
    CampaignFiguresQuery,
    IvrOfferFigures,
    IvrOfferFiguresQuery,
)
from services.report.contract.notifications import (
    NotificationFigures,
    NotificationFiguresQuery,
)
from services.report.contract.rebuild import Check, CheckQuery, Rebuild, RebuildQuery
from services.report.contract.survey import (
    FollowupFiguresQuery,
    SatisfactionFiguresQuery,
    SurveyFigures,
)
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FIELD_STAFF,
    FRONT_LINE,
    MANAGERS_UP,
    SUPERVISORS_UP,
)

SERVICE = "report"

FIGURE_READERS = FRONT_LINE | ADMINS | {AUDITOR}  # each in their own scope
EVERYTHING = MANAGERS_UP | ADMINS | {AUDITOR}  # read every group's figures
REBUILDERS = ADMINS
CHECKERS = EVERYTHING
# notification figures: department-level (issue 13), never above the reader's clearance
NOTIFICATION_READERS = SUPERVISORS_UP | ADMINS | {AUDITOR}
# field work: field staff their own figures; supervisors up, admins, the auditor all; the
# biggest customers: supervisors up, admins, the auditor (within their clearance)
CUSTOMER_READERS = SUPERVISORS_UP | ADMINS | {AUDITOR}
FIELD_READERS = CUSTOMER_READERS | FIELD_STAFF

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name              roles           input         output       errors
        Operation("tickets_daily",  EVERYTHING,     DailyQuery,   DailySeries, (Invalid,)),
        # -- figures (R1, R2)
        Operation("ticket_figures", FIGURE_READERS, FiguresQuery, TicketFigures, (Invalid, NotFound)),
        Operation("ticket_backlog", FIGURE_READERS, BacklogQuery, Backlog,     (Invalid, NotFound)),
        Operation("call_figures",   FIGURE_READERS, CallFiguresQuery, CallFigures, (Invalid, NotFound)),
        Operation("notification_figures", NOTIFICATION_READERS, NotificationFiguresQuery, NotificationFigures, (Invalid,)),
        # field work 外勤: field staff their own, supervisors up, admins, auditor all
        Operation("field_figures",  FIELD_READERS,  FieldFiguresQuery, FieldFigures, (Invalid, NotFound)),
        Operation("top_customers",  CUSTOMER_READERS, TopCustomersQuery, TopCustomers, (Invalid,)),
        # follow-ups 回访 and satisfaction 满意度 (issue 13): agents their own, supervisors
        # their groups, managers up, admins, auditor all
        Operation("followup_figures", FIGURE_READERS, FollowupFiguresQuery, SurveyFigures, (Invalid, NotFound)),
        Operation("satisfaction_figures", FIGURE_READERS, SatisfactionFiguresQuery, SurveyFigures, (Invalid, NotFound)),
        # keypad rating offers 满意度发送率 and campaign rates (issue 13): the same scopes,
        # invitations never above the reader's clearance
        Operation("ivr_offer_figures", FIGURE_READERS, IvrOfferFiguresQuery, IvrOfferFigures, (Invalid, NotFound)),
        Operation("campaign_figures", FIGURE_READERS, CampaignFiguresQuery, CampaignFigures, (Invalid, NotFound)),
        # -- rebuild and check (R4)
        Operation("rebuild_reports", REBUILDERS,    None,         Rebuild,     ()),
        Operation("report_rebuild",  REBUILDERS,    RebuildQuery, Rebuild,     (Invalid, NotFound)),
        Operation("check_reports",   CHECKERS,      CheckQuery,   Check,       (Invalid, DeadlineExceeded, Unavailable)),
    ],
    consumes=[
        # Every ticket event carrying the ticket's snapshot keeps its fact (R1); an event
        # without one changes nothing (ticket_created without one: the ticket as accepted).
        Consumes("ticket", "ticket_created"),
        Consumes("ticket", "ticket_updated"),
        Consumes("ticket", "ticket_assigned"),
        Consumes("ticket", "ticket_transferred"),
        Consumes("ticket", "ticket_status_changed"),
        Consumes("ticket", "ticket_resolved"),
        Consumes("ticket", "ticket_closed"),
        Consumes("ticket", "ticket_sla_breached"),
        # ... and field work 外勤: each job's fact merged from both (R1)
        Consumes("ticket", "ticket_dispatched"),
        Consumes("ticket", "dispatch_handled"),
        # Calls and contacts 话务报表 (R1): each call event kept once, its call's fact merged
        # from them; each contact counted once as logged.
        Consumes("ticket", "call_recorded"),
        Consumes("ticket", "contact_logged"),
        # Notifications (issue 13): each message named in notify's outcome events keeps
        # its fact (the highest state told), the daily rollup by delta.
        Consumes("notify", "notification_sent"),
        Consumes("notify", "notification_delivered"),
        Consumes("notify", "notification_failed"),
        # Follow-ups and satisfaction (issue 13): each (task, event) kept once, its task's
        # fact merged from them; each answer counted once as told.
        Consumes("survey", "followup_created"),
        Consumes("survey", "followup_missed"),
        Consumes("survey", "followup_completed"),
        Consumes("survey", "survey_answered"),
        # Keypad offers and campaign invitations (issue 13): snapshots, each record's fact
        # merged (an offer's rated only turns true; an invitation by its revision).
        Consumes("survey", "ivr_offer_updated"),
        Consumes("survey", "campaign_invitation_updated"),
        Consumes("survey", "campaign_invitations_listed"),
    ],
    events=[
        # Once a day (REPORT_DAILY_HOUR in China) by one replica: yesterday's report.
        Event("daily_report", DailyReport),
    ],
)
