"""The report service 业务统计: rollups built from other services' events (R1, the first).

Each operation: load with its contract schema, one handler in one transaction,
dump.  The index of operations and events is contract/__init__.py.
"""
from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Metrics
from services.common.rpc import rpc_entrypoints
from services.report import contract
from services.report.contract import daily as schemas
from services.report.handlers import daily
from services.ticket.contract import events as ticket_events

rpc = rpc_entrypoints(contract.CONTRACT)
DAILY_QUERY, DAILY_SERIES = schemas.DailyQuery(), schemas.DailySeries()
TICKET_CREATED = ticket_events.TicketCreated()


class ReportService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()

    # -- tickets per day and kind -----------------------------------------------------
    @rpc
    def tickets_daily(self, from_day, to_day):
        """Tickets per day and kind between two days inclusive: {"series": [...]}."""
        query = DAILY_QUERY.load({"from": from_day, "to": to_day})
        with self.db.transaction() as tx:
            return DAILY_SERIES.dump(daily.tickets_daily(tx, self.principal, query))

    @on_event("ticket", "ticket_created")
    def count_ticket(self, event):
        """Count the ticket on its business day and kind (once per event)."""
        with self.db.transaction() as tx:
            daily.count_ticket(tx, TICKET_CREATED.load(event["data"]))


SERVICE = ReportService
