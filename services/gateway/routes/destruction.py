"""Gateway routes: customer destruction 销毁 (C6), mixed into GatewayService.

The customer service decides everything (roles, order, clearance); these
routes only carry the call under the gateway's deadline.
"""
from services.common.rpc import call
from services.customer.contract import destruction as schemas
from services.gateway.http import api, json_object, load_query
from services.vocabulary import AUDITOR, FRONT_LINE, GENERAL_MANAGER, MANAGER, SUPERVISOR

APPROVERS = frozenset({SUPERVISOR, MANAGER, GENERAL_MANAGER})
READERS = FRONT_LINE | {AUDITOR}


def _optional_object(request) -> dict:
    """The JSON body when there is one; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    return json_object(request)


class DestructionRoutes:
    """HTTP routes for customer destruction; uses the gateway's RPC proxies and deadline."""

    @api("POST", "/api/v1/customers/<customer_id>/destruction-requests",
         "Ask for a customer to be destroyed (销毁): approved in order by supervisor, "
         "manager, general manager", allow=FRONT_LINE, status=201,
         body=schemas.DestructionRequestIn, response=schemas.DestructionRequest)
    def request_destruction(self, request, customer_id):
        return call(self.customer.request_destruction, customer_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/destruction-requests", "Destruction requests, newest first",
         allow=READERS, query=schemas.DestructionQuery, response=schemas.DestructionRequestList)
    def destruction_requests(self, request):
        query = load_query(request, schemas.DestructionQuery())
        return call(self.customer.destruction_requests, query["status"], query["limit"],
                    timeout=self.deadline)

    @api("GET", "/api/v1/destruction-requests/<request_id>",
         "A destruction request with its decisions", allow=READERS,
         response=schemas.DestructionRequest)
    def destruction_request(self, request, request_id):
        return call(self.customer.destruction_request, request_id, timeout=self.deadline)

    @api("POST", "/api/v1/destruction-requests/<request_id>/approve",
         "Approve at your step (409 when out of order); the third approval erases the person",
         allow=APPROVERS, body=schemas.ApprovalIn, response=schemas.DestructionRequest)
    def approve_destruction(self, request, request_id):
        return call(self.customer.approve_destruction, request_id, _optional_object(request),
                    timeout=self.deadline)

    @api("POST", "/api/v1/destruction-requests/<request_id>/reject",
         "Reject at your step, with a comment; the request ends", allow=APPROVERS,
         body=schemas.RejectionIn, response=schemas.DestructionRequest)
    def reject_destruction(self, request, request_id):
        return call(self.customer.reject_destruction, request_id, json_object(request),
                    timeout=self.deadline)
