"""Field dispatch 派单 (T7): RPC inputs and outputs of the ticket service.

RPC (service name "ticket"):
  dispatch_ticket(ticket_id, data: DispatchIn) -> Dispatch                       OPERATORS
      after-sales tickets only (Conflict otherwise, and for resolved/closed/cancelled
      tickets); Invalid when staff_id is not an active field staff member or there is
      no address; NotFound for an unknown ticket.  A new dispatch of the same ticket
      (rescheduling) cancels the open one.  Emits ticket_dispatched (TicketDispatched).
  record_handling(dispatch_id, data: HandlingIn) -> Dispatch                     FIELD
      the field staff member's own dispatch only (NotFound otherwise); one handling
      record per dispatch (Conflict on a second, or on a cancelled dispatch) — a
      correction is a new dispatch.  Sets the ticket's fee and paid flag.
  dispatches(state="open", staff_id=None, limit=50, after=None) -> DispatchPage  SUPERVISORS_UP
      state open (every open job) or overdue (window passed, no handling record).
  my_jobs(limit=50, after=None) -> DispatchPage                                  FIELD
  dispatches_of_ticket(ticket_id) -> {"dispatches": [Dispatch]}                 STAFF
Timer: flag_overdue_dispatches every 5 s (SKIP LOCKED; a trail row "dispatch_overdue").
"""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

STATES = ("open", "overdue")  # what the supervisors' list shows
DISPATCH_STATES = ("open", "handled", "cancelled")


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
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    price = fields.Decimal(required=True, places=2, as_string=True,
                           validate=validate.Range(min=0, max=10_000_000))


class HandlingIn(Schema):
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
    state = fields.String()
    overdue = fields.Boolean()
    flagged_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    handling = fields.Nested(Handling, allow_none=True)


class DispatchQuery(Schema):
    state = fields.String(load_default="open", validate=validate.OneOf(STATES))
    staff_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class JobsQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DispatchPage(Schema):
    dispatches = fields.List(fields.Nested(Dispatch))
    next = fields.String(allow_none=True)


class DispatchList(Schema):
    dispatches = fields.List(fields.Nested(Dispatch))
