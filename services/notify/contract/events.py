"""What notify publishes (no phone number or address in any of them)."""
from marshmallow import Schema, fields, validate

UNDELIVERED = "undelivered"  # the reason of a failed message whose receipt said so
MAX_MESSAGES = 1000  # messages named by one event (a larger outcome: several events)
_ID = validate.Length(max=64)
_WORD = validate.Length(max=40)


class NotifiedMessage(Schema):
    """One message of an outcome: its id, when it was made, its level — nothing else
    (the report keeps one fact per message from these)."""

    message_id = fields.String(required=True, validate=validate.Length(max=64))
    created_at = fields.AwareDateTime(required=True)
    level = fields.Integer(load_default=0)


class NotificationOutcome(Schema):
    """notification_sent (the provider took them), notification_delivered (the
    provider's receipt said delivered) and notification_failed (permanent error,
    attempts used up, undelivered — reason `undelivered` —, or skipped with a reason:
    opted out, no address, caps): one event per kind of outcome of a sender's round — its
    channel, template, batch, purpose, status and reason — with how many messages had
    it and, since issue 13, which (`messages`: ids, creation times and levels only)."""

    channel = fields.String(required=True, validate=_WORD)
    template_id = fields.String(allow_none=True, load_default=None, validate=_ID)
    template = fields.String(allow_none=True, load_default=None,
                             validate=validate.Length(max=64),
                             metadata={"description": "the template's name (its code)"})
    batch_id = fields.String(allow_none=True, load_default=None, validate=_ID)
    purpose = fields.String(required=True, validate=_WORD)
    status = fields.String(required=True, validate=_WORD)
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    count = fields.Integer(required=True)
    level = fields.Integer(load_default=0, metadata={"description": "the highest level of "
                                                                    "the customers concerned"})
    at = fields.AwareDateTime(required=True)
    messages = fields.List(fields.Nested(NotifiedMessage), load_default=list,
                           validate=validate.Length(max=MAX_MESSAGES),
                           metadata={"description": "the messages counted (ids only)"})
