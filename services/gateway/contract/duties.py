"""Separation of duties over staff accounts: changes waiting for a second admin, and
the audit of every change (who, when, old, new, approved by)."""
from marshmallow import Schema, fields, validate

from services.gateway.contract.staff import Staff

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
CURSOR = validate.Length(min=1, max=200)


class Rights(Schema):
    """An account's changeable part, as it was (old) or as asked (new)."""

    display_name = fields.String()
    roles = fields.List(fields.String())
    groups = fields.List(fields.String())
    clearance = fields.Integer()
    active = fields.Boolean()


class StaffChange(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "create | update"})
    status = fields.String(metadata={"description": "pending | approved | rejected"})
    staff_id = fields.String(allow_none=True, metadata={"description": "null until a "
                                                        "new account is approved"})
    username = fields.String()
    old = fields.Nested(Rights, allow_none=True)
    new = fields.Nested(Rights)
    grants = fields.List(fields.String(), metadata={
        "description": "what the change grants above the ceiling, e.g. 'roles: manager'"})
    requested_by = fields.String()
    requested_by_name = fields.String()
    requested_at = fields.AwareDateTime()
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    note = fields.String()
    staff = fields.Nested(Staff, allow_none=True, metadata={
        "description": "the account once approved"})


class StaffChangeQuery(Schema):
    status = fields.String(validate=[validate.Length(max=16),
                                     validate.OneOf((PENDING, APPROVED, REJECTED))])
    before = fields.String(validate=CURSOR)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class StaffChangeList(Schema):
    changes = fields.List(fields.Nested(StaffChange))
    next = fields.String(allow_none=True, metadata={"description": "null: last page; "
                                                    "else ?before= for the next"})


class Decision(Schema):
    """Why a change is rejected (optional)."""

    note = fields.String(load_default="", validate=validate.Length(max=500))


class StaffAuditQuery(Schema):
    staff_id = fields.String(validate=validate.Length(min=1, max=64))
    username = fields.String(validate=validate.Length(min=1, max=64))
    before = fields.String(validate=CURSOR)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class StaffAuditEntry(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    action = fields.String(metadata={"description": "created | updated | requested | "
                                     "approved | rejected | password_changed"})
    actor = fields.String(attribute="actor_id", metadata={"description": "who acted "
                                                          "(a staff id, or operator)"})
    actor_name = fields.String()
    staff_id = fields.String(allow_none=True)
    username = fields.String()
    old = fields.Nested(Rights, allow_none=True)
    new = fields.Nested(Rights, allow_none=True)
    change_id = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    note = fields.String()


class StaffAudit(Schema):
    entries = fields.List(fields.Nested(StaffAuditEntry))
    next = fields.String(allow_none=True, metadata={"description": "null: last page; "
                                                    "else ?before= for the next"})
