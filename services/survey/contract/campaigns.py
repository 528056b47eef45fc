"""Campaigns 市场活动 (V5): a campaign, its invitations (the frozen target list spread
over agents as call lists), check-in at the door, the visit's outcome and the rates —
the schemas of their operations and the vocabularies the gateway and console use.
Every text and list is bounded.

A campaign's list is frozen from a customer segment (the customer service's segment
query, as notify takes it for a bulk send) right after creation, by the survey's timer:
`list_state` is `freezing` until then, `frozen` after, `failed` (with `failure`) when the
customer service refused the segment or kept failing.  The list holds the customers the
segment selected among those created before the campaign; customers added to the
segment later are not in it.

An invitation's `status`: `to_call` (no call recorded), `not_invited` (called, not
invited: `reason`), `declined` (invited, said no), `accepted` (says they come: a check-in
code was made and sent by SMS through notify), `came` (checked in at the door).
The list filters of the same names select the funnel the rates count: `invited` is
declined + accepted + came, `accepted` is accepted + came; `to_call` also holds the
customers not invited because they were busy or did not answer (to call again).
"""
import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.customer.contract.search import SegmentQuery

VENUES = ("onsite", "elsewhere")  # 店内 / 店外
# Why a customer was not invited (a bounded vocabulary): 拒绝, 忙, 未接, 已卖车, 搬迁, 空号, 其他.
NOT_INVITED = ("refused", "busy", "no_answer", "sold_the_car", "moved", "wrong_number", "other")
CALL_AGAIN = ("busy", "no_answer")  # these stay on the call list (to_call)
SATISFACTION = ("satisfied", "average", "unsatisfied")  # 满意 / 一般 / 不满意
STATUSES = ("to_call", "not_invited", "declined", "accepted", "came")
FILTERS = ("to_call", "not_invited", "invited", "declined", "accepted", "came")
LIST_STATES = ("freezing", "frozen", "failed")
STATES = ("freezing", "failed", "upcoming", "ongoing", "ended")
MAX_AGENTS = 200
MAX_CAPACITY = 100_000
MAX_NOTE = 500
MAX_YEARS_AHEAD = 2  # a campaign starts within two years and lasts at most one
MAX_LENGTH = datetime.timedelta(days=366)
CODE = validate.Regexp(r"^[0-9]{6}$", error="six digits")
_ID = validate.Length(min=1, max=64)
_CURSOR = validate.Length(max=200)


class CampaignIn(Schema):
    """A campaign: theme, description, when, on site (店内) or elsewhere (店外) and
    where, how many may come; its target list — a customer segment (a segment with no
    filter is every customer: say so with all_customers) — spread evenly over
    `agent_ids` (each an active agent).  A retry with the same Idempotency-Key (or, with
    none, the same request by the same caller) answers the first campaign."""

    class Meta:
        unknown = RAISE

    theme = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue = fields.String(required=True, validate=validate.OneOf(VENUES))
    place = fields.String(load_default="", validate=validate.Length(max=200))
    capacity = fields.Integer(required=True,
                              validate=validate.Range(min=1, max=MAX_CAPACITY))
    segment = fields.Nested(SegmentQuery(exclude=("cursor", "limit", "count")),
                            required=True)
    all_customers = fields.Boolean(
        load_default=False,
        metadata={"description": "a segment with no filter is every customer: say so"})
    agent_ids = fields.List(fields.String(validate=_ID), required=True,
                            validate=validate.Length(min=1, max=MAX_AGENTS))

    @validates_schema
    def _whole(self, data, **kwargs):
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None:
            if ends <= starts:
                raise ValidationError("must be later than starts_at", "ends_at")
            if ends - starts > MAX_LENGTH:
                raise ValidationError("a campaign lasts at most a year", "ends_at")
            latest = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
                days=366 * MAX_YEARS_AHEAD)
            if starts > latest:
                raise ValidationError("within two years from now", "starts_at")
        after = (data.get("segment") or {}).get("created_after")
        if after is not None and after >= datetime.datetime.now(datetime.UTC):
            raise ValidationError("must be in the past: the list holds customers created "
                                  "before the campaign", "segment.created_after")
        if "segment" in data and not data["segment"] and not data["all_customers"]:
            raise ValidationError("no filter: every customer; name a filter, or send "
                                  "all_customers: true", "segment")
        agents = data.get("agent_ids") or []
        if len(set(agents)) != len(agents):
            raise ValidationError("each agent once", "agent_ids")


class Figures(Schema):
    """The counts of a campaign (or one agent's part of it) and the rates from them, in
    per cent (one decimal; null when nothing is behind it):
    invitation = invited / total, acceptance = accepted / invited,
    attendance = came / accepted, satisfaction = satisfied / with an outcome."""

    total = fields.Integer()
    called = fields.Integer()
    invited = fields.Integer()
    accepted = fields.Integer()
    came = fields.Integer()
    with_outcome = fields.Integer()
    satisfied = fields.Integer()
    gift_taken = fields.Integer()
    coupon_taken = fields.Integer()
    invitation_rate = fields.Float(allow_none=True)
    acceptance_rate = fields.Float(allow_none=True)
    attendance_rate = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)


