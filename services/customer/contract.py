"""The customer service's public face: RPC inputs/outputs and event payloads.

RPC (service name "customer"):
  create_customer(data: CustomerCreate) -> Customer
  get_customer(customer_id) -> Customer                       NotFound
  lookup(phone=...) -> LookupResult                           Invalid
  health() -> {"service": "customer", "ok": true}             public
Events: customer_created (CustomerCreated).
"""
from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.fields import PhoneNumber

SERVICE = "customer"
KINDS = ("person", "organization")


class CustomerCreate(Schema):
    kind = fields.String(load_default="person", validate=validate.OneOf(KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phones = fields.List(PhoneNumber(), load_default=list, validate=validate.Length(max=10))


class Phone(Schema):
    e164 = fields.String()
    ext = fields.String(allow_none=True)
    masked = fields.String()


class Customer(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String()
    name = fields.String()
    phones = fields.List(fields.Nested(Phone))
    created_at = fields.AwareDateTime()


class LookupQuery(Schema):
    phone = PhoneNumber(required=True)


class LookupResult(Schema):
    matches = fields.List(fields.Nested(Customer))


class CustomerCreated(Schema):
    """Payload of customer_created (consumers ignore unknown fields)."""

    class Meta:
        unknown = EXCLUDE

    customer_id = fields.String(required=True)
    number = fields.String(required=True)
    kind = fields.String(required=True)
