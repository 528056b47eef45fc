"""RPC schemas of the ticket service's time area (T6).

RPC (service "ticket"):
  sla_policies() -> SlaPolicies                                          staff
  set_sla_policy(kind, urgency, data: SlaPolicyIn) -> SlaPolicy          admin
  business_hours() -> BusinessHours                                      staff
  set_business_hours(data: BusinessHoursIn) -> BusinessHours            admin
  calendar(query: CalendarQuery) -> CalendarView                         staff
  set_calendar_day(day, data: CalendarDayIn) -> CalendarDay              admin
  delete_calendar_day(day) -> CalendarDay (back to the built-in rule)    admin
  remind(ticket_id, data: ReminderIn) -> Reminder                        staff, for themself
  my_reminders(query: ReminderQuery) -> ReminderList                     staff
  cancel_reminder(reminder_id) -> Reminder                               staff, own only
  due_tickets(query: DueQuery) -> DueList                                supervisors up
Events: ticket_sla_breached (contract.TicketSlaBreached), ticket_reminder_due
(contract.TicketReminderDue).
"""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.ticket.contract.tickets import KINDS, URGENCIES

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


class SlaPolicies(Schema):
    policies = fields.List(fields.Nested(SlaPolicy))


class BusinessHoursIn(Schema):
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
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
    cursor = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReminderList(Schema):
    reminders = fields.List(fields.Nested(Reminder))
    next = fields.String(allow_none=True)


class DueQuery(Schema):
    breached = fields.Boolean(load_default=False)
    group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    cursor = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class DueTicket(Schema):
    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    urgency = fields.String()
    status = fields.String()
    group_name = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime()
    first_response_at = fields.AwareDateTime(allow_none=True)
    response_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    paused_since = fields.AwareDateTime(allow_none=True)
    escalated_at = fields.AwareDateTime(allow_none=True)
    response_escalated_at = fields.AwareDateTime(allow_none=True)
    breached = fields.Boolean()


class DueList(Schema):
    tickets = fields.List(fields.Nested(DueTicket))
    next = fields.String(allow_none=True)
