"""Gateway routes: customer records, the screen pop, classification and borrowing (C1–C5)."""
from services.common.errors import Invalid
from services.common.rpc import call, gather_settled
from services.customer.contract import records as customer
from services.gateway.http import api, json_object, load_body
from services.vocabulary import ADMINS, AUDITOR, MANAGERS_UP, OPERATORS, STAFF, SUPERVISORS_UP

LOG_READERS = MANAGERS_UP | {AUDITOR}
SCREEN_POP_PARTS = 2.0  # seconds the pop waits for the other services' parts
C = "/api/v1/customers/<customer_id>"


class CustomerRoutes:
    """HTTP routes of the customer archive; the customer service decides access itself."""

    @api("POST", "/api/v1/customers", "Create a person or organization", allow=OPERATORS,
         status=201, body=customer.CustomerCreate, response=customer.Customer)
    def create_customer(self, request):
        return call(self.customer.create_customer, json_object(request), timeout=self.deadline)

    @api("GET", C, "A customer: the card, and the archive when you are cleared (logged)",
         allow=STAFF, response=customer.Customer)
    def get_customer(self, request, customer_id):
        reason = request.args.get("reason", "")[:500]
        return call(self.customer.get_customer, customer_id, reason, timeout=self.deadline)

    @api("PATCH", C, "Change fields your role may write (history kept)", allow=OPERATORS,
         body=customer.CustomerUpdate, response=customer.Customer)
    def update_customer(self, request, customer_id):
        return call(self.customer.update_customer, customer_id, json_object(request),
                    timeout=self.deadline)

    @api("POST", C + "/assets", "Record an owned product or vehicle", allow=OPERATORS,
         status=201, body=customer.AssetIn, response=customer.Customer)
    def add_asset(self, request, customer_id):
        return call(self.customer.add_asset, customer_id, json_object(request),
                    timeout=self.deadline)

    @api("PUT", C + "/classification", "Set level, declassification and owner (managers up)",
         allow=MANAGERS_UP, body=customer.Classification, response=customer.Customer)
    def classify(self, request, customer_id):
        return call(self.customer.classify, customer_id, json_object(request),
                    timeout=self.deadline)

    @api("POST", C + "/phones/unmask", "The phone numbers in full (permission; logged)",
         allow=STAFF, body=customer.UnmaskRequest)
    def unmask_phones(self, request, customer_id):
        reason = load_body(request, customer.UnmaskRequest())["reason"]
        return call(self.customer.unmask_phones, customer_id, reason, timeout=self.deadline)

    @api("GET", C + "/history", "Change history, newest first", allow=SUPERVISORS_UP | LOG_READERS)
    def customer_history(self, request, customer_id):
        return call(self.customer.history, customer_id, _int(request, "limit", 100),
                    timeout=self.deadline)

    @api("POST", C + "/review", "Mark the record reviewed", allow=SUPERVISORS_UP,
         response=customer.Customer)
    def mark_reviewed(self, request, customer_id):
        return call(self.customer.mark_reviewed, customer_id, timeout=self.deadline)

    @api("GET", "/api/v1/customers/review-due", "Records not reviewed for N months",
         allow=SUPERVISORS_UP, query=customer.ReviewDueQuery)
    def review_due(self, request):
        return call(self.customer.review_due, _int(request, "months", 3),
                    _int(request, "limit", 100), timeout=self.deadline)

    @api("GET", C + "/access-log", "The borrowing log of a customer (managers, auditors)",
         allow=LOG_READERS)
    def access_log(self, request, customer_id):
        return call(self.customer.access_log, customer_id, request.args.get("before"),
                    _int(request, "limit", 100), timeout=self.deadline)

    @api("GET", C + "/tickets", "A customer's recent tickets", allow=STAFF)
    def customer_tickets(self, request, customer_id):
        return call(self.ticket.list_for_customer, customer_id, timeout=self.deadline)

    @api("GET", "/api/v1/customers/lookup",
         "Customers by phone (any form), email, number, plate or serial", allow=STAFF,
         query=customer.LookupQuery)
    def lookup(self, request):
        return call(self.customer.lookup, request.args.to_dict(), timeout=self.deadline)

    @api("GET", "/api/v1/screen-pop",
         "Who is calling: none / one with the 360° view / several to tell apart", allow=STAFF,
         query=customer.LookupQuery)
    def screen_pop(self, request):
        found = call(self.customer.lookup, request.args.to_dict(), True, timeout=self.deadline)
        view = found.pop("view", None)
        if view is not None:
            # The other services' parts, in parallel, each under the deadline; a part
            # that fails or is late is named in "unavailable" and the pop still answers.
            [overview] = gather_settled(
                [(self.ticket.customer_overview, (view["id"], 10), {})], SCREEN_POP_PARTS)
            found["view"] = {"customer": view, "open_tickets": None, "tickets": None,
                             "contacts": None, "unavailable": []}
            if isinstance(overview, Exception):
                found["view"]["unavailable"].append("tickets")
            else:
                found["view"].update(open_tickets=overview["open_tickets"],
                                     tickets=overview["recent_tickets"],
                                     contacts=overview["contacts"])
        return found

    @api("POST", "/api/v1/access-requests", "Ask to borrow a top-secret archive",
         allow=MANAGERS_UP, status=201, body=customer.AccessRequestIn,
         response=customer.AccessRequest)
    def request_access(self, request):
        return call(self.customer.request_access, json_object(request), timeout=self.deadline)

    @api("GET", "/api/v1/access-requests", "Borrowing requests (?status=pending)",
         allow=LOG_READERS)
    def access_requests(self, request):
        return call(self.customer.access_requests, request.args.get("status"),
                    _int(request, "limit", 100), timeout=self.deadline)

    @api("POST", "/api/v1/access-requests/<request_id>/approve",
         "Approve a borrowing request (a manager who is not the requester)", allow=MANAGERS_UP,
         response=customer.AccessRequest)
    def approve_access(self, request, request_id):
        return call(self.customer.decide_access_request, request_id, {"decision": "approve"},
                    timeout=self.deadline)

    @api("POST", "/api/v1/access-requests/<request_id>/reject", "Reject a borrowing request",
         allow=MANAGERS_UP, response=customer.AccessRequest)
    def reject_access(self, request, request_id):
        return call(self.customer.decide_access_request, request_id, {"decision": "reject"},
                    timeout=self.deadline)

    @api("GET", "/api/v1/custom-fields", "Custom field definitions", allow=STAFF)
    def custom_fields(self, request):
        return call(self.customer.custom_fields, timeout=self.deadline)

    @api("POST", "/api/v1/custom-fields", "Define or change a custom field (admin)",
         allow=ADMINS, body=customer.CustomFieldIn, response=customer.CustomField)
    def define_custom_field(self, request):
        return call(self.customer.define_custom_field, json_object(request),
                    timeout=self.deadline)


def _int(request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise Invalid("not a number", {name: ["must be a whole number"]}) from exc
