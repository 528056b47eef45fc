"""The one error body of every HTTP answer: {error, message, fields?, request_id}."""
from marshmallow import Schema, fields


class Error(Schema):
    error = fields.String(required=True, metadata={"description": "stable error code"})
    message = fields.String(required=True)
    field_errors = fields.Dict(data_key="fields", keys=fields.String(),
                               values=fields.List(fields.String()))
    request_id = fields.String()
