"""Staff accounts (roles, groups, clearance) and groups of staff."""
from marshmallow import Schema, fields, validate

from services.customer.contract.levels import ORDINARY, TOP_SECRET
from services.vocabulary import ROLES

NAME = [validate.Length(min=3, max=32),
        validate.Regexp(r"^[a-z][a-z0-9_.-]{2,31}$",
                        error="3–32 characters: lower-case letters, digits, _ . -")]
DISPLAY_NAME = validate.Length(min=1, max=100)
GROUP_NAME = validate.Length(min=1, max=64)
ROLE = [validate.Length(max=32), validate.OneOf(ROLES)]
ROLE_LIST = validate.Length(min=1, max=len(ROLES))
GROUP_LIST = validate.Length(max=50)
# A clearance is one of the customer archive's confidentiality levels.
CLEARANCE = validate.Range(min=ORDINARY, max=TOP_SECRET)


class StaffCreate(Schema):
    """A new account.  One holding a right above the ceiling (a role from supervisor
    up, admin or auditor; a clearance above 0) is made once a second admin approves
    (202 with the pending change; see contract/duties.py)."""

    username = fields.String(required=True, validate=NAME)
    display_name = fields.String(required=True, validate=DISPLAY_NAME)
    password = fields.String(required=True, validate=validate.Length(min=10, max=256))
    roles = fields.List(fields.String(validate=ROLE), required=True, validate=ROLE_LIST)
    groups = fields.List(fields.String(validate=GROUP_NAME), load_default=list,
                         validate=GROUP_LIST)
    clearance = fields.Integer(load_default=ORDINARY, validate=CLEARANCE)


class StaffUpdate(Schema):
    """What an admin may change of an account (the username stays; passwords have
    their own path).  Not roles, groups, clearance or active of one's own account;
    a grant above the ceiling waits for a second admin (202)."""

    display_name = fields.String(validate=DISPLAY_NAME)
    roles = fields.List(fields.String(validate=ROLE), validate=ROLE_LIST)
    groups = fields.List(fields.String(validate=GROUP_NAME), validate=GROUP_LIST)
    clearance = fields.Integer(validate=CLEARANCE)
    active = fields.Boolean()


class StaffQuery(Schema):
    group = fields.String(validate=GROUP_NAME)
    role = fields.String(validate=ROLE)
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
    version = fields.Integer(metadata={"description": "raised by every change of the account"})


class StaffList(Schema):
    staff = fields.List(fields.Nested(Staff))


class GroupCreate(Schema):
    name = fields.String(required=True, validate=NAME)
    display_name = fields.String(required=True, validate=DISPLAY_NAME)


class Group(Schema):
    name = fields.String()
    display_name = fields.String()


class GroupList(Schema):
    groups = fields.List(fields.Nested(Group))
