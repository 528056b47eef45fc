"""Provider callbacks: delivery receipts and uplink (customer replies), authenticated
by the provider's signature, not a staff token."""
from marshmallow import Schema, fields, validate

PROVIDERS = ("aliyun", "tencent")
KINDS = ("receipts", "uplink")


class CallbackIn(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    signature = fields.String(load_default="", validate=validate.Length(max=300))
    body = fields.String(required=True, validate=validate.Length(max=1_000_000),
                         metadata={"description": "the raw request body (UTF-8)"})


class CallbackAnswer(Schema):
    answer = fields.Dict(metadata={"description": "what the provider expects back"})
    applied = fields.Integer()
