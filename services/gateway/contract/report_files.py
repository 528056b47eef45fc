"""The queries of the report files (issue 13, R3): the report service's own figures
query (its contract's input schema) plus what the file is — `format` (xlsx or csv; a
chart png or svg) and, for a chart, the measures drawn (`measure`, one line each).

A query schema here is the report operation's input schema extended, so one load
validates it all and names a bad field (400) before the report service is asked.  It
keeps the module of the schema it extends: its fields are that contract's, bounded by
that service's rules (tests/unit/common/test_input_bounds.py walks them all); the two
added here are bounded by length besides.  The JSON answer's own shape parameters
(`measures`, `layout`) are not a file's: a file has every column, a chart `measure`.
"""
from marshmallow import Schema, fields, validate

FILE_FORMATS = ("xlsx", "csv")
CHART_FORMATS = ("png", "svg")
MAX_MEASURES = 12
# What a chart may draw: the numeric fields of a point of each answer.
TICKET_MEASURES = (
    "created", "resolved", "closed", "cancelled", "reopened", "repeats", "response_breached",
    "resolution_breached", "same_day", "fcr", "opened", "finished", "response_p50",
    "response_p90", "response_mean", "resolution_p50", "resolution_p90", "resolution_mean")
BACKLOG_MEASURES = ("open",)
CALL_MEASURES = (
    "offered", "answered", "abandoned", "answer_rate", "ring_seconds", "talk_seconds",
    "avg_ring_seconds", "avg_talk_seconds", "quick_hangups", "outbound", "outbound_answered",
    "outbound_answer_rate", "online", "online_seconds")


ANSWER_SHAPE = ("measures", "layout")  # of the JSON answer only


def _meta(base: type[Schema]) -> type:
    """Meta leaving out the JSON answer's shape parameters `base` has (unknown, 400)."""
    return type("Meta", (getattr(base, "Meta", object),), {
        "exclude": tuple(n for n in ANSWER_SHAPE if n in base._declared_fields)})


def file_query(base: type[Schema]) -> type[Schema]:
    """`base` (a report operation's input) and the file's format."""
    return type(f"{base.__name__}File", (base,), {
        "__module__": base.__module__, "Meta": _meta(base),
        "format": fields.String(
            load_default="xlsx", validate=(validate.Length(max=8), validate.OneOf(FILE_FORMATS)),
            metadata={"description": "xlsx (Excel) or csv (UTF-8 with a byte-order mark)"}),
    })


def chart_query(base: type[Schema], measures: tuple[str, ...],
                default: tuple[str, ...]) -> type[Schema]:
    """`base` (a report operation's input), the image's format and the measures drawn
    (?measure=created,resolved or repeated)."""
    return type(f"{base.__name__}Chart", (base,), {
        "__module__": base.__module__, "Meta": _meta(base),
        "format": fields.String(load_default="png",
                                validate=(validate.Length(max=8), validate.OneOf(CHART_FORMATS)),
                                metadata={"description": "png or svg"}),
        "measure": fields.List(fields.String(validate=(validate.Length(max=40),
                                                       validate.OneOf(measures))),
                               load_default=lambda: list(default),
                               validate=validate.Length(min=1, max=MAX_MEASURES),
                               metadata={"description": "the measures drawn, a line each "
                                                        "(and per key group when grouped)"}),
    })
