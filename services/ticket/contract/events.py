"""Events the ticket service publishes: the payload schema of each (consumers ignore
fields they do not know).  Every text and list is bounded (consumers load these).

A classified customer's ticket events carry no words of it (issue 9, finding 7): the
notes of a transfer and the address and note of a field job are left out (the address
reads WITHHELD_ADDRESS) and `level` says why; the recipients open the ticket."""
from marshmallow import EXCLUDE, Schema, fields, validate

# The free-text fields of these payloads: what a destroyed customer's outbox rows lose.
FREE_TEXT = ("address", "note")
WITHHELD_ADDRESS = "[保密]"
_ID = validate.Length(max=100)
_NOTE = validate.Length(max=4000)
_NAMES = validate.Length(max=100)
_FEW = validate.Length(max=100)  # repeated tickets, IVR steps
_MANY = validate.Length(max=1000)  # people to notify


def _id(**kwargs) -> fields.String:
    return fields.String(validate=_ID, **kwargs)


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class TicketSnapshot(_Event):
    """The ticket after the change, as the report service keeps it (issue 13): ids,
    dimensions, times and counts, never a word of the customer.  `revision` grows with
    every change of the ticket: a snapshot replaces only a lower one.  `level`: the
    customer's confidentiality level the ticket inherits; a breach is an escalation
    (response: no first response by its due time; resolution: not resolved by it)."""

    ticket_id = _id(required=True)
    revision = fields.Integer(required=True)
    kind = fields.String(required=True, validate=_NAMES)
    category_id = _id(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=_NAMES)
    urgency = fields.String(required=True, validate=_NAMES)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    assignee_id = _id(allow_none=True, load_default=None)
    acceptor_id = _id(required=True)
    customer_id = _id(required=True)
    level = fields.Integer(load_default=0)
    status = fields.String(required=True, validate=_NAMES)
    accepted_at = fields.AwareDateTime(required=True)
    first_response_at = fields.AwareDateTime(allow_none=True, load_default=None)
    resolved_at = fields.AwareDateTime(allow_none=True, load_default=None)  # the latest
    closed_at = fields.AwareDateTime(allow_none=True, load_default=None)
    cancelled_at = fields.AwareDateTime(allow_none=True, load_default=None)
    reopen_count = fields.Integer(load_default=0)  # back from resolved/closed to work
    transfer_count = fields.Integer(load_default=0)  # domain.workflow.is_transfer
    repeat = fields.Boolean(load_default=False)
    repeat_of = fields.List(_id(), load_default=list, validate=_FEW)
    response_breached = fields.Boolean(load_default=False)
    resolution_breached = fields.Boolean(load_default=False)


class _TicketEvent(_Event):
    """An event about one ticket: which, by id and serial; `snapshot` the ticket after
    the change (null in events published before issue 13)."""

    ticket_id = _id(required=True)
    serial = _id(required=True)
    snapshot = fields.Nested(TicketSnapshot, load_default=None, allow_none=True)


class TicketCreated(_TicketEvent):
    """Payload of ticket_created."""

    kind = fields.String(required=True, validate=_NAMES)
    customer_id = _id(required=True)
    channel = fields.String(required=True, validate=_NAMES)
    urgency = fields.String(required=True, validate=_NAMES)
    acceptor_id = _id(required=True)
    accepted_at = fields.AwareDateTime(required=True)
    category_id = _id(allow_none=True, load_default=None)
    repeat_of = fields.List(_id(), load_default=list, validate=_FEW)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)


class TicketUpdated(_TicketEvent):
    """ticket_updated: the record was edited (update_ticket) — which fields changed, by
    name only (urgency and category are in the snapshot; no value of what the customer
    said is sent)."""

    kind = fields.String(required=True, validate=_NAMES)
    changed = fields.List(fields.String(validate=_NAMES), load_default=list, validate=_FEW)


class TicketRouted(_TicketEvent):
    """ticket_assigned / ticket_transferred: who handles it now.  `notify_staff_ids`
    are the people to tell (the new assignee, or the group's on-duty members)."""

    kind = fields.String(required=True, validate=_NAMES)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    assignee_id = _id(allow_none=True, load_default=None)
    from_group = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    from_assignee_id = _id(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=_NOTE)
    notify_staff_ids = fields.List(_id(), load_default=list, validate=_MANY)


