"""Tickets per day and kind: the query and its series."""
from marshmallow import Schema, ValidationError, fields, validates_schema

MAX_DAYS = 731


class DailyQuery(Schema):
    from_day = fields.Date(required=True, data_key="from")
    to_day = fields.Date(required=True, data_key="to")

    @validates_schema
    def check_range(self, data, **kwargs):
        span = (data["to_day"] - data["from_day"]).days
        if span < 0:
            raise ValidationError("must not be before from", "to")
        if span > MAX_DAYS:
            raise ValidationError(f"at most {MAX_DAYS} days", "to")


class DailyPoint(Schema):
    day = fields.Date()
    kind = fields.String()
    count = fields.Integer()


class DailySeries(Schema):
    series = fields.List(fields.Nested(DailyPoint))
