"""Customer preferences 偏好 (N4): opt-outs per channel; the department's quiet hours
and marketing caps."""
from marshmallow import Schema, fields, validate

SCOPES = ("marketing", "all")
CUSTOMER_CHANNELS = ("sms", "email")


class OptOut(Schema):
    channel = fields.String()
    scope = fields.String()
    source = fields.String(metadata={"description": "uplink (the customer replied 退订/TD) "
                                                    "or staff"})
    note = fields.String()
    created_at = fields.AwareDateTime()


class Preferences(Schema):
    customer_id = fields.String()
    opt_outs = fields.List(fields.Nested(OptOut))


class PreferencesIn(Schema):
    """Set one channel's opt-out for a customer: `scope` marketing (no greetings) or
    all (nothing on that channel), or null to opt in again."""

    channel = fields.String(required=True, validate=validate.OneOf(CUSTOMER_CHANNELS))
    scope = fields.String(required=True, allow_none=True, validate=validate.OneOf(SCOPES))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class Settings(Schema):
    quiet_hours = fields.String(metadata={"description": "HH:MM-HH:MM in China time, or "
                                                         "empty for none"})
    marketing_daily_cap = fields.Integer()
    marketing_weekly_cap = fields.Integer()
    daily_report_emails = fields.List(fields.String(), metadata={
        "description": "who receives the daily report 日报 by e-mail (managers)"})


class SettingsIn(Schema):
    quiet_hours = fields.String(validate=[validate.Length(max=11), validate.Regexp(
        r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$", error="HH:MM-HH:MM")])
    marketing_daily_cap = fields.Integer(validate=validate.Range(min=0, max=100))
    marketing_weekly_cap = fields.Integer(validate=validate.Range(min=0, max=500))
    daily_report_emails = fields.List(
        fields.Email(validate=validate.Length(max=254)), validate=validate.Length(max=20))
