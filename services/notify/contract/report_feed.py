"""The report feed (issue 13): what the report service's system identity reads to
rebuild its notification facts (every message's outcome, keyset paged by id — no
address, recipient nor content) and to check its rollups (notify's own counts per China
day and channel).  A message counts on the China day it was made: sent once the
provider took it (sent, delivered, or failed with reason `undelivered`), delivered,
undelivered, failed (any other failure), skipped (opted out, no address, caps)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_DAYS = 400


class ReportNotificationsPage(Schema):
    after = fields.UUID(load_default=None, allow_none=True,
                        metadata={"description": "the previous page's `next`; null: first"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class ReportNotification(Schema):
    """One message as the report counts it."""

    message_id = fields.String(required=True, validate=validate.Length(max=64))
    channel = fields.String(required=True, validate=validate.Length(max=20))
    template = fields.String(allow_none=True, load_default=None,
                             validate=validate.Length(max=64))
    created_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True, validate=validate.Length(max=20))
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    level = fields.Integer(load_default=0)


class ReportNotifications(Schema):
    notifications = fields.List(fields.Nested(ReportNotification))
    next = fields.String(allow_none=True, metadata={"description": "null: last page"})


class ReportNotificationCountsQuery(Schema):
    """Days in China (Asia/Shanghai), both included, at most MAX_DAYS."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")
        if (data["to"] - data["from_"]).days + 1 > MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days", "to")


class ReportNotificationDayCount(Schema):
    day = fields.Date()
    channel = fields.String()
    sent = fields.Integer()
    delivered = fields.Integer()
    undelivered = fields.Integer()
    failed = fields.Integer()
    skipped = fields.Integer()


class ReportNotificationCounts(Schema):
    counts = fields.List(fields.Nested(ReportNotificationDayCount))
