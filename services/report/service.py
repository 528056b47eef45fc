"""The report service 业务统计: rollups built from other services' events."""
from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import STAFF, rpc
from services.common.metrics import Metrics
from services.report import contract, domain, store
from services.ticket.contract import TicketCreated


class ReportService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    metrics = Metrics()

    @on_event("ticket", "ticket_created")
    def count_ticket(self, event):
        """Count the ticket on its business day and kind (once per event)."""
        ticket = TicketCreated().load(event["data"])
        with self.db.transaction() as tx:
            store.add_ticket(tx.cur, domain.business_day(ticket["accepted_at"]), ticket["kind"])

    @rpc(allow=STAFF)
    def tickets_daily(self, from_day, to_day):
        """Tickets per day and kind between two days inclusive: {"series": [...]}."""
        query = contract.DailyQuery().load({"from": from_day, "to": to_day})
        with self.db.transaction() as tx:
            rows = store.tickets_daily(tx.cur, query["from_day"], query["to_day"])
        return contract.DailySeries().dump({"series": rows})


SERVICE = ReportService
