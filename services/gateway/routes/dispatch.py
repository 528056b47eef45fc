"""Gateway routes: field dispatch 派单 (T7) — send a job to field staff, the handling
record, "my jobs", the supervisors' open and overdue lists."""
from services.common.rpc import call
from services.gateway.http import api, json_object
from services.ticket.contract import dispatch as schemas
from services.vocabulary import FIELD_STAFF, OPERATORS, STAFF, SUPERVISORS_UP


class DispatchRoutes:
    @api("POST", "/api/v1/tickets/<ticket_id>/dispatch",
         "Dispatch an after-sales ticket to a field staff member (reschedules an open one)",
         allow=OPERATORS, status=201, body=schemas.DispatchIn, response=schemas.Dispatch)
    def dispatch_ticket(self, request, ticket_id):
        return call(self.ticket.dispatch_ticket, ticket_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/tickets/<ticket_id>/dispatches",
         "A ticket's dispatches with their handling records, newest first", allow=STAFF,
         response=schemas.DispatchList)
    def ticket_dispatches(self, request, ticket_id):
        return call(self.ticket.dispatches_of_ticket, ticket_id, timeout=self.deadline)

    @api("POST", "/api/v1/dispatches/<dispatch_id>/handling",
         "Record the handling of your own dispatch (field staff; once per dispatch)",
         allow=FIELD_STAFF, status=201, body=schemas.HandlingIn, response=schemas.Dispatch)
    def record_handling(self, request, dispatch_id):
        return call(self.ticket.record_handling, dispatch_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/me/jobs", "My open field jobs by appointment (field staff)",
         allow=FIELD_STAFF, query=schemas.JobsQuery, response=schemas.DispatchPage)
    def my_jobs(self, request):
        args = request.args
        return call(self.ticket.my_jobs, args.get("limit", 50), args.get("after"),
                    timeout=self.deadline)

    @api("GET", "/api/v1/dispatches",
         "Open dispatches, or ?state=overdue: window passed without a handling record",
         allow=SUPERVISORS_UP, query=schemas.DispatchQuery, response=schemas.DispatchPage)
    def list_dispatches(self, request):
        args = request.args
        return call(self.ticket.dispatches, args.get("state", "open"), args.get("staff_id"),
                    args.get("limit", 50), args.get("after"), timeout=self.deadline)
