"""Group robots 群机器人 (DingTalk, WeCom, Feishu) and outgoing webhooks: where
internal notices go, and which events each is told of."""
from marshmallow import Schema, fields, validate

KINDS = ("robot", "webhook")
EVENTS = ("ticket_created", "ticket_assigned", "ticket_transferred", "ticket_dispatched",
          "ticket_resolved", "ticket_closed", "ticket_sla_breached",
          "daily_report")  # the report service's 日报 (R3): its markdown to robots


class TargetIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=1000))
    secret = fields.String(load_default="", validate=validate.Length(max=200),
                           load_only=True,
                           metadata={"description": "signing secret (DingTalk 加签, Feishu "
                                                    "签名校验, webhooks); never answered; left "
                                                    "empty when saved again for the same "
                                                    "URL: the saved one is kept"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), load_default=list,
                         validate=validate.Length(max=len(EVENTS)))
    markdown = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)


class Target(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    url = fields.String(metadata={"description": "its query string (tokens) hidden"})
    signed = fields.Boolean()
    events = fields.List(fields.String())
    markdown = fields.Boolean()
    active = fields.Boolean()
    created_at = fields.AwareDateTime()


class TargetList(Schema):
    targets = fields.List(fields.Nested(Target))