class TicketStatusChanged(_TicketEvent):
    """ticket_status_changed, and also ticket_resolved / ticket_closed."""

    kind = fields.String(required=True, validate=_NAMES)
    category_id = _id(allow_none=True, load_default=None)
    customer_id = _id(required=True)
    from_status = fields.String(required=True, validate=_NAMES)
    to_status = fields.String(required=True, validate=_NAMES)
    assignee_id = _id(allow_none=True, load_default=None)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    at = fields.AwareDateTime(required=True)


class TicketSlaBreached(_TicketEvent):
    """ticket_sla_breached: a response or resolution target passed; escalated to
    `notify_staff_ids` (the group's supervisors)."""

    kind = fields.String(required=True, validate=_NAMES)
    target = fields.String(required=True, validate=_NAMES)  # response / resolution
    due_at = fields.AwareDateTime(required=True)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    assignee_id = _id(allow_none=True, load_default=None)
    notify_staff_ids = fields.List(_id(), load_default=list, validate=_MANY)


class TicketDispatched(_TicketEvent):
    """ticket_dispatched: a field job sent to a field staff member (T7)."""

    dispatch_id = _id(required=True)
    staff_id = _id(required=True)
    customer_id = _id(allow_none=True, load_default=None)  # whom notify tells (N5)
    address = fields.String(required=True, validate=validate.Length(max=500))
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    note = fields.String(load_default="", validate=_NOTE)
    level = fields.Integer(load_default=0)
    # when the job was sent (the dispatch's created_at; null in events before issue 13)
    dispatched_at = fields.AwareDateTime(load_default=None, allow_none=True)


class DispatchHandled(_TicketEvent):
    """dispatch_handled: the field staff member recorded a job done (T7) — what a
    follow-up rule on field work (V1) needs: the ticket's kind, category and customer,
    who did the job and when it finished (the record's finished_at, else when it was
    recorded)."""

    dispatch_id = _id(required=True)
    staff_id = _id(required=True)
    kind = fields.String(required=True, validate=_NAMES)
    category_id = _id(allow_none=True, load_default=None)
    customer_id = _id(required=True)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    at = fields.AwareDateTime(required=True)
    level = fields.Integer(load_default=0)
    # the field work's own accounts (issue 13; null in events before it): the handling
    # record's arrival and finish as entered, the parts' total quantity, the fee charged
    # for the job (yuan, exact) and whether it was paid
    arrived_at = fields.AwareDateTime(load_default=None, allow_none=True)
    finished_at = fields.AwareDateTime(load_default=None, allow_none=True)
    parts = fields.Integer(load_default=None, allow_none=True)
    fee = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True)
    paid = fields.Boolean(load_default=None, allow_none=True)


class TicketReminderDue(_TicketEvent):
    """ticket_reminder_due: a personal reminder ("remind me in 2 days") fell due."""

    reminder_id = _id(required=True)
    staff_id = _id(required=True)
    note = fields.String(load_default="", validate=_NOTE)
    due_at = fields.AwareDateTime(required=True)


class ContactLogged(_Event):
    """contact_logged: a call or message in the contact log (T8)."""

    contact_id = _id(required=True)
    customer_id = _id(allow_none=True, load_default=None)
    ticket_id = _id(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=_NAMES)
    direction = fields.String(required=True, validate=_NAMES)
    agent_id = _id(allow_none=True, load_default=None)
    started_at = fields.AwareDateTime(required=True)
    duration_seconds = fields.Integer(required=True)
    ivr_path = fields.List(fields.String(validate=_NAMES), load_default=list,
                           validate=_FEW)  # e.g. ["1 售后", "2 维修"]
    call_id = _id(allow_none=True, load_default=None)


class CallRecorded(_Event):
    """call_recorded: one telephony call event (offered, answered, abandoned, queue)."""

    call_id = _id(required=True)
    event = fields.String(required=True, validate=_NAMES)
    at = fields.AwareDateTime(required=True)
    queue = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    agent_id = _id(allow_none=True, load_default=None)
    wait_seconds = fields.Integer(allow_none=True, load_default=None)
