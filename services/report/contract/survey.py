"""Follow-up 回访 and satisfaction 满意度 figures (issue 13, R1, R2): the queries and their
rows, read from the rollups the survey service's events keep (domain/survey.py).

Follow-ups, each task counted once in its FIRST group ('' without one) and with its
assignee, by China day: created (on its creation day), due (on its due day), done
(reached + unreachable, on its completion day), reached, unreachable, missed (on the day
it was missed), done_on_time (completed at or before its due time and never missed),
on_time_rate (done_on_time / done, 0–1; null: none done).
Satisfaction, each answer counted once on the China day it was answered, by agent,
group, ticket kind and source (agent, ivr, link): answers, csat_answers, satisfied
(score 4 or 5), csat (per cent, one decimal), nps_answers, promoters (9–10), detractors
(0–6), passives, nps (per cent) — the survey service's own definitions.

An answer is {from, to, period, as_of, columns, rows}: `columns` names each row's
values (period, the grouped fields, the figures); every period of the range is there for
every key found (zeros where none), rows in key then period order; a grouped field with
no value ('' kept) is null.  At most 20,000 rows (more: Invalid naming `by`).

Scope: an agent reads their own (an agent_id filter naming another: NotFound); a
supervisor their groups (another group, or an agent with nothing counted in them:
NotFound); managers up, admins and the auditor everything.
"""
from marshmallow import Schema, fields, validate

from services.report.contract.figures import PERIODS

FOLLOWUP_DIMENSIONS = ("group", "agent")
SATISFACTION_DIMENSIONS = ("agent", "group", "kind", "source")
SOURCES = ("agent", "ivr", "link")
_NAME = validate.Length(min=1, max=100)


def _filter() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=_NAME)


class _Query(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    group_name = _filter()
    agent_id = _filter()


class FollowupFiguresQuery(_Query):
    by = fields.List(fields.String(validate=validate.OneOf(FOLLOWUP_DIMENSIONS)),
                     load_default=list, validate=validate.Length(max=len(FOLLOWUP_DIMENSIONS)),
                     metadata={"description": "group, agent"})


class SatisfactionFiguresQuery(_Query):
    by = fields.List(fields.String(validate=validate.OneOf(SATISFACTION_DIMENSIONS)),
                     load_default=list,
                     validate=validate.Length(max=len(SATISFACTION_DIMENSIONS)),
                     metadata={"description": "agent, group, kind, source"})
    ticket_kind = _filter()
    source = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(SOURCES))


class SurveyFigures(Schema):
    """Rows, not a schema per point: a year of days by agent is thousands of them."""

    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    period = fields.String(metadata={"enum": PERIODS})
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last survey event applied happened (null: none)"})
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))
