"""What notify publishes (no phone number or address in any of them)."""
from marshmallow import Schema, fields


class NotificationOutcome(Schema):
    """notification_sent (the provider took them) and notification_failed (permanent
    error, attempts used up, undelivered, or skipped with a reason): one event per kind
    of outcome of a sender's round — its channel, template, batch, purpose, status and
    reason — with how many messages had it."""

    channel = fields.String(required=True)
    template_id = fields.String(allow_none=True, load_default=None)
    batch_id = fields.String(allow_none=True, load_default=None)
    purpose = fields.String(required=True)
    status = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    count = fields.Integer(required=True)
    level = fields.Integer(load_default=0, metadata={"description": "the highest level of "
                                                                    "the customers concerned"})
    at = fields.AwareDateTime(required=True)
