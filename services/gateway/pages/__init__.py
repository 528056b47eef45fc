"""The console 控制台 (issue 10): HTML pages for people beside the JSON API.

web.py is the frame (entrypoint, session cookie, CSRF, rendering); each other module is
one area's views, named as the left menu names them: signin, workbench (with the live
screen pop), tickets, customers (with customer_messages, the card's 消息记录), jobs (field
staff), message_templates (消息模板), bulk_send (群发), and 系统设置's admin* and
notify_settings (通知设置, 群机器人); followups (回访, 回访规则), surveys (问卷,
满意度) and campaigns (活动, 我的邀约, 签到) of the survey service (issue 12).  Templates are in
services/gateway/templates, static files (ours and the pinned htmx) in
services/gateway/static.  The routes are listed in service.py with the API's.
"""
