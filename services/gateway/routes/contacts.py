"""Gateway routes: the contact log and telephony call events (T8)."""
from services.common.rpc import call
from services.gateway.http import api, json_object
from services.ticket.contract import contacts as schemas
from services.vocabulary import INTEGRATIONS, OPERATORS, STAFF, SUPERVISORS_UP


class ContactsRoutes:
    @api("POST", "/api/v1/contacts",
         "Log a call or message with its IVR path (Idempotency-Key honoured)",
         allow=OPERATORS, status=201, body=schemas.ContactIn, response=schemas.Contact)
    def log_contact(self, request):
        key = request.headers.get("Idempotency-Key") or None
        return call(self.ticket.log_contact, json_object(request), key, timeout=self.deadline)

    @api("GET", "/api/v1/customers/<customer_id>/contacts",
         "A customer's contacts, newest first (?before=<next>)", allow=STAFF,
         query=schemas.ContactQuery, response=schemas.ContactPage)
    def customer_contacts(self, request, customer_id):
        return call(self.ticket.contacts_for_customer, customer_id,
                    request.args.get("limit", 20), request.args.get("before"),
                    timeout=self.deadline)

    @api("GET", "/api/v1/tickets/<ticket_id>/contacts",
         "A ticket's contacts, newest first (?before=<next>)", allow=STAFF,
         query=schemas.ContactQuery, response=schemas.ContactPage)
    def ticket_contacts(self, request, ticket_id):
        return call(self.ticket.contacts_for_ticket, ticket_id,
                    request.args.get("limit", 20), request.args.get("before"),
                    timeout=self.deadline)

    @api("POST", "/api/v1/telephony/call-events",
         "Call events from the telephony system: one event or {events: [...]}; a retry "
         "of the same (call_id, event) changes nothing (telephony integration only)",
         allow=INTEGRATIONS, body=schemas.CallEventBatch, response=schemas.CallEventsResult)
    def telephony_call_events(self, request):
        return call(self.ticket.record_call_events, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/calls/stats",
         "Call statistics per queue: offered, answered, abandoned, answer rate, wait "
         "(?from=&to= dates or date-times; default today)", allow=SUPERVISORS_UP,
         query=schemas.StatsQuery, response=schemas.CallStats)
    def call_stats(self, request):
        return call(self.ticket.call_stats, request.args.get("from"), request.args.get("to"),
                    timeout=self.deadline)
