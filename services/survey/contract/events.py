"""Events the survey service publishes: the payload schema of each (consumers ignore
fields they do not know).  Every text and list is bounded.  No event carries the notes
of a call: consumers open the task (its level decides who reads them)."""
from marshmallow import EXCLUDE, Schema, fields, validate

_ID = validate.Length(max=100)
_NAMES = validate.Length(max=100)
_MANY = validate.Length(max=1000)  # people to notify


def _id(**kwargs) -> fields.String:
    return fields.String(validate=_ID, **kwargs)


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class _FollowupEvent(_Event):
    """An event about one follow-up task, and the ticket it follows up."""

    task_id = _id(required=True)
    ticket_id = _id(required=True)
    ticket_serial = _id(required=True)
    customer_id = _id(required=True)
    rule_id = _id(allow_none=True, load_default=None)
    assignee_id = _id(allow_none=True, load_default=None)
    groups = fields.List(fields.String(validate=_NAMES), load_default=list,
                         validate=validate.Length(max=50))
    due_at = fields.AwareDateTime(required=True)


class FollowupCreated(_FollowupEvent):
    """followup_created: a task made (from a rule, or by "call again");
    `notify_staff_ids`: its assignee."""

    previous_task_id = _id(allow_none=True, load_default=None)
    notify_staff_ids = fields.List(_id(), load_default=list, validate=_MANY)
    # when the task was made (the database's clock, as the task row has it; the report
    # counts it on that China day — absent from older publishers: the event's time)
    created_at = fields.AwareDateTime(allow_none=True, load_default=None)


class FollowupDueSoon(_FollowupEvent):
    """followup_due_soon: an open task falls due within FOLLOWUP_REMIND_MINUTES (once
    per due time); `notify_staff_ids`: its assignee."""

    notify_staff_ids = fields.List(_id(), load_default=list, validate=_MANY)


class FollowupMissed(_FollowupEvent):
    """followup_missed: an open task passed its due time — a counted fault — escalated
    to `notify_staff_ids` (the supervisors of its groups, else the managers), like
    ticket_sla_breached."""

    missed_at = fields.AwareDateTime(required=True)
    notify_staff_ids = fields.List(_id(), load_default=list, validate=_MANY)


class FollowupCompleted(_FollowupEvent):
    """followup_completed: a task done — reached, or unreachable after the last allowed
    attempt — with its satisfaction, attempts, and what it led to."""

    outcome = fields.String(required=True, validate=_NAMES)
    satisfaction = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    attempts = fields.Integer(required=True)
    completed_by = _id(required=True)
    completed_at = fields.AwareDateTime(required=True)
    was_missed = fields.Boolean(load_default=False)
    needs_service = fields.Boolean(load_default=False)
    next_task_id = _id(allow_none=True, load_default=None)


class CampaignInvitationAccepted(_Event):
    """campaign_invitation_accepted (V5): a customer accepted a campaign's invitation —
    once per invitation, at its first acceptance — so that notify sends them the
    check-in code by SMS.  `event_id` is the same for the invitation whenever asked (a
    send keyed on it goes once); `level` is the customer's confidentiality level."""

    event_id = _id(required=True)
    campaign_id = _id(required=True)
    invitation_id = _id(required=True)
    customer_id = _id(required=True)
    level = fields.Integer(required=True)
    theme = fields.String(required=True, validate=_NAMES)
    starts_at = fields.AwareDateTime(required=True)
    place = fields.String(required=True, validate=validate.Length(max=200))
    checkin_code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))
