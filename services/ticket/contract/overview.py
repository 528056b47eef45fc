"""The ticket service's part of the screen pop (C3, T8): a customer's open and recent
tickets and recent contacts."""
from marshmallow import Schema, fields

from services.ticket.contract.contacts import Contact
from services.ticket.contract.pages import page_size
from services.ticket.contract.tickets import TicketSummary


class OverviewQuery(Schema):
    customer_id = fields.UUID(required=True)
    limit = page_size(10, 50)


# The screen pop's ticket: the summary without who accepted it, when it changed and
# its other due and end times.
POP_TICKET = ("id", "serial", "kind", "category_id", "subject", "content", "channel", "urgency",
              "status", "waiting_on", "group_name", "assignee_id", "accepted_at",
              "resolution_due_at", "repeat_of", "level", "content_withheld")


class CustomerOverview(Schema):
    open_tickets = fields.List(fields.Nested(TicketSummary, only=POP_TICKET))
    recent_tickets = fields.List(fields.Nested(TicketSummary, only=POP_TICKET))
    contacts = fields.List(fields.Nested(Contact))
