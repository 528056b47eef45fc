"""Sign-in: the credentials, and the bearer token with the account it stands for."""
from marshmallow import Schema, fields, validate

from services.gateway.contract.staff import Staff


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class Token(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(Staff)
