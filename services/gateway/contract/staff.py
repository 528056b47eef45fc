"""Staff accounts (roles, groups, clearance) and groups of staff."""
from marshmallow import Schema, fields, validate

from services.customer.contract.levels import LEVEL_NAMES, ORDINARY, TOP_SECRET
from services.vocabulary import (
    ADMIN,
    AGENT,
    AUDITOR,
    FIELD,
    GENERAL_MANAGER,
    MANAGER,
    ROLES,
    SUPERVISOR,
    TELEPHONY,
)

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

# What the OpenAPI document says of the account fields (issue 10: a new admin had to
# read code to learn the body and the role names).
ROLE_DUTIES = {  # the README's table "Security: who sees what" says it at length
    AGENT: "坐席 agent: takes calls, accepts and works tickets of their groups",
    SUPERVISOR: "主管 supervisor: their groups' tickets, field jobs and overdue views; "
                "unmasks phones",
    MANAGER: "经理 manager: every ticket; classified archives up to their clearance, "
             "classification",
    GENERAL_MANAGER: "总经理 general manager: as a manager, and the last approval of a "
                     "customer's destruction",
    ADMIN: "管理员 administrator: staff accounts and groups, categories and forms, SLA "
           "and settings",
    AUDITOR: "审计 auditor: reads every ticket, the borrowing log and the staff audit trail",
    FIELD: "外勤 field staff: receives dispatched jobs and records their handling",
    TELEPHONY: "not a person: the telephony system's account, posts call events only",
}
ROLES_DOC = ("one or more of: " + "; ".join(f"{role} ({ROLE_DUTIES[role]})" for role in ROLES)
             + ".  A role from supervisor up, admin or auditor waits for a second admin's "
               "approval (202).")
CLEARANCE_DOC = ("the highest confidentiality level of customer archives the person may "
                 "read, from 0 (ordinary) to 3 (top secret): "
                 + ", ".join(f"{level} {name}" for level, name in LEVEL_NAMES.items())
                 + ".  Above 0 waits for a second admin's approval (202).")
GROUPS_DOC = ("names of existing groups (GET /api/v1/groups); the person works their "
              "queues")


class StaffCreate(Schema):
    """A new account.  One holding a right above the ceiling (a role from supervisor
    up, admin or auditor; a clearance above 0) is made once a second admin approves
    (202 with the pending change; see contract/duties.py)."""

    username = fields.String(required=True, validate=NAME, metadata={
        "description": "the sign-in name: 3–32 lower-case letters, digits, _ . -, "
                       "starting with a letter; never changes",
        "example": "li.na"})
    display_name = fields.String(required=True, validate=DISPLAY_NAME, metadata={
        "description": "the name colleagues see", "example": "李娜"})
    password = fields.String(required=True, validate=validate.Length(min=10, max=256),
                             metadata={"description": "the first password, 10–256 "
                                                      "characters; the person changes it "
                                                      "(PUT /api/v1/me/password)",
                                       "example": "Spring-rain-2026"})
    roles = fields.List(fields.String(validate=ROLE), required=True, validate=ROLE_LIST,
                        metadata={"description": ROLES_DOC, "example": [AGENT]})
    groups = fields.List(fields.String(validate=GROUP_NAME), load_default=list,
                         validate=GROUP_LIST,
                         metadata={"description": GROUPS_DOC, "example": ["hotline"]})
    clearance = fields.Integer(load_default=ORDINARY, validate=CLEARANCE,
                               metadata={"description": CLEARANCE_DOC, "example": ORDINARY})


class StaffUpdate(Schema):
    """What an admin may change of an account (the username stays; passwords have
    their own path).  Not roles, groups, clearance or active of one's own account;
    a grant above the ceiling waits for a second admin (202)."""

    display_name = fields.String(validate=DISPLAY_NAME)
    roles = fields.List(fields.String(validate=ROLE), validate=ROLE_LIST,
                        metadata={"description": "the whole new list, " + ROLES_DOC})
    groups = fields.List(fields.String(validate=GROUP_NAME), validate=GROUP_LIST,
                         metadata={"description": "the whole new list, " + GROUPS_DOC})
    clearance = fields.Integer(validate=CLEARANCE, metadata={"description": CLEARANCE_DOC})
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
