"""Events the ticket service publishes: the payload schema of each (consumers ignore
fields they do not know)."""
from marshmallow import EXCLUDE, Schema, fields


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class _TicketEvent(_Event):
    """An event about one ticket: which, by id and serial."""

    ticket_id = fields.String(required=True)
    serial = fields.String(required=True)


class TicketCreated(_TicketEvent):
    """Payload of ticket_created."""

    kind = fields.String(required=True)
    customer_id = fields.String(required=True)
    channel = fields.String(required=True)
    urgency = fields.String(required=True)
    acceptor_id = fields.String(required=True)
    accepted_at = fields.AwareDateTime(required=True)
    category_id = fields.String(allow_none=True, load_default=None)
    repeat_of = fields.List(fields.String(), load_default=list)
    group_name = fields.String(allow_none=True, load_default=None)


class TicketRouted(_TicketEvent):
    """ticket_assigned / ticket_transferred: who handles it now.  `notify_staff_ids`
    are the people to tell (the new assignee, or the group's on-duty members)."""

    kind = fields.String(required=True)
    group_name = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    from_group = fields.String(allow_none=True, load_default=None)
    from_assignee_id = fields.String(allow_none=True, load_default=None)
    note = fields.String(load_default="")
    notify_staff_ids = fields.List(fields.String(), load_default=list)


class TicketStatusChanged(_TicketEvent):
    """ticket_status_changed, and also ticket_resolved / ticket_closed."""

    kind = fields.String(required=True)
    category_id = fields.String(allow_none=True, load_default=None)
    customer_id = fields.String(required=True)
    from_status = fields.String(required=True)
    to_status = fields.String(required=True)
    assignee_id = fields.String(allow_none=True, load_default=None)
    group_name = fields.String(allow_none=True, load_default=None)
    at = fields.AwareDateTime(required=True)


class TicketSlaBreached(_TicketEvent):
    """ticket_sla_breached: a response or resolution target passed; escalated to
    `notify_staff_ids` (the group's supervisors)."""

    kind = fields.String(required=True)
    target = fields.String(required=True)  # response / resolution
    due_at = fields.AwareDateTime(required=True)
    group_name = fields.String(allow_none=True, load_default=None)
    assignee_id = fields.String(allow_none=True, load_default=None)
    notify_staff_ids = fields.List(fields.String(), load_default=list)


class TicketDispatched(_TicketEvent):
    """ticket_dispatched: a field job sent to a field staff member (T7)."""

    dispatch_id = fields.String(required=True)
    staff_id = fields.String(required=True)
    address = fields.String(required=True)
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")


class TicketReminderDue(_TicketEvent):
    """ticket_reminder_due: a personal reminder ("remind me in 2 days") fell due."""

    reminder_id = fields.String(required=True)
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
