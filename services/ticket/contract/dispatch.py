"""Field dispatch 派单 (T7): a job sent to a field staff member, its handling record
(one per dispatch: a correction is a new dispatch), and the lists of open and overdue
jobs (window passed, no handling record)."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.ticket.contract.pages import list_of, page_cursor, page_size

STATES = ("open", "overdue")  # what the supervisors' list shows
PART_PRICE = ("unit price charged to the customer, yuan; optional: leave it out (or null) "
              "for a part not charged on its own (under warranty, or included in the "
              "fee), recorded with a null price")


class DispatchIn(Schema):
    staff_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=500))
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and not start < end:
            raise ValidationError("must be after window_start", "window_end")


class Part(Schema):
    """A part used on the job 配件: its name, how many, and `price`, the unit price
    charged to the customer (yuan).  `price` is optional: a part not charged for on its
    own (replaced under warranty, or included in the job's `fee`) is left without one
    and recorded with a null price — no charge for that part, not a price of 0 typed
    by someone.  The ticket's fee is the handling record's `fee`, never a sum of parts."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    price = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                           validate=validate.Range(min=0, max=10_000_000),
                           metadata={"description": PART_PRICE})


class HandlingIn(Schema):
    """The handling record 处理记录 of a field job, by the field staff member it was sent
    to, once: whether the job was done (if not, `reason`), the parts used (Part: a price
    only for parts charged on their own), the `fee` charged for the whole job and
    whether it was `paid` (both become the ticket's).  Refused on a closed or cancelled
    ticket."""

    done = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    parts = fields.List(fields.Nested(Part), load_default=list,
                        validate=validate.Length(max=100))
    fee = fields.Decimal(load_default=Decimal("0"), places=2, as_string=True,
                         validate=validate.Range(min=0, max=10_000_000))
    paid = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    arrived_at = fields.AwareDateTime(load_default=None, allow_none=True)
    finished_at = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("done") is False and not (data.get("reason") or "").strip():
            raise ValidationError("say why the job was not done", "reason")
        arrived, finished = data.get("arrived_at"), data.get("finished_at")
        if arrived and finished and finished < arrived:
            raise ValidationError("must not be before arrived_at", "finished_at")


class Handling(Schema):
    done = fields.Boolean()
    reason = fields.String()
    parts = fields.List(fields.Nested(Part))
    fee = fields.Decimal(places=2, as_string=True)
    paid = fields.Boolean()
    note = fields.String()
    arrived_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    staff_id = fields.String()
    recorded_at = fields.AwareDateTime()


class Dispatch(Schema):
    """A field job; of a classified customer (`level`, C4) its address, note and the
    handling record's note and reason are withheld from those not cleared, and
    `content_withheld` says why."""

    id = fields.String()
    ticket_id = fields.String()
    serial = fields.String()
    kind = fields.String()
    ticket_status = fields.String()
    staff_id = fields.String()
    dispatcher_id = fields.String()
    address = fields.String()
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    note = fields.String()
    state = fields.String()  # open / handled / cancelled
    overdue = fields.Boolean()
    flagged_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    handling = fields.Nested(Handling, allow_none=True)
    level = fields.Integer()
    content_withheld = fields.String()


class JobsQuery(Schema):
    limit = page_size(50, 200)
    after = page_cursor()


class DispatchQuery(JobsQuery):
    state = fields.String(load_default="open", validate=validate.OneOf(STATES))
    staff_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=100))


DispatchPage = list_of(Dispatch, "dispatches", "DispatchPage", cursor="next")
DispatchList = list_of(Dispatch, "dispatches", "DispatchList")
