"""Gateway routes: tickets — accepting, the detail with its trail, updates, categories
and their forms, and the repeat-detection rules (T1–T4)."""
from services.common.rpc import call
from services.gateway.http import api, json_object
from services.ticket.contract import forms as contract_forms
from services.ticket.contract import tickets as contract
from services.vocabulary import ADMINS, OPERATORS, STAFF

T = "/api/v1/tickets/<ticket_id>"
CATEGORY = "/api/v1/ticket-categories/<category_id>"


class TicketRoutes:
    @api("POST", "/api/v1/tickets", "Accept a ticket (Idempotency-Key honoured)",
         allow=STAFF, status=201, body=contract.TicketCreate, response=contract.Ticket)
    def create_ticket(self, request):
        key = request.headers.get("Idempotency-Key") or None
        return call(self.ticket.create_ticket, json_object(request), key, timeout=self.deadline)

    @api("GET", T, "A ticket: the record, the whole trail, the final handler, its repeats "
         "(field staff: only their own)", allow=STAFF, response=contract_forms.TicketDetail)
    def get_ticket(self, request, ticket_id):
        return call(self.ticket.get_ticket, ticket_id, timeout=self.deadline)

    @api("PATCH", T, "Change subject, form values, contact, urgency, fee, paid or category",
         allow=OPERATORS, body=contract_forms.TicketUpdate,
         response=contract_forms.TicketDetail)
    def update_ticket(self, request, ticket_id):
        return call(self.ticket.update_ticket, ticket_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/ticket-categories", "Categories by kind (?kind=, ?include_inactive=)",
         allow=STAFF, query=contract_forms.CategoryQuery, response=contract_forms.CategoryList)
    def list_categories(self, request):
        return call(self.ticket.list_categories, request.args.to_dict(), timeout=self.deadline)

    @api("POST", "/api/v1/ticket-categories", "Create a category with its form (admin)",
         allow=ADMINS, status=201, body=contract_forms.CategoryIn,
         response=contract_forms.Category)
    def create_category(self, request):
        return call(self.ticket.create_category, json_object(request), timeout=self.deadline)

    @api("GET", CATEGORY, "A category with its form", allow=STAFF,
         response=contract_forms.Category)
    def get_category(self, request, category_id):
        return call(self.ticket.get_category, category_id, timeout=self.deadline)

    @api("PATCH", CATEGORY, "Rename, change the form, (de)activate a category (admin)",
         allow=ADMINS, body=contract_forms.CategoryUpdate, response=contract_forms.Category)
    def update_category(self, request, category_id):
        return call(self.ticket.update_category, category_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/ticket-settings/repeat", "Repeat detection per kind (T3)",
         allow=STAFF, response=contract_forms.RepeatRules)
    def repeat_rules(self, request):
        return call(self.ticket.repeat_rules, timeout=self.deadline)

    @api("PUT", "/api/v1/ticket-settings/repeat", "Set one kind's repeat window and "
         "similarity threshold (admin)", allow=ADMINS, body=contract_forms.RepeatRule,
         response=contract_forms.RepeatRule)
    def set_repeat_rule(self, request):
        return call(self.ticket.set_repeat_rule, json_object(request), timeout=self.deadline)
