"""Time (T6): SLA targets per kind x urgency, business hours, the working-day calendar,
personal reminders and the due view."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common.zone import CHINA
from services.ticket.contract.pages import list_of, page_cursor, page_size
from services.ticket.contract.tickets import KINDS, URGENCIES, TicketSummary

MAX_TARGET_MINUTES = 60 * 24 * 365  # business minutes: far beyond any real target
MINUTES = validate.Range(min=1, max=MAX_TARGET_MINUTES)


class SlaPolicyIn(Schema):
    response_minutes = fields.Integer(required=True, strict=True, validate=MINUTES)
    resolution_minutes = fields.Integer(required=True, strict=True, validate=MINUTES)


class SlaPolicyKey(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))


class SlaPolicy(Schema):
    kind = fields.String()
    urgency = fields.String()
    response_minutes = fields.Integer()
    resolution_minutes = fields.Integer()
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()


SlaPolicies = list_of(SlaPolicy, "policies", "SlaPolicies")


class BusinessHoursIn(Schema):
    timezone = fields.String(load_default=CHINA.key, validate=validate.Length(max=64))
    start = fields.Time(required=True)
    end = fields.Time(required=True)

    @validates("timezone")
    def _zone(self, value, **_):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError("unknown time zone") from exc


class BusinessHours(Schema):
    timezone = fields.String()
    start = fields.Time(format="%H:%M")
    end = fields.Time(format="%H:%M")
    updated_at = fields.AwareDateTime()
    updated_by = fields.String()


class CalendarQuery(Schema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")


class CalendarDayIn(Schema):
    workday = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class CalendarDay(Schema):
    day = fields.Date()
    workday = fields.Boolean()
    source = fields.String()  # override / chinese_calendar / weekend_rule
    note = fields.String()


class CalendarView(Schema):
    days = fields.List(fields.Nested(CalendarDay))
    unknown_years = fields.List(fields.Integer())  # years only the weekend rule covers


class ReminderIn(Schema):
    at = fields.AwareDateTime(load_default=None, allow_none=True)
    in_minutes = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=1, max=60 * 24 * 366))
    in_hours = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=24 * 366))
    in_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                             validate=validate.Range(min=1, max=366))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class Reminder(Schema):
    id = fields.String()
    ticket_id = fields.String()
    serial = fields.String()
    staff_id = fields.String()
    due_at = fields.AwareDateTime()
    note = fields.String()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)


class ReminderQuery(Schema):
    pending = fields.Boolean(load_default=True)
    cursor = page_cursor()
    limit = page_size(50, 200)


ReminderList = list_of(Reminder, "reminders", "ReminderList", cursor="next")


class DueQuery(Schema):
    breached = fields.Boolean(load_default=False)
    group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    cursor = page_cursor()
    limit = page_size(50, 200)


class DueTicket(TicketSummary):
    """A ticket in the due view: the summary's routing and due times, with its clock."""

    class Meta:
        exclude = ("category_id", "customer_id", "subject", "content", "channel", "waiting_on",
                   "acceptor_id", "updated_at", "resolved_at", "closed_at", "repeat_of")

    first_response_at = fields.AwareDateTime(allow_none=True)
    paused_since = fields.AwareDateTime(allow_none=True)
    escalated_at = fields.AwareDateTime(allow_none=True)
    response_escalated_at = fields.AwareDateTime(allow_none=True)
    breached = fields.Boolean()


DueList = list_of(DueTicket, "tickets", "DueList", cursor="next")
