"""marshmallow fields shared by contracts."""
from marshmallow import ValidationError, fields

from services.common import phones


class PhoneNumber(fields.String):
    """Loads any common written form; yields {"e164": ..., "ext": ...}."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            e164, ext = phones.normalize(raw)
        except phones.BadPhone as exc:
            raise ValidationError(str(exc)) from exc
        return {"e164": e164, "ext": ext}
