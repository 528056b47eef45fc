"""Words every service shares and no one service owns (no service imports another's
internals, and none of the big ones may depend on each other both ways).

- Staff roles and the role sets operations allow.  The gateway keeps the accounts
  and their roles; every service checks them itself (contract indexes).
- The staff member as the gateway's staff_created / staff_updated events describe
  it: published by the gateway (its contract lists the events), read by services
  that keep a copy of the staff (the ticket service's on-duty lists).

Imports only marshmallow: services.common knows no role but the system's.
"""
from marshmallow import EXCLUDE, Schema, fields, validate

AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER = "agent", "supervisor", "manager", "general_manager"
ADMIN, AUDITOR = "admin", "auditor"
FIELD = "field"  # field staff 外勤: receive dispatched jobs and record their handling (T7)
TELEPHONY = "telephony"  # an integration account: the call center's telephony posts call events
ROLES = (AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER, ADMIN, AUDITOR, FIELD, TELEPHONY)

# The line of command is agent < supervisor < manager < general manager.
# STAFF is the people; an integration account is none of them.
STAFF = frozenset(ROLES) - {TELEPHONY}
INTEGRATIONS = frozenset({TELEPHONY})
FRONT_LINE = frozenset({AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER})
SUPERVISORS_UP = frozenset({SUPERVISOR, MANAGER, GENERAL_MANAGER})
MANAGERS_UP = frozenset({MANAGER, GENERAL_MANAGER})
ADMINS = frozenset({ADMIN})
FIELD_STAFF = frozenset({FIELD})
# Who may take calls and record work: the front line, and admins setting the system up.
OPERATORS = FRONT_LINE | ADMINS


class StaffChanged(Schema):
    """Payload of staff_created and staff_updated: the account as it is now (consumers
    ignore fields they do not know).  `version` rises with every change of the account,
    so a consumer keeps the newest it has seen and ignores an older one arriving late
    (events from before versions load as 0)."""

    class Meta:
        unknown = EXCLUDE

    staff_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(max=len(ROLES)))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                         required=True, validate=validate.Length(max=50))
    active = fields.Boolean(load_default=True)
    version = fields.Integer(load_default=0, validate=validate.Range(min=0))
