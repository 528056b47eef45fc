"""The notify service's public face.

RPC (service name "notify"):
  inbox(limit=50, unread=False) -> {"items": [InboxItem]}   the caller's own notices,
                                                            newest first
  mark_read(item_id) -> InboxItem                           one's own; others NotFound
  health() -> {"service": "notify", "ok": true}             public
Consumes (each a reliable handler, one notice per recipient per event):
  ticket.ticket_created        -> the acceptor
  ticket.ticket_assigned       -> each of notify_staff_ids
  ticket.ticket_transferred    -> each of notify_staff_ids
  ticket.ticket_dispatched     -> the field staff member (address, appointment window)
  ticket.ticket_sla_breached   -> each of notify_staff_ids (supervisors / managers)
  ticket.ticket_reminder_due   -> the staff member who set the reminder
"""
from marshmallow import Schema, fields, validate

SERVICE = "notify"


class InboxQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    unread = fields.Boolean(load_default=False)


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
