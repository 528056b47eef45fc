"""The daily report 日报 (R3): yesterday's figures for managers, as the event
`daily_report` the notify service sends on (e-mail to the addresses in its settings,
subscribed group robots and webhooks).

Made once per day in China by one replica (the day is claimed in the report's
database), after the hour set by REPORT_DAILY_HOUR (default 8), for the day before.
The text names no customer (counts only); the chart is the last 30 days' created and
resolved tickets as a PNG (base64) with Chinese labels.
"""
from marshmallow import Schema, fields, validate

MAX_CHART = 400_000  # base64 characters (a 960×420 PNG is about 40,000)


class DailyReport(Schema):
    day = fields.Date(required=True, metadata={"description": "the day reported, in China"})
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    markdown = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    chart_png = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=MAX_CHART),
                              metadata={"description": "the curve as PNG, base64"})
    chart_name = fields.String(load_default="趋势.png", validate=validate.Length(min=1, max=100))
    figures = fields.Dict(keys=fields.String(validate=validate.Length(max=50)),
                          values=fields.Integer(allow_none=True), load_default=dict,
                          validate=validate.Length(max=50))
