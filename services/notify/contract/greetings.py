"""Holiday greetings 节日问候 (N5): a template to a customer segment on the first day of
a mainland holiday (chinese_calendar), once a year each."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.customer.contract.search import SegmentQuery
from services.notify.contract.sends import PARAMS

HOLIDAYS = ("New Year's Day", "Spring Festival", "Tomb-sweeping Day", "Labour Day",
            "Dragon Boat Festival", "National Day", "Mid-autumn Festival")


class GreetingIn(Schema):
    """A greeting to a segment (a segment with no filter is every customer: say so with
    all_customers)."""

    holiday = fields.String(required=True, validate=validate.OneOf(HOLIDAYS))
    template = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(load_default="sms", validate=validate.OneOf(("sms", "email")))
    segment = fields.Nested(SegmentQuery(exclude=("cursor", "limit", "count")),
                            load_default=dict)
    params = PARAMS
    all_customers = fields.Boolean(load_default=False)
    send_at = fields.Time(load_default=None, allow_none=True,
                          metadata={"description": "China time on the day (default 10:00)"})
    active = fields.Boolean(load_default=True)


    @validates_schema
    def _everyone(self, data, **kwargs):
        if not data.get("segment") and not data.get("all_customers"):
            raise ValidationError("no filter: every customer; name a filter, or send "
                                  "all_customers: true", "segment")


class Greeting(Schema):
    id = fields.String()
    holiday = fields.String()
    template = fields.String()
    channel = fields.String()
    segment = fields.Dict()
    params = fields.Dict()
    all_customers = fields.Boolean(load_default=False)
    send_at = fields.Time()
    active = fields.Boolean()
    next_day = fields.Date(allow_none=True, metadata={"description": "the holiday's next "
                                                                     "first day"})
    created_at = fields.AwareDateTime()


class GreetingList(Schema):
    greetings = fields.List(fields.Nested(Greeting))
