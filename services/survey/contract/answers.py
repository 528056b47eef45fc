"""Answers 答卷 (V3) from three sources, and the satisfaction figures (V4).

Sources:
  agent  an agent answers a published questionnaire version during a follow-up call
  ivr    the caller presses a key after a call (按键满意度); the telephony integration
         posts it with the call id.  One operation, `ivr_rating`: a post without `key`
         says the call was offered a rating and none was given; a post with `key` says
         it was offered and rated.  Both are kept once per call id, so the share of
         offered calls that were rated (满意度发送率 and 参评率) is counted.  A key outside
         the mapping (`ivr_mapping`, admins change it) is refused and stored nowhere.
  link   the customer answers through a personal link (signed, expiring, single use)
         sent by SMS or email; the public operations know the token only.

Satisfaction levels (CSAT): 5 very_satisfied 非常满意, 4 satisfied 满意, 3 neutral 一般,
2 dissatisfied 不满意, 1 very_dissatisfied 非常不满意; satisfied means 4 or 5.
NPS: promoters 9–10, passives 7–8, detractors 0–6.

Link refusals carry distinct codes so the gateway renders a clear page: link_invalid
(a changed or unknown token, 404), link_expired and link_used (Conflicts over RPC; the
public page and its JSON twin answer them 410 Gone); guessing past the limit is
too_many_requests (429).
"""
import datetime

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from nameko.exceptions import deserialize_to_instance

from services.common.errors import Conflict, NotFound
from services.common.fields import Json
from services.common.zone import CHINA
from services.survey.contract.questionnaires import MAX_QUESTIONS, NAME, Question

SOURCES = ("agent", "ivr", "link")
LEVELS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
LEVEL_NAMES = {"very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般",
               "dissatisfied": "不满意", "very_dissatisfied": "非常不满意"}
IVR_KEYS = tuple("0123456789")
DIMENSIONS = ("agent", "group", "kind", "category", "source")
PERIODS = ("day", "week", "month", "all")
_ID = validate.Length(min=1, max=64)
_NAME = validate.Length(min=1, max=100)
FIRST_DAY = datetime.date(2000, 1, 1)  # figures are asked from this day ...
IVR_SKEW = datetime.timedelta(days=1)  # an IVR post's `at` is within a day of now


def _figure_day(day: datetime.date) -> None:
    """A day of the figures' period: 2000-01-01 to a year from today (China)."""
    last = datetime.datetime.now(CHINA).date() + datetime.timedelta(days=366)
    if not FIRST_DAY <= day <= last:
        raise ValidationError(f"from {FIRST_DAY.isoformat()} to {last.isoformat()}")


def _near_now(moment: datetime.datetime) -> None:
    now = datetime.datetime.now(datetime.UTC)
    if not now - IVR_SKEW <= moment <= now + IVR_SKEW:
        raise ValidationError("within a day of now")


@deserialize_to_instance
class LinkInvalid(NotFound):
    """The token is not one we signed (changed, cut, made up) or names no link."""

    code = "link_invalid"


@deserialize_to_instance
class LinkExpired(Conflict):
    code = "link_expired"


@deserialize_to_instance
class LinkUsed(Conflict):
    code = "link_used"


def _ref(**kwargs) -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=_ID, **kwargs)


class _Context(Schema):
    """What an answer is about: the dimensions its figures are counted by."""

    customer_id = _ref()
    ticket_id = _ref()
    task_id = _ref(metadata={"description": "the follow-up task (回访任务)"})
    group_name = fields.String(load_default=None, allow_none=True, validate=_NAME)
    ticket_kind = fields.String(load_default=None, allow_none=True, validate=_NAME)
    category_id = _ref()


ANSWER_VALUES = fields.Dict(
    keys=fields.String(validate=validate.Length(min=1, max=32)),
    values=Json(max_length=2_200, max_depth=2), load_default=dict,
    validate=validate.Length(max=MAX_QUESTIONS),
    metadata={"description": "{question key: answer}: an option (single), a list of "
                             "options (multiple), 1–5 (scale), 0–10 (nps), text (text)"})