class AgentFigures(Figures):
    agent_id = fields.String()


class Campaign(Schema):
    """A campaign with the figures of its whole list.  `state`: freezing / failed (the
    list), else upcoming / ongoing / ended by its dates."""

    id = fields.String()
    theme = fields.String()
    description = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    venue = fields.String()
    place = fields.String()
    capacity = fields.Integer()
    segment = fields.Dict()
    agent_ids = fields.List(fields.String())
    state = fields.String()
    list_state = fields.String()
    failure = fields.String()
    frozen_at = fields.AwareDateTime(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    figures = fields.Nested(Figures)


class CampaignQuery(Schema):
    """campaigns: newest first, of one state if asked."""

    class Meta:
        unknown = RAISE

    state = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(STATES))
    cursor = fields.String(load_default=None, allow_none=True, validate=_CURSOR)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CampaignPage(Schema):
    campaigns = fields.List(fields.Nested(Campaign))
    next = fields.String(allow_none=True)


class Invitation(Schema):
    """One customer of a campaign's list, on its agent's call list."""

    id = fields.String()
    campaign_id = fields.String()
    theme = fields.String()
    starts_at = fields.AwareDateTime()
    position = fields.Integer()
    customer_id = fields.String()
    level = fields.Integer()
    agent_id = fields.String()
    status = fields.String()
    invited = fields.Boolean(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String()
    accepted = fields.Boolean(allow_none=True)
    calls = fields.Integer()
    recorded_by = fields.String(allow_none=True)
    recorded_at = fields.AwareDateTime(allow_none=True)
    checkin_code = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    came = fields.Boolean()
    checked_in_at = fields.AwareDateTime(allow_none=True)
    gift_taken = fields.Boolean(allow_none=True)
    coupon_taken = fields.Boolean(allow_none=True)
    satisfaction = fields.String(allow_none=True)
    satisfaction_reason = fields.String()
    outcome_at = fields.AwareDateTime(allow_none=True)
    erased = fields.Boolean()


class InvitationQuery(Schema):
    """my_invitations: the caller's call list, in list order (campaign by campaign)."""

    class Meta:
        unknown = RAISE

    campaign_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(FILTERS))
    cursor = fields.String(load_default=None, allow_none=True, validate=_CURSOR)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CampaignInvitationQuery(Schema):
    """campaign_invitations: the list of one campaign in the caller's scope (the
    supervisor's groups' agents; managers up and admins every agent), of one agent if
    asked."""

    class Meta:
        unknown = RAISE

    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(FILTERS))
    agent_id = fields.String(load_default=None, allow_none=True, validate=_ID)
    cursor = fields.String(load_default=None, allow_none=True, validate=_CURSOR)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class InvitationPage(Schema):
    invitations = fields.List(fields.Nested(Invitation))
    next = fields.String(allow_none=True)


class InvitationCallIn(Schema):
    """The invitation call: invited or not; not invited: why (`other` with a note);
    invited: accepted or not.  Accepting makes the check-in code once (a retry, or a
    later acceptance, keeps it) and sends it to the customer; past the campaign's
    capacity it is a Conflict naming `capacity`."""

    class Meta:
        unknown = RAISE

    invited = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(NOT_INVITED))
    note = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE))
    accepted = fields.Boolean(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data["invited"]:
            if data.get("reason"):
                raise ValidationError("an invited customer has no reason", "reason")
            if data.get("accepted") is None:
                raise ValidationError("say whether the customer accepted", "accepted")
            return
        if not data.get("reason"):
            raise ValidationError("say why the customer was not invited", "reason")
        if data.get("accepted") is not None:
            raise ValidationError("only an invited customer accepts", "accepted")
        if data["reason"] == "other" and not data.get("note", "").strip():
            raise ValidationError("say what happened", "note")


class CheckInIn(Schema):
    """At the door: the code the customer got by SMS (typed), or the invitation's id
    (scanned) — exactly one."""

    class Meta:
        unknown = RAISE

    code = fields.String(validate=CODE)
    invitation_id = fields.UUID()

    @validates_schema
    def _one(self, data, **kwargs):
        if ("code" in data) == ("invitation_id" in data):
            raise ValidationError("give exactly one of code, invitation_id", "code")


class CheckedIn(Schema):
    """The invitation checked in; `already_checked_in`: it had been before (counted
    once)."""

    invitation = fields.Nested(Invitation)
    already_checked_in = fields.Boolean()


class VisitOutcomeIn(Schema):
    """What happened at the campaign, for a customer who came: gift and coupon taken,
    satisfaction (满意 / 一般 / 不满意) and why."""

    class Meta:
        unknown = RAISE

    gift_taken = fields.Boolean(load_default=False)
    coupon_taken = fields.Boolean(load_default=False)
    satisfaction = fields.String(required=True, validate=validate.OneOf(SATISFACTION))
    reason = fields.String(load_default="", validate=validate.Length(max=MAX_NOTE))


class CampaignRates(Schema):
    """The rates of a campaign and of each of its agents, with the counts behind each."""

    campaign_id = fields.String()
    theme = fields.String()
    figures = fields.Nested(Figures)
    agents = fields.List(fields.Nested(AgentFigures))
