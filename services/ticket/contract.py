"""The ticket service's public face: RPC inputs/outputs and event payloads.

RPC (service name "ticket"):
  create_ticket(data: TicketCreate, idempotency_key=None) -> Ticket   Invalid, NotFound
  list_for_customer(customer_id, limit=20) -> {"tickets": [Ticket]}
  health() -> {"service": "ticket", "ok": true}                       public
Events: ticket_created (TicketCreated).
"""
from marshmallow import EXCLUDE, Schema, fields, validate

SERVICE = "ticket"
KINDS = ("consultation", "after_sales", "complaint", "suggestion")
CHANNELS = ("phone", "web", "sms", "email", "fax", "walk_in", "wechat")
URGENCIES = ("low", "medium", "high", "urgent")


class TicketCreate(Schema):
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    channel = fields.String(load_default="phone", validate=validate.OneOf(CHANNELS))
    urgency = fields.String(load_default="medium", validate=validate.OneOf(URGENCIES))


class Ticket(Schema):
    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    customer_id = fields.String()
    content = fields.String()
    channel = fields.String()
    urgency = fields.String()
    status = fields.String()
    acceptor_id = fields.String()
    accepted_at = fields.AwareDateTime()


class CustomerTickets(Schema):
    customer_id = fields.UUID(required=True)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TicketList(Schema):
    tickets = fields.List(fields.Nested(Ticket))


class TicketCreated(Schema):
    """Payload of ticket_created (consumers ignore unknown fields)."""

    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    kind = fields.String(required=True)
    customer_id = fields.String(required=True)
    channel = fields.String(required=True)
    urgency = fields.String(required=True)
    acceptor_id = fields.String(required=True)
    accepted_at = fields.AwareDateTime(required=True)
