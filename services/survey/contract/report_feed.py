"""The report feed (issue 13): what the report service's system identity reads to
rebuild its follow-up and satisfaction facts (every follow-up task as counted, every
answer's ids and scores, keyset paged by id) and to check its rollups (the survey
service's own counts by China day).  No notes, no words, no customer."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.survey.contract.answers import SurveyAnswered
from services.survey.contract.events import InvitationSnapshot, IvrOfferUpdated

MAX_DAYS = 400
_TEXT = validate.Length(max=100)


class ReportPage(Schema):
    after = fields.UUID(load_default=None, allow_none=True,
                        metadata={"description": "the previous page's `next`; null: first"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class ReportFollowup(Schema):
    """One follow-up task as counted: its groups (the report counts it in the first),
    assignee, due time, and when it was created, missed and completed (outcome reached
    or unreachable; erased: not done)."""

    task_id = fields.String(required=True, validate=_TEXT)
    groups = fields.List(fields.String(validate=_TEXT), load_default=list,
                         validate=validate.Length(max=50))
    assignee_id = fields.String(allow_none=True, load_default=None, validate=_TEXT)
    due_at = fields.AwareDateTime(required=True)
    created_at = fields.AwareDateTime(required=True)
    missed_at = fields.AwareDateTime(allow_none=True, load_default=None)
    completed_at = fields.AwareDateTime(allow_none=True, load_default=None)
    outcome = fields.String(allow_none=True, load_default=None, validate=_TEXT)


class ReportFollowups(Schema):
    followups = fields.List(fields.Nested(ReportFollowup), validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportAnswers(Schema):
    """Every answer as survey_answered tells it (ids, source, scores)."""

    answers = fields.List(fields.Nested(SurveyAnswered), validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportCountsQuery(Schema):
    """Days in China (Asia/Shanghai), both included, at most MAX_DAYS."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")
        if (data["to"] - data["from_"]).days + 1 > MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days", "to")


class ReportFollowupDayCount(Schema):
    """One China day: tasks created that day, done that day (reached + unreachable, and
    each), and missed that day."""

    day = fields.Date()
    created = fields.Integer()
    done = fields.Integer()
    reached = fields.Integer()
    unreachable = fields.Integer()
    missed = fields.Integer()


class ReportFollowupCounts(Schema):
    counts = fields.List(fields.Nested(ReportFollowupDayCount))


class ReportAnswerDayCount(Schema):
    """One China day: answers given that day, those with a CSAT score and the satisfied
    (4–5), those with an NPS score, the promoters (9–10) and detractors (0–6)."""

    day = fields.Date()
    answers = fields.Integer()
    csat_answers = fields.Integer()
    satisfied = fields.Integer()
    nps_answers = fields.Integer()
    promoters = fields.Integer()
    detractors = fields.Integer()


class ReportAnswerCounts(Schema):
    counts = fields.List(fields.Nested(ReportAnswerDayCount))


# -- the keypad's offers and the campaigns' invitations (issue 13) ------------------------
class ReportOfferPage(Schema):
    """Offers are keyed by the call id (text), not a UUID."""

    after = fields.String(load_default=None, allow_none=True, validate=_TEXT,
                          metadata={"description": "the previous page's `next`; null: first"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class ReportOffers(Schema):
    """Every call offered the keypad rating, as ivr_offer_updated tells it."""

    ivr_offers = fields.List(fields.Nested(IvrOfferUpdated),
                             validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportInvitations(Schema):
    """Every campaign invitation, as campaign_invitation_updated tells it."""

    invitations = fields.List(fields.Nested(InvitationSnapshot),
                              validate=validate.Length(max=1000))
    next = fields.String(allow_none=True, validate=_TEXT,
                         metadata={"description": "null: last page"})


class ReportOfferDayCount(Schema):
    """One China day: calls offered a rating that day, and those of them rated."""

    day = fields.Date()
    offered = fields.Integer()
    rated = fields.Integer()


class ReportOfferCounts(Schema):
    counts = fields.List(fields.Nested(ReportOfferDayCount))


class ReportInvitationCount(Schema):
    """One campaign starting on `day` (China): its list's counts as campaign_rates counts
    them, closed invitations nowhere, every level."""

    day = fields.Date()
    campaign_id = fields.String(validate=_TEXT)
    total = fields.Integer()
    called = fields.Integer()
    invited = fields.Integer()
    accepted = fields.Integer()
    came = fields.Integer()
    with_outcome = fields.Integer()
    satisfied = fields.Integer()


class ReportInvitationCounts(Schema):
    counts = fields.List(fields.Nested(ReportInvitationCount))
