"""The report service 业务统计: ticket rollups kept from the ticket events' snapshots and
call and contact rollups 话务报表 from the telephony events and the contact log (R1),
read by period, grouping and filters (R2), rebuilt from and checked against the ticket
service (R4).

Each operation: load with its contract schema, one handler in one transaction (or given
the database when it needs several or calls another service), dump.  The index of
operations and events is contract/__init__.py.
"""
import datetime

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.common.db import Database
from services.common.events import EnvelopeSchema, on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Gauge, Metrics
from services.common.rpc import proxy, rpc_entrypoints
from services.report import contract
from services.report.contract import calls, daily, figures, rebuild
from services.report.dependencies import SystemIdentity
from services.report.handlers import calls as call_handlers
from services.report.handlers import daily_report as daily_report_handlers
from services.report.handlers import facts
from services.report.handlers import figures as figure_handlers
from services.report.handlers import rebuild as rebuild_handlers
from services.ticket.contract import events as ticket_events

rpc = rpc_entrypoints(contract.CONTRACT)
DAILY_QUERY, DAILY_SERIES = daily.DailyQuery(), daily.DailySeries()
FIGURES_QUERY, FIGURES, BACKLOG_QUERY, BACKLOG = (
    figures.FiguresQuery(), figures.TicketFigures(), figures.BacklogQuery(), figures.Backlog())
REBUILD, REBUILD_QUERY, CHECK_QUERY, CHECK = (
    rebuild.Rebuild(), rebuild.RebuildQuery(), rebuild.CheckQuery(), rebuild.Check())
CALL_QUERY, CALL_FIGURES = calls.CallFiguresQuery(), calls.CallFigures()
# -- events of the ticket service: each carries the ticket's snapshot
ENVELOPE, SNAPSHOT = EnvelopeSchema(), ticket_events.TicketSnapshot()
CREATED, UPDATED, ROUTED, STATUS, BREACHED, DISPATCHED, HANDLED = (
    ticket_events.TicketCreated(), ticket_events.TicketUpdated(), ticket_events.TicketRouted(),
    ticket_events.TicketStatusChanged(), ticket_events.TicketSlaBreached(),
    ticket_events.TicketDispatched(), ticket_events.DispatchHandled())
CALL_RECORDED, CONTACT_LOGGED = ticket_events.CallRecorded(), ticket_events.ContactLogged()


class ReportService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    config = Config()
    as_system = SystemIdentity()
    tickets = proxy("ticket")

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
            return FIGURES.dump(figure_handlers.ticket_figures(tx, self.principal, query))

    @rpc
    def ticket_backlog(self, query):
        """{"as_of", "series"}: open tickets at the end of each day (by kind or group)."""
        query = BACKLOG_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return BACKLOG.dump(figure_handlers.ticket_backlog(tx, self.principal, query))

    @rpc
    def call_figures(self, query):
        """CallFigures: calls and contacts 话务报表 by period (day, ISO week, month in
        China), grouped by queue, agent, hour of day, every period for every key
        (Invalid naming `by` above 20,000 points; NotFound: another agent's filter)."""
        query = CALL_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CALL_FIGURES.dump(call_handlers.call_figures(tx, self.principal, query,
                                                                self._quick_hangup()))

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
        return CHECK.dump(rebuild_handlers.check(self.db, self.as_system, self.tickets, query))

    @timer(interval=1)
    def run_rebuilds(self):
        """A queued rebuild run to its end by one replica (a lease), page by page, each
        page's call with a fresh system token; a failed run taken again after a back-off."""
        return rebuild_handlers.run(
            self.db, self.tickets, SNAPSHOT.load,
            int(self.config.get("REPORT_REBUILD_PAGE") or 500), as_system=self.as_system,
            retry_seconds=float(self.config.get("REPORT_REBUILD_RETRY_SECONDS")
                                or rebuild_handlers.RETRY_SECONDS),
            quick_hangup_seconds=self._quick_hangup())

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
        self._apply(event, DISPATCHED.load(event["data"])["snapshot"])

    @on_event("ticket", "dispatch_handled")
    def dispatch_handled(self, event):
        self._apply(event, HANDLED.load(event["data"])["snapshot"])

    def _apply(self, event, snapshot):
        """One transaction: the fact (if the snapshot is newer), the rollups' deltas, the
        feed position; the lag gauge (kefu_report_lag_seconds) set."""
        occurred_at = ENVELOPE.load(event)["occurred_at"]
        with self.db.transaction() as tx:
            lag = facts.ticket_event(tx, snapshot, occurred_at)
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

    def _lag(self, source: str, lag: float) -> None:
        self.metrics.metric(Gauge, "kefu_report_lag_seconds",
                            "Seconds from a source's event to its rollups updated",
                            ("source",)).labels(source).set(lag)


SERVICE = ReportService
