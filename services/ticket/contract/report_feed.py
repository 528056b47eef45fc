"""The report feed (issue 13): what the report service's system identity reads to
rebuild its ticket facts (every ticket's snapshot, keyset paged by id) and to check its
rollups (the ticket service's own counts by China day x kind)."""
from marshmallow import Schema, ValidationError, fields, validates_schema

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
