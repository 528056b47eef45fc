"""Gateway routes: workflow (T4) — transitions, transfer, accept, hand back; queues
(T5) with counts; the on-duty flag.  The ticket service decides scope itself."""
from services.common.rpc import call
from services.gateway.http import api, json_object, load_body, load_query
from services.ticket.contract import workflow as wf
from services.vocabulary import STAFF

T = "/api/v1/tickets/<ticket_id>"


class WorkflowRoutes:
    @api("POST", T + "/transitions", "Move a ticket along the status graph (409 names from/to)",
         allow=STAFF, body=wf.TransitionIn, response=wf.Routed)
    def post_transition(self, request, ticket_id):
        return call(self.ticket.transition_ticket, ticket_id, json_object(request),
                    timeout=self.deadline)

    @api("POST", T + "/transfer",
         "Transfer to a group, a person, or any on-duty member of a group", allow=STAFF,
         body=wf.TransferIn, response=wf.Routed)
    def post_transfer(self, request, ticket_id):
        return call(self.ticket.transfer_ticket, ticket_id, json_object(request),
                    timeout=self.deadline)

    @api("POST", T + "/accept", "Take the ticket (assigned, or unassigned in your group)",
         allow=STAFF, response=wf.Routed)
    def post_accept(self, request, ticket_id):
        return call(self.ticket.accept_ticket, ticket_id, timeout=self.deadline)

    @api("POST", T + "/hand-back", "Return the ticket to its group's queue (note required)",
         allow=STAFF, body=wf.HandBackIn, response=wf.Routed)
    def post_hand_back(self, request, ticket_id):
        return call(self.ticket.hand_back_ticket, ticket_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/tickets", "Queues: mine, my group's unassigned, all; keyset pages",
         allow=STAFF, query=wf.QueueQuery, response=wf.QueuePage)
    def ticket_queue(self, request):
        load_query(request, wf.QueueQuery())  # a bad parameter is a 400 naming it
        return call(self.ticket.list_tickets, request.args.to_dict(), timeout=self.deadline)

    @api("GET", "/api/v1/queues/counts", "My queue counts, and my groups' unassigned",
         allow=STAFF, response=wf.QueueCounts)
    def ticket_queue_counts(self, request):
        return call(self.ticket.queue_counts, timeout=self.deadline)

    @api("PUT", "/api/v1/me/duty", "Go on or off duty", allow=STAFF, body=wf.DutyIn,
         response=wf.Duty)
    def set_my_duty(self, request):
        return call(self.ticket.set_duty, load_body(request, wf.DutyIn()),
                    timeout=self.deadline)

    @api("GET", "/api/v1/groups/<name>/duty", "Who of a group is on duty", allow=STAFF,
         response=wf.GroupDuty)
    def group_duty_list(self, request, name):
        return call(self.ticket.group_duty, name, timeout=self.deadline)
