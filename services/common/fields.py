"""marshmallow fields shared by contracts.

Every field that takes text or a collection is bounded (issue 9, finding 2; the rule is
checked by tests/unit/common/test_input_bounds.py): a field class of ours that bounds
its own input says so with `max_length`.
"""
import datetime

from marshmallow import ValidationError, fields

from services.common import phones
from services.common.zone import day_start


class PhoneNumber(fields.String):
    """Loads any common written form; yields {"e164": ..., "ext": ...}.  Text longer
    than `max_length` is refused before it is parsed (issue 9, finding 2)."""

    max_length = phones.MAX_LENGTH
    default_error_messages = {"too_long": f"at most {phones.MAX_LENGTH} characters"}

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > self.max_length:
            raise self.make_error("too_long")
        try:
            e164, ext = phones.normalize(raw)
        except phones.BadPhone as exc:
            raise ValidationError(str(exc)) from exc
        return {"e164": e164, "ext": ext}


class Moment(fields.Field):
    """An aware ISO date-time, or a date: the start of that day in China, or with
    `end=True` the start of the next (an inclusive "to" date)."""

    max_length = 40
    default_error_messages = {"invalid": "not a date (YYYY-MM-DD) or an ISO date-time "
                                         "with a time zone"}

    def __init__(self, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > self.max_length:
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                day = datetime.date.fromisoformat(value)
                start = day_start(day)
                return start + datetime.timedelta(days=1) if self.end else start
            moment = datetime.datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if moment.tzinfo is None:
            raise self.make_error("invalid")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class Json(fields.Field):
    """Any JSON value (object, array, text, number, true/false/null) within bounds: at
    most `max_length` units — a unit per value and per character of text and keys — and
    `max_depth` levels of nesting; no NUL character anywhere (PostgreSQL refuses it).
    For the free-form parts of a contract (custom fields, form values, an event's data),
    checked in one pass, linear in the value's size."""

    default_error_messages = {
        "too_long": "at most {max_length} characters and values in all",
        "too_deep": "nested deeper than {max_depth} levels",
        "nul": "contains a NUL character",
        "not_json": "not a JSON value",
        "not_object": "not an object",
    }

    def __init__(self, max_length: int = 10_000, max_depth: int = 8, object_only: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.max_length, self.max_depth, self.object_only = max_length, max_depth, object_only

    def _deserialize(self, value, attr, data, **kwargs):
        if self.object_only and not isinstance(value, dict):
            raise self.make_error("not_object")
        size = 0
        pending = [(value, 1)]
        while pending:
            item, depth = pending.pop()
            if depth > self.max_depth:
                raise self.make_error("too_deep", max_depth=self.max_depth)
            size += 1
            if isinstance(item, str):
                size += len(item)
                if "\x00" in item:
                    raise self.make_error("nul")
            elif isinstance(item, dict):
                for key, inner in item.items():
                    if not isinstance(key, str):
                        raise self.make_error("not_json")
                    if "\x00" in key:
                        raise self.make_error("nul")
                    size += len(key)
                    pending.append((inner, depth + 1))
            elif isinstance(item, list):
                pending.extend((inner, depth + 1) for inner in item)
            elif not (item is None or isinstance(item, (bool, int, float))):
                raise self.make_error("not_json")
            if size > self.max_length:
                raise self.make_error("too_long", max_length=self.max_length)
        return value
