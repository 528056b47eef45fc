"""Tickets (T2, T3): the record as accepted and as it is now, the ticket as lists show
it, the trail step, and the kinds, statuses, channels and urgencies every other area
uses."""
from marshmallow import Schema, fields, validate

from services.common.fields import Json, PhoneNumber
from services.ticket.contract.pages import list_of, page_size

KINDS = ("consultation", "after_sales", "complaint", "suggestion")
AFTER_SALES_TYPES = ("delivery", "installation", "repair", "maintenance", "return", "exchange")
STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed", "cancelled")
CHANNELS = ("phone", "web", "sms", "email", "fax", "walk_in", "wechat")
URGENCIES = ("low", "medium", "high", "urgent")
MAX_FORM_FIELDS = 50  # fields of a category's form, and so values of a ticket's form
MAX_FORM_VALUE = 10_000  # a form value's size (services.common.fields.Json units)


def form_values(**kwargs) -> fields.Dict:
    """A ticket's form values by field name, bounded before the category's form checks
    them (issue 9, finding 2): as many as a form has fields, names as long as a field's
    name may be, each value (text, number, list, an address's parts; null removes one in
    an update) bounded in size and nesting."""
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                       values=Json(max_length=MAX_FORM_VALUE, max_depth=4, allow_none=True),
                       validate=validate.Length(max=MAX_FORM_FIELDS), **kwargs)


class TicketContact(Schema):
    """The contact used for a ticket (may differ from the customer's own card): name,
    phone (normalised), relation."""

    name = fields.String(load_default="", validate=validate.Length(max=100))
    phone = PhoneNumber(allow_none=True, load_default=None)
    relation = fields.String(load_default="", validate=validate.Length(max=50))


class TicketCreate(Schema):
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    channel = fields.String(load_default="phone", validate=validate.OneOf(CHANNELS))
    urgency = fields.String(load_default="medium", validate=validate.OneOf(URGENCIES))
    # T1/T2 (optional, so older callers keep working); see contract.forms for the rules.
    category_id = fields.UUID(allow_none=True, load_default=None)
    subject = fields.String(allow_none=True, load_default=None,
                            validate=validate.Length(max=200))
    form = form_values(load_default=dict)
    contact = fields.Nested(TicketContact, allow_none=True, load_default=None)
    asset_serial = fields.String(allow_none=True, load_default=None,
                                 validate=validate.Length(min=1, max=64))
    fee = fields.Decimal(allow_nan=False, as_string=True, load_default=None,
                         validate=validate.Range(min=0, max=9999999999.99))
    paid = fields.Boolean(load_default=False)
    group_name = fields.String(allow_none=True, load_default=None,
                               validate=validate.Length(min=1, max=64))


class TicketSummary(Schema):
    """A ticket as lists show it: the queues and a workflow step's answer (without
    `repeat_of`), the screen pop (fewer fields, see contract.overview) and the due view
    (contract.sla.DueTicket, with the clock).  The record (Ticket) extends it.

    `level` is the customer's confidentiality level, which its tickets inherit (C4).
    Of a classified customer's ticket, those not cleared to read it — and every list of
    many customers' tickets — get the identity only: no content, subject, form, contact
    or asset, and `content_withheld` says why (opening the ticket is what the borrowing
    log records).  The contact's phone is always masked (`138****8000`)."""

    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    category_id = fields.String(allow_none=True)
    customer_id = fields.String()
    subject = fields.String(allow_none=True)
    content = fields.String()
    channel = fields.String()
    urgency = fields.String()
    status = fields.String()
    waiting_on = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    acceptor_id = fields.String()
    accepted_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    response_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    repeat_of = fields.List(fields.String())
    level = fields.Integer()
    content_withheld = fields.String()


class Ticket(TicketSummary):
    """The whole record: the summary, the form, contact and asset, money, and the clock."""

    form = fields.Dict()
    contact = fields.Dict()
    asset_serial = fields.String(allow_none=True)
    warranty = fields.String()  # in / out / unknown
    fee = fields.Decimal(as_string=True)
    paid = fields.Boolean()
    first_response_at = fields.AwareDateTime(allow_none=True)
    paused_since = fields.AwareDateTime(allow_none=True)
    paused_seconds = fields.Integer()
    escalated_at = fields.AwareDateTime(allow_none=True)


class TrailEntry(Schema):
    """One step of a ticket's trail (T4): who, when, from, to, note."""

    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    from_handler = fields.String(allow_none=True)
    to_handler = fields.String(allow_none=True)
    note = fields.String()


class ReadReason(Schema):
    """Why a ticket is opened: written to the borrowing log when it is a classified
    customer's (C4)."""

    reason = fields.String(load_default="", validate=validate.Length(max=500))


class CustomerTickets(Schema):
    customer_id = fields.UUID(required=True)
    limit = page_size(20, 100)


TicketList = list_of(Ticket, "tickets", "TicketList")
