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


class IvrOfferUpdated(_Event):
    """ivr_offer_updated (issue 13): a call was offered the keypad rating, or rated — the
    offer as the survey keeps it now (a snapshot: its dimensions never change, `rated`
    only turns true), for the report's 满意度发送率.  No customer data."""

    offer_id = _id(required=True, metadata={"description": "the call id"})
    offered_at = fields.AwareDateTime(required=True)
    rated = fields.Boolean(required=True)
    agent_id = _id(allow_none=True, load_default=None)
    group_name = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    ticket_kind = fields.String(allow_none=True, load_default=None, validate=_NAMES)
    category_id = _id(allow_none=True, load_default=None)


SATISFACTION = ("satisfied", "average", "unsatisfied")


class InvitationSnapshot(_Event):
    """One campaign invitation as counted (issue 13): whose list it is on (`groups`: the
    agent's groups when frozen), the customer's confidentiality `level`, the call's
    outcome (`invited` null: not called yet), acceptance, attendance and the visit's
    satisfaction; `closed` (a merge left the customer two: this one counts nowhere).
    `revision` grows with every change of the row: a consumer keeps the highest.  The
    campaign's start (`campaign_starts_at`) is the day the report counts it on.  No
    customer id, no words."""

    invitation_id = _id(required=True)
    campaign_id = _id(required=True)
    campaign_starts_at = fields.AwareDateTime(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=0))
    agent_id = _id(required=True)
    groups = fields.List(fields.String(validate=_NAMES), load_default=list,
                         validate=validate.Length(max=50))
    level = fields.Integer(required=True)
    invited = fields.Boolean(allow_none=True, load_default=None)
    accepted = fields.Boolean(allow_none=True, load_default=None)
    came = fields.Boolean(load_default=False)
    satisfaction = fields.String(allow_none=True, load_default=None,
                                 validate=validate.OneOf(SATISFACTION))
    gift_taken = fields.Boolean(allow_none=True, load_default=None)
    coupon_taken = fields.Boolean(allow_none=True, load_default=None)
    closed = fields.Boolean(load_default=False)
    updated_at = fields.AwareDateTime(required=True)


class CampaignInvitationUpdated(InvitationSnapshot):
    """campaign_invitation_updated (issue 13): an invitation changed — called (invited or
    not, accepted or declined), checked in, its visit's outcome recorded, its level
    followed, closed by a merge — told as its snapshot after the change."""


class CampaignInvitationsListed(_Event):
    """campaign_invitations_listed (issue 13): a page of a campaign's list frozen (up to
    1,000 invitations, each as its first snapshot, revision 0: not called yet)."""

    campaign_id = _id(required=True)
    invitations = fields.List(fields.Nested(InvitationSnapshot), required=True,
                              validate=validate.Length(max=1000))
