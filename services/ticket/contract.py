"""The ticket service's public face: RPC inputs/outputs and event payloads.

The core record and every event payload live here; the schemas of each area's
RPC calls live in contract_<area>.py (forms, workflow, sla, dispatch, contacts,
knowledge).

RPC (service name "ticket"):
  create_ticket(data: TicketCreate, idempotency_key=None) -> Ticket   Invalid, NotFound
  list_for_customer(customer_id, limit=20) -> {"tickets": [Ticket]}
  health() -> {"service": "ticket", "ok": true}                       public
Events (payload schema): ticket_created (TicketCreated), ticket_assigned and
ticket_transferred (TicketRouted), ticket_status_changed (TicketStatusChanged),
ticket_resolved and ticket_closed (TicketStatusChanged), ticket_sla_breached
(TicketSlaBreached), ticket_dispatched (TicketDispatched), ticket_reminder_due
(TicketReminderDue), contact_logged (ContactLogged), call_recorded (CallRecorded).
"""
from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.fields import PhoneNumber

SERVICE = "ticket"
KINDS = ("consultation", "after_sales", "complaint", "suggestion")
AFTER_SALES_TYPES = ("delivery", "installation", "repair", "maintenance", "return", "exchange")
STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed", "cancelled")
CHANNELS = ("phone", "web", "sms", "email", "fax", "walk_in", "wechat")
URGENCIES = ("low", "medium", "high", "urgent")


class TicketCreate(Schema):
    customer_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    channel = fields.String(load_default="phone", validate=validate.OneOf(CHANNELS))
    urgency = fields.String(load_default="medium", validate=validate.OneOf(URGENCIES))
    # T1/T2 (optional, so older callers keep working); see contract_forms for the rules.
    category_id = fields.UUID(allow_none=True, load_default=None)
    subject = fields.String(allow_none=True, load_default=None,
                            validate=validate.Length(max=200))
    form = fields.Dict(keys=fields.String(), load_default=dict)
    contact = fields.Nested(Schema.from_dict({
        "name": fields.String(load_default="", validate=validate.Length(max=100)),
        "phone": PhoneNumber(allow_none=True, load_default=None),
        "relation": fields.String(load_default="", validate=validate.Length(max=50)),
    }, name="TicketContact"), allow_none=True, load_default=None)
    asset_serial = fields.String(allow_none=True, load_default=None,
                                 validate=validate.Length(min=1, max=64))
    fee = fields.Decimal(allow_nan=False, as_string=True, load_default=None,
                         validate=validate.Range(min=0, max=9999999999.99))
    paid = fields.Boolean(load_default=False)
    group_name = fields.String(allow_none=True, load_default=None,
                               validate=validate.Length(min=1, max=64))


class Ticket(Schema):
    id = fields.String()
    serial = fields.String()
    kind = fields.String()
    customer_id = fields.String()
    content = fields.String()
    channel = fields.String()
    urgency = fields.String()
    status = fields.String()
    acceptor_id = fields.String()
    accepted_at = fields.AwareDateTime()
    category_id = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    form = fields.Dict()
    contact = fields.Dict()
    asset_serial = fields.String(allow_none=True)
    warranty = fields.String()  # in / out / unknown
    fee = fields.Decimal(as_string=True)
    paid = fields.Boolean()
    repeat_of = fields.List(fields.String())
    group_name = fields.String(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    waiting_on = fields.String(allow_none=True)
    updated_at = fields.AwareDateTime()
    first_response_at = fields.AwareDateTime(allow_none=True)
    response_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    paused_since = fields.AwareDateTime(allow_none=True)
    paused_seconds = fields.Integer()
    escalated_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


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


class CustomerTickets(Schema):
    customer_id = fields.UUID(required=True)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TicketList(Schema):
    tickets = fields.List(fields.Nested(Ticket))


class TicketCreated(Schema):
    """Payload of ticket_created (consumers ignore unknown fields)."""

    class Meta:
        unknown = EXCLUDE

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    kind = fields.String(required=True)
    customer_id = fields.String(required=True)
    channel = fields.String(required=True)
    urgency = fields.String(required=True)
    acceptor_id = fields.String(required=True)
    accepted_at = fields.AwareDateTime(required=True)
    category_id = fields.String(allow_none=True, load_default=None)
    repeat_of = fields.List(fields.String(), load_default=list)
    group_name = fields.String(allow_none=True, load_default=None)


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class TicketRouted(_Event):
    """ticket_assigned / ticket_transferred: who handles it now.  `notify_staff_ids`
    are the people to tell (the new assignee, or the group's on-duty members)."""

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    kind = fields.String(required=True)
    group_name = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    from_group = fields.String(allow_none=True, load_default=None)
    from_assignee_id = fields.String(allow_none=True, load_default=None)
    note = fields.String(load_default="")
    notify_staff_ids = fields.List(fields.String(), load_default=list)


class TicketStatusChanged(_Event):
    """ticket_status_changed, and also ticket_resolved / ticket_closed."""

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    kind = fields.String(required=True)
    category_id = fields.String(allow_none=True, load_default=None)
    customer_id = fields.String(required=True)
    from_status = fields.String(required=True)
    to_status = fields.String(required=True)
    assignee_id = fields.String(allow_none=True, load_default=None)
    group_name = fields.String(allow_none=True, load_default=None)
    at = fields.AwareDateTime(required=True)


class TicketSlaBreached(_Event):
    """ticket_sla_breached: a response or resolution target passed; escalated to
    `notify_staff_ids` (the group's supervisors)."""

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    kind = fields.String(required=True)
    target = fields.String(required=True)  # response / resolution
    due_at = fields.AwareDateTime(required=True)
    group_name = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    notify_staff_ids = fields.List(fields.String(), load_default=list)


class TicketDispatched(_Event):
    """ticket_dispatched: a field job sent to a field staff member (T7)."""

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    dispatch_id = fields.String(required=True)
    staff_id = fields.String(required=True)
    address = fields.String(required=True)
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")


class TicketReminderDue(_Event):
    """ticket_reminder_due: a personal reminder ("remind me in 2 days") fell due."""

    reminder_id = fields.String(required=True)
    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)
    staff_id = fields.String(required=True)
    note = fields.String(load_default="")
    due_at = fields.AwareDateTime(required=True)


class ContactLogged(_Event):
    """contact_logged: a call or message in the contact log (T8)."""

    contact_id = fields.String(required=True)
    customer_id = fields.String(allow_none=True, load_default=None)
    ticket_id = fields.String(allow_none=True, load_default=None)
    channel = fields.String(required=True)
    direction = fields.String(required=True)
    agent_id = fields.String(allow_none=True, load_default=None)
    started_at = fields.AwareDateTime(required=True)
    duration_seconds = fields.Integer(required=True)
    ivr_path = fields.List(fields.String(), load_default=list)  # e.g. ["1 售后", "2 维修"]
    call_id = fields.String(allow_none=True, load_default=None)


class CallRecorded(_Event):
    """call_recorded: one telephony call event (offered, answered, abandoned, queue)."""

    call_id = fields.String(required=True)
    event = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    queue = fields.String(allow_none=True, load_default=None)
    agent_id = fields.String(allow_none=True, load_default=None)
    wait_seconds = fields.Integer(allow_none=True, load_default=None)
