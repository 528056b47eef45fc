"""Destruction 销毁 (C6): what callers send and get (the operations, their roles and
errors: the index, contract/__init__.py).

Approvers see every request within their clearance, others their own.  Supervisor
(step 1), manager (step 2), general manager (step 3) decide in that order, three
different people, not the requester: Conflict when out of order or no longer
pending, Forbidden for the requester or a repeat approver, NotFound above the
approver's clearance.  The third approval erases the personal data and publishes
customer_destroyed (CustomerDestroyed).
"""
from marshmallow import Schema, fields, validate

STATUSES = ("pending", "rejected", "destroyed")


class DestructionRequestIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class ApprovalIn(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class RejectionIn(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class DestructionQuery(Schema):
    status = fields.String(allow_none=True, load_default=None,
                           validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class Approval(Schema):
    step = fields.Integer()
    role = fields.String()
    decision = fields.String()
    approver_id = fields.String()
    approver_name = fields.String()
    comment = fields.String()
    at = fields.AwareDateTime()


class DestructionRequest(Schema):
    id = fields.String()
    customer_id = fields.String()
    customer_number = fields.String()
    customer_name = fields.String()
    destroyed = fields.Boolean()
    requester_id = fields.String()
    requester_name = fields.String()
    reason = fields.String()
    status = fields.String()
    awaiting_step = fields.Integer(allow_none=True)
    awaiting_role = fields.String(allow_none=True)
    awaiting_title = fields.String(allow_none=True)
    approvals = fields.List(fields.Nested(Approval))
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)


class DestructionRequestList(Schema):
    requests = fields.List(fields.Nested(DestructionRequest))
