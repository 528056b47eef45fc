"""Notification figures (issue 13, R1, R2): messages sent / delivered / undelivered /
failed / skipped per channel and template, by period.

Each message counts once, on the China day it was made (its created_at — whenever its
receipt came), by its latest state: sent (the provider took it: sent, delivered or
undelivered), delivered / undelivered (by the provider's receipt; SMS only: e-mail,
robots and webhooks stay sent), failed (any other permanent failure, attempts used up),
skipped (opted out, no address, frequency caps).  delivery_rate = delivered / sent,
failure_rate = (failed + undelivered) / (sent + failed); null when nothing to divide.

Answered as rows (no object per point): `columns` names each row's fields — period
(the period's first day), the grouped dimensions (channel, template: the template's
name, '' for a message without one), sent, delivered, undelivered, failed, skipped,
delivery_rate, failure_rate — every period of the range for every key found (zeros
where none), in key then period order; at most 20,000 rows (more: Invalid naming `by`).

Department-level figures: supervisors up, admins and auditors read every channel and
template; messages to customers above the reader's clearance are not counted.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

from services.report.contract.figures import PERIODS

DIMENSIONS = ("channel", "template")
CHANNELS = ("sms", "email", "robot", "webhook", "inbox")


class NotificationFiguresQuery(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list,
                     validate=validate.Length(max=len(DIMENSIONS)),
                     metadata={"description": "channel, template"})
    channel = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(CHANNELS))
    template = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=64),
                             metadata={"description": "a template's name"})


class NotificationFigures(Schema):
    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    period = fields.String(metadata={"enum": PERIODS})
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last notification event applied happened (null: none)"})
    columns = fields.List(fields.String())
    rows = fields.List(fields.Raw(), metadata={
        "description": "one list per row, in `columns` order (period as YYYY-MM-DD)"})


# -- what the report reads of notify (notify's contract cannot be imported here: notify
# imports the report's contract for daily_report).  tests/unit/report/
# test_notification_facts.py holds these equal to what notify's schemas dump.
_CODE = validate.Length(max=64)
MAX_MESSAGES = 1000  # messages named by one of notify's events (its MAX_MESSAGES)


class NotifiedMessage(Schema):
    """One message named in an outcome event: id, creation time, level."""

    class Meta:
        unknown = EXCLUDE

    message_id = fields.String(required=True, validate=_CODE)
    created_at = fields.AwareDateTime(required=True)
    level = fields.Integer(load_default=0)


class NotificationOutcome(Schema):
    """notify's notification_sent / _delivered / _failed as the report reads them
    (notify's contract/events.py)."""

    class Meta:
        unknown = EXCLUDE

    channel = fields.String(required=True, validate=validate.Length(max=20))
    template = fields.String(allow_none=True, load_default=None, validate=_CODE)
    status = fields.String(required=True, validate=validate.Length(max=20))
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    messages = fields.List(fields.Nested(NotifiedMessage), load_default=list,
                           validate=validate.Length(max=MAX_MESSAGES))


class NotifiedRecord(Schema):
    """One message of notify's report_notifications pages (its contract/report_feed.py)."""

    class Meta:
        unknown = EXCLUDE

    message_id = fields.String(required=True, validate=_CODE)
    channel = fields.String(required=True, validate=validate.Length(max=20))
    template = fields.String(allow_none=True, load_default=None, validate=_CODE)
    created_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True, validate=validate.Length(max=20))
    reason = fields.String(allow_none=True, load_default=None,
                           validate=validate.Length(max=200))
    level = fields.Integer(load_default=0)


class NotifiedPage(Schema):
    class Meta:
        unknown = EXCLUDE

    notifications = fields.List(fields.Nested(NotifiedRecord),
                                validate=validate.Length(max=1000))  # a page's most
