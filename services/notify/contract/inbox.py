"""The staff inbox 站内信: what a caller asks of it and what it answers."""
from marshmallow import Schema, fields, validate


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
