"""The workflow (T4), the queues (T5) and duty 值班: a step and its answer (the ticket
and the trail row), queue lists and counts, who is on duty.  Lists in HTTP query
strings are comma separated (`status=new,assigned`)."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.common.fields import Moment
from services.ticket.contract.pages import list_of, page_size
from services.ticket.contract.tickets import (
    KINDS,
    STATUSES,
    URGENCIES,
    TicketSummary,
    TrailEntry,
)

VIEWS = ("mine", "group_unassigned", "all")
WAITING_ON = ("customer", "parts")
MAX_PAGE = 100
NAME = validate.Length(min=1, max=100)


class CommaList(fields.List):
    """A list, also accepted as one comma-separated string (HTTP query strings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as err:  # name the parameter, not "status.0"
            messages = err.messages
            if isinstance(messages, dict):
                messages = sorted({str(m) for ms in messages.values() for m in ms})
            raise ValidationError(messages) from err


class TransitionIn(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    waiting_on = fields.String(allow_none=True, load_default=None,
                               validate=validate.OneOf(WAITING_ON))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class TransferIn(Schema):
    group = fields.String(validate=NAME, metadata={"description": "unassigned in this group"})
    staff_id = fields.String(validate=NAME, metadata={"description": "to this person"})
    any_on_duty_of = fields.String(
        validate=NAME, metadata={"description": "to the on-duty member of this group "
                                                "assigned least recently"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def exactly_one_target(self, data, **kwargs):
        given = [k for k in ("group", "staff_id", "any_on_duty_of") if data.get(k)]
        if len(given) != 1:
            raise ValidationError("give exactly one of group, staff_id, any_on_duty_of",
                                  "target")


class HandBackIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


# A ticket in a queue or in a step's answer: the summary, without repeat_of.
NOT_IN_QUEUES = ("repeat_of",)


class Routed(Schema):
    """The ticket after the step, and the trail row the step wrote."""

    ticket = fields.Nested(TicketSummary, exclude=NOT_IN_QUEUES)
    step = fields.Nested(TrailEntry)


# The short names of the queue's date filters, as the README writes them: (short, full).
SHORT_NAMES = (("from", "accepted_from"), ("to", "accepted_to"))


class QueueQuery(Schema):
    view = fields.String(load_default="mine", validate=validate.OneOf(VIEWS))
    group = fields.String(validate=NAME,
                          metadata={"description": "group_unassigned: this group only"})
    status = CommaList(fields.String(validate=validate.OneOf(STATUSES)),
                       validate=validate.Length(min=1, max=len(STATUSES)))
    customer_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(KINDS))
    category_id = fields.UUID()
    urgency = CommaList(fields.String(validate=validate.OneOf(URGENCIES)),
                        validate=validate.Length(min=1, max=len(URGENCIES)))
    accepted_from = Moment(metadata={"description": "accepted at or after (or `from`)"})
    accepted_to = Moment(metadata={"description": "accepted before (or `to`)"})
    # The short names (SHORT_NAMES); one name per date, not both.
    short_from = Moment(data_key="from", load_only=True,
                        metadata={"description": "accepted_from, for short"})
    short_to = Moment(data_key="to", load_only=True,
                      metadata={"description": "accepted_to, for short"})
    text = fields.String(validate=validate.Length(min=2, max=100),
                         metadata={"description": "words in the content, or a serial"})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = page_size(20, MAX_PAGE)

    @validates_schema
    def one_name_per_date(self, data, **kwargs):
        for short, full in SHORT_NAMES:
            if f"short_{short}" in data and full in data:
                raise ValidationError(f"give {short} or {full}, not both", short)

    @validates_schema
    def ordered_dates(self, data, **kwargs):
        start = data.get("accepted_from", data.get("short_from"))
        end = data.get("accepted_to", data.get("short_to"))
        if start and end and start >= end:
            start_name = "accepted_from" if "accepted_from" in data else "from"
            raise ValidationError(f"must be after {start_name}",
                                  "accepted_to" if "accepted_to" in data else "to")

    @post_load
    def full_names(self, data, **kwargs):
        for short, full in SHORT_NAMES:
            if f"short_{short}" in data:
                data[full] = data.pop(f"short_{short}")
        return data


QueuePage = list_of(TicketSummary, "tickets", "QueuePage", cursor="next_cursor",
                    exclude=NOT_IN_QUEUES)


class StatusCounts(Schema):
    new = fields.Integer()
    assigned = fields.Integer()
    in_progress = fields.Integer()
    waiting = fields.Integer()
    resolved = fields.Integer()


class GroupCounts(Schema):
    group = fields.String()
    unassigned = fields.Nested(StatusCounts)
    total = fields.Integer()


class QueueCounts(Schema):
    mine = fields.Nested(StatusCounts)
    mine_total = fields.Integer()
    groups = fields.List(fields.Nested(GroupCounts))


class DutyIn(Schema):
    on_duty = fields.Boolean(required=True)


class Duty(Schema):
    staff_id = fields.String(attribute="id")
    username = fields.String()
    display_name = fields.String()
    on_duty = fields.Boolean()
    active = fields.Boolean()
    last_assigned_at = fields.AwareDateTime(allow_none=True)


class GroupDuty(Schema):
    group = fields.String()
    members = fields.List(fields.Nested(Duty))