class AgentAnswersIn(_Context):
    """Answers taken by the calling agent (their id, and their group when they have one
    and none is given)."""

    questionnaire_id = fields.UUID(required=True)
    answers = ANSWER_VALUES
    call_id = _ref()


class IvrRatingIn(Schema):
    call_id = fields.String(required=True, validate=_ID)
    key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8),
                        metadata={"description": "the key pressed; absent: offered, not rated"})
    agent_id = _ref()
    ticket_id = _ref()
    customer_id = _ref()
    group_name = fields.String(load_default=None, allow_none=True, validate=_NAME)
    ticket_kind = fields.String(load_default=None, allow_none=True, validate=_NAME)
    category_id = _ref()
    at = fields.AwareDateTime(load_default=None, allow_none=True, validate=_near_now,
                              metadata={"description": "when the key was pressed: within "
                                                       "a day of now"})


class IvrRating(Schema):
    call_id = fields.String()
    rated = fields.Boolean()
    level = fields.String(allow_none=True)
    answer_id = fields.String(allow_none=True)
    duplicate = fields.Boolean(metadata={"description": "this call was already posted"})


class IvrMapping(Schema):
    """{key: level}: the keypad's meaning (default 1 非常满意 2 满意 3 一般 4 不满意)."""

    keys = fields.Dict(keys=fields.String(validate=validate.OneOf(IVR_KEYS)),
                       values=fields.String(validate=validate.OneOf(LEVELS)),
                       required=True, validate=validate.Length(min=2, max=len(IVR_KEYS)))


class LinkIn(_Context):
    """A personal survey link for one customer: of a follow-up task (`task_id`: the
    task's customer, ticket, agent and group, whatever else is sent) or of a customer
    (`customer_id`; the agent is the caller, the group one of theirs — managers up and
    the system name others)."""

    questionnaire_id = fields.UUID(load_default=None, allow_none=True,
                                   metadata={"description": "a published version"})
    questionnaire_name = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=64), NAME],
        metadata={"description": "instead of questionnaire_id: the newest published "
                                 "version of this name (notify's resolution survey)"})
    agent_id = _ref()
    greeting_name = fields.String(load_default="", validate=validate.Length(max=30),
                                  metadata={"description": "e.g. 张先生: all the page shows "
                                                           "of the customer"})
    ttl_hours = fields.Integer(load_default=72, validate=validate.Range(min=1, max=720))

    @validates_schema
    def _whose(self, data, **kwargs):
        if not data.get("task_id") and not data.get("customer_id"):
            raise ValidationError("give the follow-up task or the customer", "customer_id")
        if (data.get("questionnaire_id") is None) == (data.get("questionnaire_name") is None):
            raise ValidationError("give questionnaire_id or questionnaire_name (one)",
                                  "questionnaire_id")


class Link(Schema):
    link_id = fields.String()
    token = fields.String(metadata={"description": "goes into the link's URL; answered "
                                                   "to system callers (notify) only"})
    expires_at = fields.AwareDateTime()


MAX_TOKEN = 400  # no token of ours is longer: a longer one is link_invalid (404)


