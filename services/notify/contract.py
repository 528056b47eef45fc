"""The notify service's public face.

RPC (service name "notify"):
  inbox(limit=50) -> {"items": [InboxItem]}     the caller's own notices, newest first
  health() -> {"service": "notify", "ok": true}  public
Consumes: ticket.ticket_created.
"""
from marshmallow import Schema, fields, validate

SERVICE = "notify"


class InboxQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class InboxItem(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class Inbox(Schema):
    items = fields.List(fields.Nested(InboxItem))
