"""What notify publishes (no phone number or address in any of them)."""
from marshmallow import Schema, fields


class NotificationOutcome(Schema):
    """notification_sent (the provider took it) and notification_failed (permanent
    error, attempts used up, or skipped with a reason)."""

    message_id = fields.String(required=True)
    channel = fields.String(required=True)
    template_id = fields.String(allow_none=True, load_default=None)
    purpose = fields.String(required=True)
    batch_id = fields.String(allow_none=True, load_default=None)
    customer_id = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    level = fields.Integer(load_default=0)
    at = fields.AwareDateTime(required=True)
