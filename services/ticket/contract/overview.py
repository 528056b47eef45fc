"""The ticket service's part of the screen pop (C3, T8).

RPC: customer_overview(customer_id, limit=10) -> CustomerOverview     STAFF
"""
from marshmallow import Schema, fields, validate

from services.ticket.contract.contacts import Contact


class OverviewQuery(Schema):
    customer_id = fields.UUID(required=True)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class TicketSummary(Schema):
    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    category_id = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    content = fields.String()
    channel = fields.String()
    urgency = fields.String()
    status = fields.String()
    waiting_on = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime()
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    repeat_of = fields.List(fields.String())


class CustomerOverview(Schema):
    open_tickets = fields.List(fields.Nested(TicketSummary))
    recent_tickets = fields.List(fields.Nested(TicketSummary))
    contacts = fields.List(fields.Nested(Contact))
