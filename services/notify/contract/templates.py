"""Templates 消息模板 (N2): named, versioned, per channel and locale."""
from marshmallow import Schema, fields, validate

CHANNELS = ("sms", "email", "robot", "webhook")
PURPOSES = ("service", "marketing")
LOCALES = ("zh-CN", "en")
QUIET = ("defer", "send")
NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$",
                       error="lower-case letters, digits and _, starting with a letter")


class TemplateIn(Schema):
    """A template saved: a new name starts at version 1, a known one gets the next."""

    name = fields.String(required=True, validate=[validate.Length(max=64), NAME])
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))
    purpose = fields.String(load_default="service", validate=validate.OneOf(PURPOSES))
    quiet_hours = fields.String(
        load_default="defer", validate=validate.OneOf(QUIET),
        metadata={"description": "service messages: wait for the end of quiet hours "
                                 "(defer) or go at once (send); marketing always waits"})
    subject = fields.String(load_default="", validate=validate.Length(max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    variables = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                            load_default=list, validate=validate.Length(max=30))
    provider_code = fields.String(
        load_default="", validate=validate.Length(max=64),
        metadata={"description": "SMS: the provider's approved template code (Aliyun "
                                 "SMS_123, Tencent template id)"})
    sign_name = fields.String(load_default="", validate=validate.Length(max=30),
                              metadata={"description": "SMS: the approved signature 签名"})
    note = fields.String(load_default="", validate=validate.Length(max=500))


class SmsLength(Schema):
    characters = fields.Integer()
    parts = fields.Integer()
    per_part = fields.Integer()


class Template(Schema):
    id = fields.String()
    name = fields.String()
    channel = fields.String()
    locale = fields.String()
    version = fields.Integer()
    purpose = fields.String()
    quiet_hours = fields.String()
    subject = fields.String()
    body = fields.String()
    variables = fields.List(fields.String())
    provider_code = fields.String()
    sign_name = fields.String()
    note = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    retired_at = fields.AwareDateTime(allow_none=True)
    sms = fields.Nested(SmsLength, allow_none=True,
                        metadata={"description": "SMS: length of the body with sample "
                                                 "values, and billed parts"})


class TemplateQuery(Schema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    name = fields.String(validate=validate.Length(max=64))
    all_versions = fields.Boolean(load_default=False)
    retired = fields.Boolean(load_default=False)


class TemplateList(Schema):
    templates = fields.List(fields.Nested(Template))


class PreviewIn(Schema):
    params = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.String(validate=validate.Length(max=500)),
                         load_default=dict, validate=validate.Length(max=30))


class Preview(Schema):
    subject = fields.String()
    content = fields.String()
    sms = fields.Nested(SmsLength, allow_none=True)
