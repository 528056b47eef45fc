"""The gateway's public face: HTTP bodies it accepts and returns, staff events.

Events: staff_created, staff_updated (services.vocabulary.StaffChanged: the account as
it is now).
"""
from marshmallow import Schema, fields, validate

from services.vocabulary import ROLES

SERVICE = "gateway"
USERNAME = validate.Regexp(r"^[a-z][a-z0-9_.-]{2,31}$",
                           error="3–32 characters: lower-case letters, digits, _ . -")


class Error(Schema):
    error = fields.String(required=True, metadata={"description": "stable error code"})
    message = fields.String(required=True)
    field_errors = fields.Dict(data_key="fields", keys=fields.String(),
                               values=fields.List(fields.String()))
    request_id = fields.String()


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class StaffCreate(Schema):
    username = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=10, max=256))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                         load_default=list)
    clearance = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3))


class StaffUpdate(Schema):
    """What an admin may change of an account (the username stays; passwords have
    their own path)."""

    display_name = fields.String(validate=validate.Length(min=1, max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)),
                        validate=validate.Length(min=1))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=64)))
    clearance = fields.Integer(validate=validate.Range(min=0, max=3))
    active = fields.Boolean()


class StaffQuery(Schema):
    group = fields.String(validate=validate.Length(min=1, max=64))
    role = fields.String(validate=validate.OneOf(ROLES))
    after = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class Staff(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    groups = fields.List(fields.String())
    clearance = fields.Integer()
    active = fields.Boolean()


class Token(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(Staff)


class GroupCreate(Schema):
    name = fields.String(required=True, validate=USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class Group(Schema):
    name = fields.String()
    display_name = fields.String()


class DailyReportQuery(Schema):
    from_day = fields.Date(required=True, data_key="from")
    to_day = fields.Date(required=True, data_key="to")
