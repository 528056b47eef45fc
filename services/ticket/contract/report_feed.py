"""The report feed (issue 13): what the report service's system identity reads to
rebuild its ticket facts (every ticket's snapshot, keyset paged by id) and its call and
contact facts (every call's events, keyset paged by call id; every contact, by id), and
to check its rollups (the ticket service's own counts by China day x kind, and its call
counts by China day)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.ticket.contract.events import TicketSnapshot
from services.ticket.contract.pages import page_size

MAX_DAYS = 400


class ReportPage(Schema):
    after = fields.UUID(load_default=None, allow_none=True,
                        metadata={"description": "the previous page's `next`; null: first"})
    limit = page_size(500, 1000)


class ReportTickets(Schema):
    tickets = fields.List(fields.Nested(TicketSnapshot))
    next = fields.String(allow_none=True, metadata={"description": "null: last page"})


class ReportCountsQuery(Schema):
    """Days in China (Asia/Shanghai), both included, at most MAX_DAYS."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")
        if (data["to"] - data["from_"]).days + 1 > MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days", "to")


class ReportDayCount(Schema):
    """One China day x kind: tickets accepted that day (created; of those, the ones
    reopened since, the repeats, the response and resolution breaches), and tickets
    resolved, closed and cancelled that day."""

    day = fields.Date()
    kind = fields.String()
    created = fields.Integer()
    resolved = fields.Integer()
    closed = fields.Integer()
    cancelled = fields.Integer()
    reopened_tickets = fields.Integer()
    repeats = fields.Integer()
    response_breached = fields.Integer()
    resolution_breached = fields.Integer()


class ReportCounts(Schema):
    counts = fields.List(fields.Nested(ReportDayCount))


# -- calls and contacts 话务报表: what the report rebuilds its call rollups from ---------
_TEXT = validate.Length(max=100)


class ReportCallsPage(Schema):
    after = fields.String(load_default=None, allow_none=True, validate=_TEXT,
                          metadata={"description": "the previous page's `next`; null: first"})
    limit = page_size(500, 1000)


class ReportCallEvent(Schema):
    event = fields.String(required=True, validate=_TEXT)
    at = fields.AwareDateTime(required=True)
    queue = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    agent_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    wait_seconds = fields.Integer(allow_none=True, load_default=None)


class ReportCall(Schema):
    """One telephony call: every event stored of it (one per event name)."""

    call_id = fields.String(required=True, validate=_TEXT)
    events = fields.List(fields.Nested(ReportCallEvent), validate=validate.Length(max=10))


class ReportCalls(Schema):
    calls = fields.List(fields.Nested(ReportCall), validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportContact(Schema):
    """One contact of the log as counted (no customer, no IVR path, no note)."""

    contact_id = fields.String(required=True, validate=_TEXT)
    ticket_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    channel = fields.String(required=True, validate=_TEXT)
    direction = fields.String(required=True, validate=_TEXT)
    agent_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    started_at = fields.AwareDateTime(required=True)
    duration_seconds = fields.Integer(required=True)
    call_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)


class ReportContacts(Schema):
    contacts = fields.List(fields.Nested(ReportContact), validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportCallDayCount(Schema):
    """One China day: calls first offered that day (else first heard of) — offered, and
    of those the answered and the abandoned — and phone contacts out that started that
    day (outbound attempts)."""

    day = fields.Date()
    offered = fields.Integer()
    answered = fields.Integer()
    abandoned = fields.Integer()
    outbound = fields.Integer()


class ReportCallCounts(Schema):
    counts = fields.List(fields.Nested(ReportCallDayCount))