class TokenIn(Schema):
    """A link's token as the public route got it: one over MAX_TOKEN characters is cut
    (to MAX_TOKEN + 1, still bounded) and answered link_invalid — a wrong link (404),
    not bad input."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TOKEN + 1))
    client_key = fields.String(required=True, validate=validate.Length(max=100),
                               metadata={"description": "the client's address (IP): "
                                                        "bad tokens are counted per key"})

    @pre_load
    def _cut(self, data, **kwargs):
        token = data.get("token") if isinstance(data, dict) else None
        if isinstance(token, str) and len(token) > MAX_TOKEN:
            data = {**data, "token": token[:MAX_TOKEN + 1]}
        return data


class LinkAnswersIn(TokenIn):
    answers = ANSWER_VALUES


class PublicAnswersIn(Schema):
    """The body of the gateway's public answer route: the answers alone (the gateway
    adds the token from the URL and the client key from the connection)."""

    answers = ANSWER_VALUES


class PublicQuestionnaire(Schema):
    """What the public page shows: the questions and a greeting, nothing else."""

    title = fields.String()
    description = fields.String()
    greeting_name = fields.String()
    questions = fields.List(fields.Nested(Question))
    expires_at = fields.AwareDateTime()


class Answer(Schema):
    id = fields.String()
    source = fields.String()
    questionnaire_id = fields.String(allow_none=True)
    questionnaire_name = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    customer_id = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    ticket_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    call_id = fields.String(allow_none=True)
    ticket_kind = fields.String(allow_none=True)
    category_id = fields.String(allow_none=True)
    csat_score = fields.Integer(allow_none=True)
    nps_score = fields.Integer(allow_none=True)
    level = fields.String(allow_none=True)
    answers = fields.Dict()
    erased = fields.Boolean(metadata={"description": "the customer was destroyed: "
                                                     "free-text answers are gone"})
    answered_at = fields.AwareDateTime()


class Submitted(Schema):
    """The public page's answer: thanks, and nothing about the customer."""

    answered = fields.Boolean()


class SatisfactionQuery(Schema):
    by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list,
                     validate=validate.Length(max=len(DIMENSIONS)))
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_ = fields.Date(data_key="from", load_default=None, allow_none=True,
                        validate=_figure_day,
                        metadata={"description": "the first day, in China (2000-01-01 "
                                                 "to a year from today)"})
    to = fields.Date(load_default=None, allow_none=True, validate=_figure_day,
                     metadata={"description": "the last day (inclusive), in China "
                                              "(2000-01-01 to a year from today)"})
    agent_id = _ref()
    group_name = fields.String(load_default=None, allow_none=True, validate=_NAME)
    ticket_kind = fields.String(load_default=None, allow_none=True, validate=_NAME)
    category_id = _ref()
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))


class Figure(Schema):
    """One group's figures; a dimension not grouped by is null.  csat and nps are
    percentages (one decimal), null with no answer behind them."""

    period = fields.String(allow_none=True, metadata={"description": "its first day"})
    agent_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    ticket_kind = fields.String(allow_none=True)
    category_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    csat = fields.Float(allow_none=True)
    csat_answers = fields.Integer()
    satisfied = fields.Integer()
    nps = fields.Float(allow_none=True)
    nps_answers = fields.Integer()
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()


class IvrShare(Schema):
    """Calls offered a keypad rating and calls rated, by the same grouping (no source)."""

    period = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    ticket_kind = fields.String(allow_none=True)
    category_id = fields.String(allow_none=True)
    offered = fields.Integer()
    rated = fields.Integer()
    rated_share = fields.Float(allow_none=True)


class Satisfaction(Schema):
    figures = fields.List(fields.Nested(Figure))
    ivr = fields.List(fields.Nested(IvrShare))


class SurveyAnswered(Schema):
    """Payload of survey_answered: ids, source and scores — no words of anyone."""

    answer_id = fields.String(required=True, validate=_ID)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    questionnaire_id = _ref()
    version = fields.Integer(load_default=None, allow_none=True)
    customer_id = _ref()
    agent_id = _ref()
    group_name = fields.String(load_default=None, allow_none=True, validate=_NAME)
    ticket_id = _ref()
    task_id = _ref()
    call_id = _ref()
    ticket_kind = fields.String(load_default=None, allow_none=True, validate=_NAME)
    category_id = _ref()
    csat_score = fields.Integer(load_default=None, allow_none=True)
    nps_score = fields.Integer(load_default=None, allow_none=True)
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LEVELS))
    answered_at = fields.AwareDateTime(required=True)
