"""Events the customer service publishes: the payload schema of each (consumers ignore
fields they do not know); and, under their own heading at the end, the schemas it
reads other services' events with."""
from marshmallow import EXCLUDE, Schema, fields, validate

# Bounds of what a consumer loads (issue 9, finding 2): ids are uuids, numbers KH + 8
# digits, field names short.
ID = validate.Length(max=64)
NUMBER = validate.Length(max=32)
NAME = validate.Length(max=50)


class _Event(Schema):
    class Meta:
        unknown = EXCLUDE


class CustomerCreated(_Event):
    customer_id = fields.String(required=True, validate=ID)
    number = fields.String(required=True, validate=NUMBER)
    kind = fields.String(required=True, validate=NAME)


class CustomerUpdated(_Event):
    customer_id = fields.String(required=True, validate=ID)
    fields_changed = fields.List(fields.String(validate=NAME), required=True, data_key="fields",
                                 validate=validate.Length(max=100))


class CustomerClassified(_Event):
    customer_id = fields.String(required=True, validate=ID)
    level = fields.Integer(required=True)
    declassify_at = fields.AwareDateTime(allow_none=True)
    declassify_to = fields.Integer(allow_none=True)


class CustomerMerged(_Event):
    """`merged_id` was merged into `survivor_id`: re-point references."""

    survivor_id = fields.String(required=True, validate=ID)
    merged_id = fields.String(required=True, validate=ID)


class CustomerDestroyed(_Event):
    """The person is erased: anonymise what you hold about `customer_id`."""

    customer_id = fields.String(required=True, validate=ID)
    number = fields.String(required=True, validate=NUMBER)


# ---- consumed: events of other services, read with this service's own schema --------
# Only the fields the customer service uses; the rest is ignored (unknown=EXCLUDE).
# Reading the publisher's contract instead would make the customer service depend on
# the ticket service, which depends on the customer's contract: a cycle.

class TicketContact(_Event):
    """ticket_created as the customer service reads it: a contact with `customer_id`
    (at the event's occurred_at)."""

    customer_id = fields.String(required=True, validate=ID)
