"""Call and contact figures 话务报表 (R1, R2): the query and its points.

Hotline 热线 — the telephony calls, each counted once on the day and hour (in China) it
was offered, in its queue and with its agent (the answering one, else the last named):
  offered, answered, abandoned, answer_rate (answered / offered; null: none offered),
  ring_seconds (answered calls: the wait before answering) and avg_ring_seconds,
  talk_seconds (answered to ended) and avg_talk_seconds (null: none known),
  quick_hangups 速挂 (answered and ended within quick_hangup_seconds).
Outbound — phone contacts out (the contact log): outbound, outbound_answered (those that
lasted), outbound_answer_rate.  Online 在线 — web and wechat contacts in: online,
online_seconds.  Contacts have no queue: grouped by queue they are on queue null, and a
queue filter leaves them out.

Scope: an agent reads only their own calls and contacts (an agent_id filter naming
another agent is NotFound); supervisors, managers up, admins and the auditor read every
queue and agent.
"""
from marshmallow import Schema, fields, validate

from services.report.contract.figures import PERIODS

DIMENSIONS = ("queue", "agent", "hour")
_NAME = validate.Length(min=1, max=100)


class CallFiguresQuery(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list,
                     validate=validate.Length(max=len(DIMENSIONS)),
                     metadata={"description": "queue, agent, hour (hour of day 0–23, 时段)"})
    queue = fields.String(load_default=None, allow_none=True, validate=_NAME)
    agent_id = fields.String(load_default=None, allow_none=True, validate=_NAME)


class CallPoint(Schema):
    """One period of one key; a dimension not grouped by is absent."""

    period = fields.Date(metadata={"description": "the period's first day"})
    queue = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    hour = fields.Integer(metadata={"description": "hour of day in China, 0–23"})
    offered = fields.Integer()
    answered = fields.Integer()
    abandoned = fields.Integer()
    answer_rate = fields.Float(allow_none=True)
    ring_seconds = fields.Integer()
    talk_seconds = fields.Integer()
    avg_ring_seconds = fields.Float(allow_none=True)
    avg_talk_seconds = fields.Float(allow_none=True)
    quick_hangups = fields.Integer()
    outbound = fields.Integer()
    outbound_answered = fields.Integer()
    outbound_answer_rate = fields.Float(allow_none=True)
    online = fields.Integer()
    online_seconds = fields.Integer()


class CallFigures(Schema):
    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    period = fields.String(metadata={"enum": PERIODS})
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last call or contact event applied happened (null: none)"})
    quick_hangup_seconds = fields.Integer(metadata={
        "description": "an answered call ended within this is a quick hang-up 速挂"})
    points = fields.List(fields.Nested(CallPoint))
