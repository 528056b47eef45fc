"""Questionnaires 问卷 (V3): named, versioned templates of questions.

A version is a draft until it is published; a published version never changes (saving
the name again makes the next draft version), and every answer keeps the version it
answered.  Kinds of question:
  single    one of the options (单选)
  multiple  some of the options (多选)
  scale     1–5 (5 非常满意 … 1 非常不满意); `csat: true` marks the one CSAT question
  nps       0–10 (推荐意愿); at most one per questionnaire
  text      free text, at most `max_length` characters (填空)
"""
from marshmallow import Schema, fields, validate

KINDS = ("single", "multiple", "scale", "nps", "text")
CHOICE_KINDS = ("single", "multiple")
STATUSES = ("draft", "published")
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 100
MAX_TEXT_ANSWER = 2000
NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$",
                       error="lower-case letters, digits and _, starting with a letter")
KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$",
                      error="lower-case letters, digits and _, starting with a letter")


class QuestionIn(Schema):
    key = fields.String(required=True, validate=[validate.Length(max=32), KEY],
                        metadata={"description": "names the question in answers"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    required = fields.Boolean(load_default=False)
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_OPTION_LENGTH)),
        load_default=list, validate=validate.Length(max=MAX_OPTIONS),
        metadata={"description": "single / multiple: 2 to 20 distinct options"})
    csat = fields.Boolean(load_default=False,
                          metadata={"description": "scale: this question is the CSAT one"})
    max_length = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_TEXT_ANSWER),
                                metadata={"description": "text: longest answer (500)"})


class QuestionnaireIn(Schema):
    """A questionnaire saved by name: the newest draft is replaced, or (the newest
    version being published, or none) the next version is made as a draft.  Naming a
    `questionnaire_id` saves that version, which must be a draft (Conflict otherwise)."""

    name = fields.String(required=True, validate=[validate.Length(max=64), NAME])
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=1000))
    questions = fields.List(fields.Nested(QuestionIn), required=True,
                            validate=validate.Length(min=1, max=MAX_QUESTIONS))
    questionnaire_id = fields.UUID(load_default=None, allow_none=True)


class Question(Schema):
    key = fields.String()
    kind = fields.String()
    text = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.String())
    csat = fields.Boolean()
    max_length = fields.Integer(allow_none=True)


class Questionnaire(Schema):
    id = fields.String()
    name = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "draft or published"})
    title = fields.String()
    description = fields.String()
    questions = fields.List(fields.Nested(Question))
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    published_by = fields.String(allow_none=True)
    published_at = fields.AwareDateTime(allow_none=True)


class QuestionnaireQuery(Schema):
    name = fields.String(validate=validate.Length(max=64))
    status = fields.String(validate=validate.OneOf(STATUSES))
    all_versions = fields.Boolean(load_default=False)


class QuestionnaireList(Schema):
    questionnaires = fields.List(fields.Nested(Questionnaire))
