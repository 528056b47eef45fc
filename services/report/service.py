"""The report service 业务统计: ticket rollups kept from the ticket events' snapshots and
call and contact rollups 话务报表 from the telephony events and the contact log (R1),
read by period, grouping and filters (R2), rebuilt from and checked against the ticket
service (R4).

Each operation: load with its contract schema, one handler in one transaction (or given
the database when it needs several or calls another service), dump.  The index of
operations and events is contract/__init__.py.
"""
import datetime
from types import SimpleNamespace

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.batch import GroupCommit
from services.common.db import Database
from services.common.events import EnvelopeSchema, on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Gauge, Metrics
from services.common.rpc import proxy, rpc_entrypoints
from services.report import contract
from services.report.contract import calls, daily, figures, rebuild
from services.report.contract import field as field_contract
from services.report.contract import ivr_campaigns as ivr_campaign_contract
from services.report.contract import notifications as notification_contract
from services.report.contract import survey as survey_contract
from services.report.dependencies import SystemIdentity
from services.report.handlers import calls as call_handlers
from services.report.handlers import daily_report as daily_report_handlers
from services.report.handlers import facts
from services.report.handlers import field as field_handlers
from services.report.handlers import figures as figure_handlers
from services.report.handlers import ivr_campaigns as ivr_campaign_handlers
from services.report.handlers import notifications as notification_handlers
from services.report.handlers import rebuild as rebuild_handlers
from services.report.handlers import survey as survey_handlers
from services.survey.contract import answers as survey_answers
from services.survey.contract import events as survey_events
from services.ticket.contract import events as ticket_events

rpc = rpc_entrypoints(contract.CONTRACT)
DAILY_QUERY, DAILY_SERIES = daily.DailyQuery(), daily.DailySeries()
# the figures' answers are made JSON by figure_handlers.as_json (their schemas in the
# contract; test_figures_json holds them equal), not dumped point by point
FIGURES_QUERY, BACKLOG_QUERY = figures.FiguresQuery(), figures.BacklogQuery()
REBUILD, REBUILD_QUERY, CHECK_QUERY, CHECK = (
    rebuild.Rebuild(), rebuild.RebuildQuery(), rebuild.CheckQuery(), rebuild.Check())
CALL_QUERY = calls.CallFiguresQuery()
# -- events of the ticket service: each carries the ticket's snapshot
ENVELOPE, SNAPSHOT = EnvelopeSchema(), ticket_events.TicketSnapshot()
CREATED, UPDATED, ROUTED, STATUS, BREACHED, DISPATCHED, HANDLED = (
    ticket_events.TicketCreated(), ticket_events.TicketUpdated(), ticket_events.TicketRouted(),
    ticket_events.TicketStatusChanged(), ticket_events.TicketSlaBreached(),
    ticket_events.TicketDispatched(), ticket_events.DispatchHandled())
CALL_RECORDED, CONTACT_LOGGED = ticket_events.CallRecorded(), ticket_events.ContactLogged()
FIELD_QUERY, FIELD_FIGURES = field_contract.FieldFiguresQuery(), field_contract.FieldFigures()
TOP_QUERY, TOP_CUSTOMERS = field_contract.TopCustomersQuery(), field_contract.TopCustomers()
NOTIFICATION_QUERY = notification_contract.NotificationFiguresQuery()
NOTIFICATION_FIGURES = notification_contract.NotificationFigures()
NOTIFICATION_OUTCOME = notification_contract.NotificationOutcome()
# -- follow-ups and satisfaction (issue 13): the survey service's events
FOLLOWUP_QUERY = survey_contract.FollowupFiguresQuery()
SATISFACTION_QUERY = survey_contract.SatisfactionFiguresQuery()
SURVEY_FIGURES = survey_contract.SurveyFigures()
# -- keypad offers and campaign invitations (issue 13): the survey's snapshot events
IVR_OFFER_QUERY = ivr_campaign_contract.IvrOfferFiguresQuery()
IVR_OFFER_FIGURES = ivr_campaign_contract.IvrOfferFigures()
CAMPAIGN_QUERY = ivr_campaign_contract.CampaignFiguresQuery()
CAMPAIGN_FIGURES = ivr_campaign_contract.CampaignFigures()
IVR_OFFER_UPDATED, INVITATION_UPDATED, INVITATIONS_LISTED = (
    survey_events.IvrOfferUpdated(), survey_events.CampaignInvitationUpdated(),
    survey_events.CampaignInvitationsListed())
FOLLOWUP_CREATED, FOLLOWUP_MISSED, FOLLOWUP_COMPLETED, SURVEY_ANSWERED = (
    survey_events.FollowupCreated(), survey_events.FollowupMissed(),
    survey_events.FollowupCompleted(), survey_answers.SurveyAnswered())


