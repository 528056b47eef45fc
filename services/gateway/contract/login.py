"""Sign-in: the credentials, the bearer token with the account it stands for, and a
password change."""
from marshmallow import Schema, fields, validate

from services.gateway.contract.staff import Staff

PASSWORD = validate.Length(min=10, max=256)


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class Token(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(Staff)


class PasswordChange(Schema):
    """The current password and the new one (10–256 characters, not the current one,
    not containing the username)."""

    old = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new = fields.String(required=True, validate=PASSWORD)
