"""Sends 发送 (N3): one message, a bulk batch with its progress, a message's status."""
from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import Moment, PhoneNumber
from services.customer.contract.search import SegmentQuery
from services.notify.contract.templates import CHANNELS, LOCALES

MAX_AHEAD = timedelta(days=366)


def within_a_year(moment: datetime) -> None:
    """A scheduled send is at most a year ahead (a typo like 9999 is refused)."""
    if moment > datetime.now(UTC) + MAX_AHEAD:
        raise ValidationError("at most a year ahead")


STATUSES = ("queued", "sending", "sent", "delivered", "failed", "skipped")
PARAMS = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                     values=fields.String(validate=validate.Length(max=500)),
                     load_default=dict, validate=validate.Length(max=30),
                     metadata={"description": "the template's variables by name, as text"})


class To(Schema):
    """Exactly one: a customer (their first phone / email), a phone or an email."""

    customer_id = fields.UUID()
    phone = PhoneNumber()
    email = fields.Email(validate=validate.Length(max=254))

    @validates_schema
    def _one(self, data, **kwargs):
        if len(data) != 1:
            raise ValidationError("give exactly one of customer_id, phone, email", "to")


class SendIn(Schema):
    template = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the template's name (its current "
                                                      "version is used)"})
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))
    to = fields.Nested(To, required=True)
    params = PARAMS
    not_before = Moment(validate=within_a_year,
                        metadata={"description": "not before this time (else at once, "
                                                 "quiet hours allowing; at most a year "
                                                 "ahead)"})


class Message(Schema):
    id = fields.String()
    channel = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    to = fields.String(metadata={"description": "masked: 138****8000, z***@example.com"})
    customer_id = fields.String(allow_none=True)
    level = fields.Integer()
    template = fields.String(allow_none=True)
    template_version = fields.Integer(allow_none=True)
    purpose = fields.String()
    subject = fields.String()
    content = fields.String(metadata={"description": "withheld (empty) above the "
                                                     "caller's clearance"})
    content_withheld = fields.Boolean()
    batch_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    not_before = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)


class MessageQuery(Schema):
    customer_id = fields.UUID()
    batch_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    before = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "the `next` of the previous page"})

    @validates_schema
    def _one(self, data, **kwargs):
        if not data.get("customer_id") and not data.get("batch_id"):
            raise ValidationError("give customer_id or batch_id", "customer_id")


class MessagePage(Schema):
    messages = fields.List(fields.Nested(Message))
    next = fields.String(allow_none=True)


class Recipient(Schema):
    """One line of an uploaded list."""

    customer_id = fields.UUID()
    phone = PhoneNumber()
    email = fields.Email(validate=validate.Length(max=254))
    params = PARAMS

    @validates_schema
    def _one(self, data, **kwargs):
        if len([k for k in ("customer_id", "phone", "email") if k in data]) != 1:
            raise ValidationError("give exactly one of customer_id, phone, email", "phone")


class BatchIn(Schema):
    """A bulk send: to a customer segment (the customer service's filters) or to a
    list (≤ 10,000 lines; a customer segment has no such bound)."""

    template = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(required=True, validate=validate.OneOf(("sms", "email")))
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))
    title = fields.String(load_default="", validate=validate.Length(max=200))
    segment = fields.Nested(SegmentQuery(exclude=("cursor", "limit", "count")))
    recipients = fields.List(fields.Nested(Recipient), validate=validate.Length(min=1,
                                                                                 max=10_000))
    params = PARAMS
    not_before = Moment(validate=within_a_year)
    all_customers = fields.Boolean(
        load_default=False,
        metadata={"description": "a segment with no filter is every customer: say so"})

    @validates_schema
    def _one(self, data, **kwargs):
        if ("segment" in data) == ("recipients" in data):
            raise ValidationError("give exactly one of segment, recipients", "segment")
        if "segment" in data and not data["segment"] and not data["all_customers"]:
            raise ValidationError("no filter: every customer; name a filter, or send "
                                  "all_customers: true", "segment")


class Progress(Schema):
    queued = fields.Integer()
    sending = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()


class Batch(Schema):
    id = fields.String()
    title = fields.String()
    template = fields.String()
    template_version = fields.Integer()
    channel = fields.String()
    state = fields.String(metadata={"description": "accepted, queuing (recipients being "
                                                   "queued), queued (all are), failed"})
    total = fields.Integer(metadata={"description": "recipients queued so far"})
    progress = fields.Nested(Progress)
    skipped_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    done = fields.Boolean(metadata={"description": "every message sent, delivered, "
                                                   "failed or skipped"})
    error = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    queued_at = fields.AwareDateTime(allow_none=True)


class BatchQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class BatchList(Schema):
    batches = fields.List(fields.Nested(Batch))


CHANNEL_NAMES = CHANNELS
