"""Sign-in: the credentials, the bearer token with the account it stands for, the
refresh token that gets the next one and ends the session at logout, and a password
change."""
from marshmallow import Schema, fields, validate

from services.gateway.contract.staff import Staff

PASSWORD = validate.Length(min=10, max=256)


class LoginRequest(Schema):
    """`device`: the device token an earlier good sign-in of this account gave this
    client (optional): counted on its own and served first when sign-in is busy."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    device = fields.String(validate=validate.Length(min=1, max=128))


class Token(Schema):
    """An access token (`token`, at most 15 minutes: `expires_in` seconds) and the
    refresh token that gets the next pair once (POST /api/v1/auth/refresh), until the
    session ends (`refresh_expires_in` seconds, or logout)."""

    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()
    staff = fields.Nested(Staff)
    device_token = fields.String()  # sign-in only: present it with the next sign-in


class Refresh(Schema):
    """A refresh token, to use (refresh) or to end (logout)."""

    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=128))


class PasswordChange(Schema):
    """The current password and the new one (10–256 characters, not the current one,
    not containing the username)."""

    old = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new = fields.String(required=True, validate=PASSWORD)
