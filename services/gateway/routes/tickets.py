"""Gateway routes: tickets — accepting, the detail with its trail, categories and forms (T1–T3)."""
from services.common.identity import STAFF
from services.common.rpc import call
from services.gateway.http import api, json_object


class TicketRoutes:
    @api("POST", "/api/v1/tickets", "Accept a ticket (Idempotency-Key honoured)", allow=STAFF,
         status=201)
    def create_ticket(self, request):
        key = request.headers.get("Idempotency-Key") or None
        return call(self.ticket.create_ticket, json_object(request), key, timeout=self.deadline)
