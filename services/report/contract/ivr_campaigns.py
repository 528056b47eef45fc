"""Keypad rating offers 满意度发送率 and campaign rates 市场活动 (issue 13, R1, R2): the
queries and their rows, read from the rollups the survey service's snapshot events keep
(domain/ivr_campaigns.py).

Offers: each call offered the keypad rating counted once on the China day it was
offered, by agent, group and ticket kind: offered, rated (the offer was rated),
rating_rate (rated / offered, per cent, one decimal; null: none offered) — the survey's
own rated share.  An answer is {from, to, period, as_of, columns, rows} as the
follow-up figures' (contract/survey.py): every period of the range for every key found
(zeros where none), a grouped field with no value null, at most 20,000 rows.

Campaigns: each campaign starting in [from, to] (its China start day), and with
by=agent each agent of it, over its invitations: total, called (the call's outcome
recorded), invited, accepted, came, with_outcome (a visit's satisfaction recorded),
satisfied, gift_taken, coupon_taken, and the survey's campaign_rates rates in per cent
(null with nothing behind): invitation_rate invited / total, acceptance_rate accepted /
invited, attendance_rate came / accepted, satisfaction_rate satisfied / with_outcome.
Rows by start day, campaign, agent; {from, to, as_of, columns, rows}.

Scope: an agent reads their own offers and invitations (another agent_id: NotFound); a
supervisor their groups' (an invitation counts for the agent's groups when its list
was frozen; another group, or an agent or campaign with nothing in them: NotFound);
managers up, admins and the auditor everything.  An invitation above the reader's
clearance is not counted.
"""
from marshmallow import Schema, fields, validate

from services.report.contract.figures import PERIODS

OFFER_DIMENSIONS = ("agent", "group", "kind")
CAMPAIGN_DIMENSIONS = ("agent",)
_NAME = validate.Length(min=1, max=100)


def _filter() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=_NAME)


class _Range(Schema):
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    group_name = _filter()
    agent_id = _filter()


class IvrOfferFiguresQuery(_Range):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    by = fields.List(fields.String(validate=validate.OneOf(OFFER_DIMENSIONS)),
                     load_default=list, validate=validate.Length(max=len(OFFER_DIMENSIONS)),
                     metadata={"description": "agent, group, kind"})
    ticket_kind = _filter()


class CampaignFiguresQuery(_Range):
    by = fields.List(fields.String(validate=validate.OneOf(CAMPAIGN_DIMENSIONS)),
                     load_default=list,
                     validate=validate.Length(max=len(CAMPAIGN_DIMENSIONS)),
                     metadata={"description": "agent: each agent of each campaign"})
    campaign_id = _filter()


class IvrOfferFigures(Schema):
    """Rows, not a schema per point."""

    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    period = fields.String(metadata={"enum": PERIODS})
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last offer event applied happened (null: none)"})
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))


class CampaignFigures(Schema):
    from_day = fields.Date(data_key="from")
    to_day = fields.Date(data_key="to")
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last invitation event applied happened (null: none)"})
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.Raw()))
