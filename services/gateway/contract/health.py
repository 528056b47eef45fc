"""/healthz: which checks pass — names only, never the reason (that is logged)."""
from marshmallow import Schema, fields


class Health(Schema):
    status = fields.String(metadata={"description": "ok | unavailable"})
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean())
    failing = fields.List(fields.String(), metadata={"description": "the checks that failed"})
