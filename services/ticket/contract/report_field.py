"""The report feed of field work 外勤 (issue 13): every field job (dispatch) with what
its handling record counts, keyset paged by dispatch id, for the report's rebuild; and
the ticket service's own per-day counts for the report's check.  The report's system
identity only (contract lines).  No address, note nor part names: only what is counted."""
from marshmallow import Schema, fields, validate

from services.ticket.contract.pages import page_size

_TEXT = validate.Length(max=100)


class ReportDispatchesPage(Schema):
    after = fields.UUID(load_default=None, allow_none=True,
                        metadata={"description": "the previous page's `next`; null: first"})
    limit = page_size(500, 1000)


class ReportDispatch(Schema):
    """One field job as counted: who it was sent to and when (`dispatched_at`), its
    ticket's category, customer and level; when its handling record says it was done:
    `handled_at` (its finish, never after it was recorded), the arrival and finish as
    entered, the parts' total quantity, the fee (yuan, exact) and whether it was paid.
    A job not done (or not yet handled) has `handled_at` null."""

    dispatch_id = fields.String(required=True, validate=_TEXT)
    ticket_id = fields.String(required=True, validate=_TEXT)
    staff_id = fields.String(required=True, validate=_TEXT)
    customer_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    category_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    level = fields.Integer(load_default=0)
    dispatched_at = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(allow_none=True, load_default=None)
    handled_at = fields.AwareDateTime(allow_none=True, load_default=None)
    arrived_at = fields.AwareDateTime(allow_none=True, load_default=None)
    finished_at = fields.AwareDateTime(allow_none=True, load_default=None)
    parts = fields.Integer(allow_none=True, load_default=None)
    fee = fields.Decimal(allow_none=True, load_default=None, places=2, as_string=True)
    paid = fields.Boolean(allow_none=True, load_default=None)


class ReportDispatches(Schema):
    dispatches = fields.List(fields.Nested(ReportDispatch), validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportDispatchDayCount(Schema):
    """One China day: jobs dispatched that day (every dispatch, a rescheduled one too),
    jobs handled (done) that day by their finish, and the fees of those jobs in fen."""

    day = fields.Date()
    dispatched = fields.Integer()
    handled = fields.Integer()
    fee_fen = fields.Integer()


class ReportDispatchCounts(Schema):
    counts = fields.List(fields.Nested(ReportDispatchDayCount))
