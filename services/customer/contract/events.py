"""Events the customer service publishes: the payload schema of each (consumers ignore
fields they do not know)."""
from marshmallow import EXCLUDE, Schema, fields


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class CustomerCreated(_Event):
    customer_id = fields.String(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True)


class CustomerUpdated(_Event):
    customer_id = fields.String(required=True)
    fields_changed = fields.List(fields.String(), required=True, data_key="fields")


class CustomerClassified(_Event):
    customer_id = fields.String(required=True)
    level = fields.Integer(required=True)
    declassify_at = fields.AwareDateTime(allow_none=True)
    declassify_to = fields.Integer(allow_none=True)


class CustomerMerged(_Event):
    """`merged_id` was merged into `survivor_id`: re-point references."""

    survivor_id = fields.String(required=True)
    merged_id = fields.String(required=True)


class CustomerDestroyed(_Event):
    """The person is erased: anonymise what you hold about `customer_id`."""

    customer_id = fields.String(required=True)
    number = fields.String(required=True)
