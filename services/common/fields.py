"""marshmallow fields shared by contracts."""
import datetime

from marshmallow import ValidationError, fields

from services.common import phones
from services.common.zone import day_start


class PhoneNumber(fields.String):
    """Loads any common written form; yields {"e164": ..., "ext": ...}."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            e164, ext = phones.normalize(raw)
        except phones.BadPhone as exc:
            raise ValidationError(str(exc)) from exc
        return {"e164": e164, "ext": ext}


class Moment(fields.Field):
    """An aware ISO date-time, or a date: the start of that day in China, or with
    `end=True` the start of the next (an inclusive "to" date)."""

    default_error_messages = {"invalid": "not a date (YYYY-MM-DD) or an ISO date-time "
                                         "with a time zone"}

    def __init__(self, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
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
