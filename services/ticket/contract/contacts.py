"""The contact log and call events (T8): what callers send and what they get back.
A contact list is newest first, keyset (started_at, id); call events are stored once
per (call_id, event); call statistics take dates in China (`to` inclusive) or aware
date-times."""

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.fields import Moment
from services.ticket.contract.pages import list_of, page_cursor, page_size
from services.ticket.contract.tickets import CHANNELS

DIRECTIONS = ("in", "out")
CALL_EVENTS = ("offered", "answered", "abandoned", "queued", "ended")
_IVR_STEP = fields.String(validate=validate.Length(min=1, max=100))


class ContactIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    agent_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=100))
    started_at = fields.AwareDateTime(load_default=None, allow_none=True)
    duration_seconds = fields.Integer(load_default=0,
                                      validate=validate.Range(min=0, max=7 * 24 * 3600))
    ivr_path = fields.List(_IVR_STEP, load_default=list, validate=validate.Length(max=30))
    customer_id = fields.UUID(load_default=None, allow_none=True)
    ticket_id = fields.UUID(load_default=None, allow_none=True)
    call_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=100))
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class Contact(Schema):
    """A contact as logged; of a classified customer (`level`, C4) the note is withheld
    from those not cleared and `content_withheld` says why."""

    id = fields.String()
    channel = fields.String()
    direction = fields.String()
    agent_id = fields.String(allow_none=True)
    started_at = fields.AwareDateTime()
    duration_seconds = fields.Integer()
    ivr_path = fields.List(fields.String())
    customer_id = fields.String(allow_none=True)
    ticket_id = fields.String(allow_none=True)
    call_id = fields.String(allow_none=True)
    note = fields.String()
    logged_by = fields.String()
    logged_at = fields.AwareDateTime()
    level = fields.Integer()
    content_withheld = fields.String()


class ContactQuery(Schema):
    limit = page_size(20, 100)
    before = page_cursor()


ContactPage = list_of(Contact, "contacts", "ContactPage", cursor="next")


class CallEventIn(Schema):
    """One event as the telephony system reports it; fields it adds are ignored."""

    class Meta:
        unknown = EXCLUDE

    call_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    event = fields.String(required=True, validate=validate.OneOf(CALL_EVENTS))
    at = fields.AwareDateTime(required=True)
    caller = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    queue = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=100))
    agent_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=100))
    wait_seconds = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=0, max=24 * 3600))
    ivr_path = fields.List(_IVR_STEP, load_default=list, validate=validate.Length(max=30))


class CallEventBatch(Schema):
    class Meta:
        unknown = EXCLUDE

    events = fields.List(fields.Nested(CallEventIn), required=True,
                         validate=validate.Length(min=1, max=500))


class CallEventsResult(Schema):
    accepted = fields.Integer()     # new events stored now
    duplicates = fields.Integer()   # (call_id, event) already stored: nothing changed


class StatsQuery(Schema):
    from_ = Moment(data_key="from", load_default=None, allow_none=True)
    to = Moment(end=True, load_default=None, allow_none=True)


class QueueStats(Schema):
    queue = fields.String(allow_none=True)   # None: the total over every queue
    offered = fields.Integer()
    answered = fields.Integer()
    abandoned = fields.Integer()
    answer_rate = fields.Float(allow_none=True)
    avg_wait_seconds = fields.Float(allow_none=True)
    p90_wait_seconds = fields.Float(allow_none=True)


class CallStats(Schema):
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()
    total = fields.Nested(QueueStats)
    queues = fields.List(fields.Nested(QueueStats))
