"""Ticket figures (R1, R2): the queries and their series.

Counters of a point (each ticket counted on the day — in China — it lands on):
  created, opened, repeats (repeat_of non-empty), reopened (tickets reopened at least
  once), response_breached, resolution_breached — on the accepted day;
  resolved, same_day (resolved on its accepted day, 当日解决), fcr (first-contact
  resolution 一次性解答: never transferred nor reopened, no later repeat) — on the
  resolved day; closed, cancelled, finished (reached closed / cancelled) — on that day.
Times, in seconds: response (first response − accepted, on the accepted day) and
resolution (resolved − accepted, on the resolved day), p50 / p90 read from fixed
log-scale histogram buckets by linear interpolation, the mean exact; null when the
grouping does not keep them (only kind and group do) or no ticket is behind them.

`measures` asks for some of them only (none: all): a curve of two counters is answered
without the other columns, and without reading the times when none is asked.

`layout`: `points` (the default) answers `series`, one object per period and key group;
`columns` answers the same figures as arrays, the shape a chart draws from — `periods`
(the periods' first days), `fields` (the grouped fields), `keys` (each key group's
values of them, in order) and `values` ({measure: [[one number per period] per key]}).
With a few measures it is the compact answer for many key groups (90 days × 300 agents).
"""
from marshmallow import Schema, fields, validate

PERIODS = ("day", "week", "month")
DIMENSIONS = ("kind", "category", "channel", "group", "agent")
BACKLOG_DIMENSIONS = ("kind", "group")
_NAME = validate.Length(min=1, max=100)
COUNTERS = ("created", "resolved", "closed", "cancelled", "reopened", "repeats",
            "response_breached", "resolution_breached", "same_day", "fcr", "opened",
            "finished")
TIMES = ("response_p50", "response_p90", "response_mean", "resolution_p50",
         "resolution_p90", "resolution_mean")
MEASURES = COUNTERS + TIMES
LAYOUTS = ("points", "columns")


def measures_field(names: tuple) -> fields.List:
    """?measures=a,b: some of the figures only (none asked: all)."""
    return fields.List(fields.String(validate=validate.OneOf(names)), load_default=list,
                       validate=validate.Length(max=len(names)),
                       metadata={"description": "the figures answered (none: all)"})


def _filter() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=_NAME)


class FiguresQuery(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(PERIODS),
                           metadata={"description": "days, ISO weeks or months in China"})
    from_day = fields.Date(required=True, data_key="from",
                           metadata={"description": "the first day, in China"})
    to_day = fields.Date(required=True, data_key="to",
                         metadata={"description": "the last day (inclusive, ≤ 400 days)"})
    by = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list,
                     validate=validate.Length(max=len(DIMENSIONS)))
    kind = _filter()
    category_id = _filter()
    channel = _filter()
    group_name = _filter()
    agent_id = _filter()
    measures = measures_field(MEASURES)
    layout = fields.String(load_default="points", validate=validate.OneOf(LAYOUTS),
                           metadata={"description": "points: `series`; columns: `periods`, "
                                                    "`fields`, `keys`, `values`"})


class FigurePoint(Schema):
    """One period of one key group; a dimension not grouped by is absent."""

    period = fields.Date(metadata={"description": "the period's first day"})
    kind = fields.String(allow_none=True)
    category_id = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    created = fields.Integer()
    resolved = fields.Integer()
    closed = fields.Integer()
    cancelled = fields.Integer()
    reopened = fields.Integer()
    repeats = fields.Integer()
    response_breached = fields.Integer()
    resolution_breached = fields.Integer()
    same_day = fields.Integer()
    fcr = fields.Integer()
    opened = fields.Integer()
    finished = fields.Integer()
    response_p50 = fields.Float(allow_none=True)
    response_p90 = fields.Float(allow_none=True)
    response_mean = fields.Float(allow_none=True)
    resolution_p50 = fields.Float(allow_none=True)
    resolution_p90 = fields.Float(allow_none=True)
    resolution_mean = fields.Float(allow_none=True)


class TicketFigures(Schema):
    as_of = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the last ticket event applied happened (null: none yet)"})
    series = fields.List(fields.Nested(FigurePoint), metadata={"description": "layout points"})
    periods = fields.List(fields.Date(), metadata={"description": "layout columns"})
    fields_ = fields.List(fields.String(), data_key="fields")
    # (names that are no dict's methods: a dict answer read by attribute finds them)
    key_groups = fields.List(fields.List(fields.String(allow_none=True)), data_key="keys")
    measure_values = fields.Dict(keys=fields.String(), values=fields.List(fields.List(
        fields.Float(allow_none=True))), data_key="values")


class BacklogQuery(Schema):
    from_day = fields.Date(required=True, data_key="from")
    to_day = fields.Date(required=True, data_key="to")
    by = fields.String(load_default=None, allow_none=True,
                       validate=validate.OneOf(BACKLOG_DIMENSIONS))
    kind = _filter()
    group_name = _filter()
    agent_id = _filter()


class BacklogPoint(Schema):
    day = fields.Date()
    kind = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    open = fields.Integer(metadata={"description": "tickets not closed nor cancelled at "
                                                   "the end of the day"})


class Backlog(Schema):
    as_of = fields.AwareDateTime(allow_none=True)
    series = fields.List(fields.Nested(BacklogPoint))
