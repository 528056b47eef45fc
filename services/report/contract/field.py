"""Field work 外勤 — the service department's own accounts (R1, R2), and the biggest
customers by service count.

field_figures: per period (day, ISO week, month in China), optionally by field staff
member (`staff`) and ticket category (`category`), answered as rows (`columns` names
each row's values, in order):
  period (the period's first day), staff_id / category_id when grouped by them,
  dispatched  jobs sent that period (a rescheduled job counts each time it was sent),
  handled     jobs done (a visit that did the job, by its finish),
  minutes     minutes on site of the handled jobs (arrival to finish, whole minutes;
              exact sum — hours = minutes / 60), timed: the handled jobs with both times,
  parts       parts used (total quantity),
  fee_fen     fees charged for the handled jobs (integer fen, exact), paid_fen: of those,
              the ones paid 收费 (fees collected),
  late        handled jobs finished after their appointment window ended.
Every period of the range for every key found, zeros where none; at most 20,000 rows
(more: Invalid naming `by`, or `from` when not grouped).  Scope: a field staff member
reads only their own figures (a staff_id filter naming another is NotFound);
supervisors, managers up, admins and the auditor read everyone's.

top_customers: the customers with the most tickets accepted in [from, to] (≤ 92 days),
then the most field jobs sent, top `limit` (≤ 100): customer ids and counts only.  A
ticket or job counts only when its customer's confidentiality level (as the ticket
service told it) is within the reader's clearance.
"""
from marshmallow import Schema, fields, validate

from services.report.contract.figures import PERIODS

DIMENSIONS = ("staff", "category")
_NAME = validate.Length(min=1, max=100)


class FieldFiguresQuery(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list,
                     validate=validate.Length(max=len(DIMENSIONS)),
                     metadata={"description": "staff (field staff member), category"})
    staff_id = fields.String(load_default=None, allow_none=True, validate=_NAME)
    category_id = fields.String(load_default=None, allow_none=True, validate=_NAME)


class FieldFigures(Schema):
    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    period = fields.String(metadata={"enum": PERIODS})
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last field event applied happened (null: none)"})
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()), metadata={
        "description": "one list per row, values in `columns` order"})


class TopCustomersQuery(Schema):
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 92 days)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TopCustomers(Schema):
    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    as_of = fields.AwareDateTime(allow_none=True)
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()), metadata={
        "description": "[customer_id, tickets, field_jobs], most tickets first"})