class ReportService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    config = Config()
    as_system = SystemIdentity()
    groups = GroupCommit()  # the ticket events' group commit (_apply)
    tickets = proxy("ticket")
    notify = proxy("notify")
    surveys = proxy("survey")

    # -- figures (R1, R2) ------------------------------------------------------------------
    @rpc
    def tickets_daily(self, from_day, to_day):
        """Tickets created per day and kind between two days inclusive: {"series": [...]}."""
        query = DAILY_QUERY.load({"from": from_day, "to": to_day})
        with self.db.transaction() as tx:
            return DAILY_SERIES.dump(figure_handlers.tickets_daily(tx, self.principal, query))

    @rpc
    def ticket_figures(self, query):
        """{"as_of", "series"}: counters and times by period (day, ISO week, month in
        China), grouping and filters, every period of the range for every key group
        (Invalid naming `by` when the grouping is kept by month only; NotFound: a filter
        out of the caller's scope)."""
        query = FIGURES_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return figure_handlers.as_json(
                figure_handlers.ticket_figures(tx, self.principal, query), "series")

    @rpc
    def ticket_backlog(self, query):
        """{"as_of", "series"}: open tickets at the end of each day (by kind or group)."""
        query = BACKLOG_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return figure_handlers.as_json(
                figure_handlers.ticket_backlog(tx, self.principal, query), "series")

    @rpc
    def call_figures(self, query):
        """CallFigures: calls and contacts 话务报表 by period (day, ISO week, month in
        China), grouped by queue, agent, hour of day, every period for every key
        (Invalid naming `by` above 20,000 points; NotFound: another agent's filter)."""
        query = CALL_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return figure_handlers.as_json(
                call_handlers.call_figures(tx, self.principal, query, self._quick_hangup()),
                "points", {"from_day": "from", "to_day": "to"})

    # -- field work 外勤 and the biggest customers (R1, R2) --------------------------------
    @rpc
    def field_figures(self, query):
        """FieldFigures: field jobs dispatched, handled, minutes, parts, fees (fen) by
        period, field staff member and category, as rows; every period for every key
        (Invalid naming `by` above 20,000 rows; NotFound: another staff member's
        filter for field staff)."""
        query = FIELD_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return FIELD_FIGURES.dump(field_handlers.field_figures(tx, self.principal, query))

    @rpc
    def top_customers(self, query):
        """TopCustomers: the customers with the most tickets (then field jobs) in a
        period (≤ 92 days), top `limit` (≤ 100), within the reader's clearance."""
        query = TOP_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return TOP_CUSTOMERS.dump(field_handlers.top_customers(tx, self.principal, query))

    # -- rebuild and check (R4) ---------------------------------------------------------------
    @rpc
    def rebuild_reports(self):
        """The Rebuild queued (or the one already queued or running): it runs in the
        background; report_rebuild tells how far it is."""
        with self.db.transaction() as tx:
            return REBUILD.dump(rebuild_handlers.request_rebuild(tx, self.principal.id))

    @rpc
    def report_rebuild(self, query=None):
        """One Rebuild (none asked: the newest)."""
        query = REBUILD_QUERY.load(query or {})
        rebuild_id = str(query["rebuild_id"]) if query["rebuild_id"] else None
        with self.db.transaction() as tx:
            return REBUILD.dump(rebuild_handlers.rebuild_state(tx, rebuild_id))

    @rpc
    def check_reports(self, query):
        """{"differences": [{day, kind, measure, ours, owner}]}: ticket_day_kind against
        the ticket service's own counts, per day and kind."""
        query = CHECK_QUERY.load(query or {})
        return CHECK.dump(rebuild_handlers.check(self.db, self.as_system, self._owners(),
                                                 query))

    @timer(interval=1)
    def run_rebuilds(self):
        """A queued rebuild run to its end by one replica (a lease), page by page, each
        page's call with a fresh system token; a failed run taken again after a back-off."""
        return rebuild_handlers.run(
            self.db, self._owners(), SNAPSHOT.load,
            int(self.config.get("REPORT_REBUILD_PAGE") or 500), as_system=self.as_system,
            retry_seconds=float(self.config.get("REPORT_REBUILD_RETRY_SECONDS")
                                or rebuild_handlers.RETRY_SECONDS),
            quick_hangup_seconds=self._quick_hangup())

    def _owners(self) -> SimpleNamespace:
        """The owner services a rebuild pages (rebuild_handlers.Source.owner)."""
        return SimpleNamespace(notify=self.notify, ticket=self.tickets, survey=self.surveys)

    def _quick_hangup(self) -> int:
        return int(self.config.get("QUICK_HANGUP_SECONDS") or 5)

    # -- the daily report (R3) -------------------------------------------------------------
    @timer(interval=60, eager=True)
    def make_daily_report(self):
        """Yesterday's report, once the hour has come, made by one replica (the day
        claimed in the same transaction as its event); at start too (eager): a replica
        started after the hour sends a report not made yet."""
        hour = int(self.config.get("REPORT_DAILY_HOUR", 8))  # 0: at midnight
        with self.db.transaction() as tx:
            daily_report_handlers.make_due(tx, datetime.datetime.now(datetime.UTC), hour)

    # -- the ticket events (R1): each one's snapshot keeps the ticket's fact ------------------
    @on_event("ticket", "ticket_created")
    def count_ticket(self, event):
        """The new ticket's fact (without a snapshot: the ticket as accepted)."""
        created = CREATED.load(event["data"])
        self._apply(event, created["snapshot"] or facts.created_fact(created))

    @on_event("ticket", "ticket_updated")
    def ticket_updated(self, event):
        self._apply(event, UPDATED.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_assigned")
    def ticket_assigned(self, event):
        self._apply(event, ROUTED.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_transferred")
    def ticket_transferred(self, event):
        self._apply(event, ROUTED.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_status_changed")
    def ticket_status_changed(self, event):
        self._apply(event, STATUS.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_resolved")
    def ticket_resolved(self, event):
        self._apply(event, STATUS.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_closed")
    def ticket_closed(self, event):
        self._apply(event, STATUS.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_sla_breached")
    def ticket_sla_breached(self, event):
        self._apply(event, BREACHED.load(event["data"])["snapshot"])

    @on_event("ticket", "ticket_dispatched")
    def ticket_dispatched(self, event):
        dispatched = DISPATCHED.load(event["data"])
        self._count_field(event, field_handlers.job_dispatched, dispatched)
        self._apply(event, dispatched["snapshot"])

    @on_event("ticket", "dispatch_handled")
    def dispatch_handled(self, event):
        handled = HANDLED.load(event["data"])
        self._count_field(event, field_handlers.job_handled, handled)
        self._apply(event, handled["snapshot"])

    def _count_field(self, event, handle, loaded: dict) -> None:
        """Field work 外勤: the job's side merged into its fact, field_day's delta — in
        its own transaction, before the ticket fact's, which records the event as
        processed (claim=False here): a retry after either failed does both again, and
        both are idempotent (the job's fact merged, the ticket's by its revision)."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction(claim=False) as tx:
            lag = handle(tx, loaded, occurred_at)
        self._lag(field_handlers.SOURCE, lag)

    def _apply(self, event, snapshot):
        """The fact (if the snapshot is newer), the rollups' deltas, the feed position —
        in one transaction with the other ticket events held by workers at the moment (a
        group commit: the rollups' and the feed's rows written once per group); the lag
        gauge (kefu_report_lag_seconds) set."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        lag = self.groups.submit(self.db, (snapshot, occurred_at), facts.ticket_events)
        self._lag(facts.SOURCE, lag)

    # -- calls and contacts (R1): each call event once, each contact once ---------------------
    @on_event("ticket", "call_recorded")
    def count_call(self, event):
        """The call's fact merged again from every event seen of it; the rollup's delta."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = call_handlers.call_recorded(tx, CALL_RECORDED.load(event["data"]),
                                              occurred_at, self._quick_hangup())
        self._lag(call_handlers.SOURCE, lag)

    @on_event("ticket", "contact_logged")
    def count_contact(self, event):
        """The contact counted once, as logged."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = call_handlers.contact_logged(tx, CONTACT_LOGGED.load(event["data"]),
                                               occurred_at)
        self._lag(call_handlers.SOURCE, lag)

    # -- notifications (issue 13): each message named in notify's outcome events -----------
    @rpc
    def notification_figures(self, query):
        """NotificationFigures: messages sent / delivered / undelivered / failed / skipped
        by period (day, ISO week, month in China) and channel and/or template, as rows,
        every period for every key (Invalid naming `by` above 20,000 rows); messages
        above the caller's clearance are not counted."""
        query = NOTIFICATION_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return NOTIFICATION_FIGURES.dump(
                notification_handlers.notification_figures(tx, self.principal, query))

    @on_event("notify", "notification_sent")
    def count_notification_sent(self, event):
        """Each message named: its fact merged (the highest state told); the delta."""
        self._notification(event)

    @on_event("notify", "notification_delivered")
    def count_notification_delivered(self, event):
        self._notification(event)

    @on_event("notify", "notification_failed")
    def count_notification_failed(self, event):
        self._notification(event)

    def _notification(self, event):
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = notification_handlers.outcome(tx, NOTIFICATION_OUTCOME.load(event["data"]),
                                                occurred_at)
        self._lag(notification_handlers.SOURCE, lag)

    # -- follow-ups and satisfaction (issue 13): the survey service's events ---------------
    @rpc
    def followup_figures(self, query):
        """SurveyFigures of the follow-ups 回访: created / due / done / reached /
        unreachable / missed / done on time by period (day, ISO week, month in China),
        group and agent, as rows, every period for every key (Invalid naming `by` above
        20,000 rows; NotFound: a filter out of the caller's scope)."""
        query = FOLLOWUP_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return SURVEY_FIGURES.dump(survey_handlers.followup_figures(tx, self.principal,
                                                                        query))

    @rpc
    def satisfaction_figures(self, query):
        """SurveyFigures of the answers 满意度: CSAT and NPS with the counts behind them
        by period, agent, group, ticket kind and source, as rows (as followup_figures)."""
        query = SATISFACTION_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return SURVEY_FIGURES.dump(survey_handlers.satisfaction_figures(
                tx, self.principal, query))

    @on_event("survey", "followup_created")
    def count_followup_created(self, event):
        """The task's event kept once; its fact merged again; the rollup's delta."""
        self._followup(event, "created", FOLLOWUP_CREATED)

    @on_event("survey", "followup_missed")
    def count_followup_missed(self, event):
        self._followup(event, "missed", FOLLOWUP_MISSED)

    @on_event("survey", "followup_completed")
    def count_followup_completed(self, event):
        self._followup(event, "completed", FOLLOWUP_COMPLETED)

    def _followup(self, event, name: str, schema):
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = survey_handlers.followup_event(tx, name, schema.load(event["data"]),
                                                 occurred_at)
        self._lag(survey_handlers.FOLLOWUPS, lag)

    @on_event("survey", "survey_answered")
    def count_answer(self, event):
        """The answer counted once, as told."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = survey_handlers.survey_answered(tx, SURVEY_ANSWERED.load(event["data"]),
                                                  occurred_at)
        self._lag(survey_handlers.ANSWERS, lag)

    # -- keypad offers 满意度发送率 and campaign rates (issue 13): snapshot events ---------
    @rpc
    def ivr_offer_figures(self, query):
        """IvrOfferFigures: calls offered the keypad rating, rated, and the rating rate by
        period (day, ISO week, month in China), agent, group and ticket kind, as rows,
        every period for every key (Invalid naming `by` above 20,000 rows; NotFound: a
        filter out of the caller's scope)."""
        query = IVR_OFFER_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return IVR_OFFER_FIGURES.dump(ivr_campaign_handlers.ivr_offer_figures(
                tx, self.principal, query))

    @rpc
    def campaign_figures(self, query):
        """CampaignFigures: each campaign starting in the range (and each agent of it)
        with its invitation, acceptance, attendance and satisfaction counts and rates,
        over the invitations in the caller's scope and clearance, as rows."""
        query = CAMPAIGN_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CAMPAIGN_FIGURES.dump(ivr_campaign_handlers.campaign_figures(
                tx, self.principal, query))

    @on_event("survey", "ivr_offer_updated")
    def count_ivr_offer(self, event):
        """The offer's fact merged (rated only turns true); the rollup's delta."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = ivr_campaign_handlers.offer_updated(
                tx, IVR_OFFER_UPDATED.load(event["data"]), occurred_at)
        self._lag(ivr_campaign_handlers.OFFERS, lag)

    @on_event("survey", "campaign_invitation_updated")
    def count_invitation(self, event):
        """The invitation's fact replaced by a newer revision only; the rollup's delta."""
        self._invitations(event, [INVITATION_UPDATED.load(event["data"])])

    @on_event("survey", "campaign_invitations_listed")
    def count_invitations_listed(self, event):
        """A frozen page of a list: each invitation's first snapshot, as above."""
        self._invitations(event, INVITATIONS_LISTED.load(event["data"])["invitations"])

    def _invitations(self, event, snapshots: list) -> None:
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = ivr_campaign_handlers.invitations_updated(tx, snapshots, occurred_at)
        self._lag(ivr_campaign_handlers.INVITATIONS, lag)

    def _lag(self, source: str, lag: float) -> None:
        self.metrics.metric(Gauge, "kefu_report_lag_seconds",
                            "Seconds from a source's event to its rollups updated",
                            ("source",)).labels(source).set(lag)


SERVICE = ReportService
