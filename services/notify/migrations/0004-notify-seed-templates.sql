-- depends: 0003-notify-sends
-- The templates ticket events use (N5), version 1, written by the system.  An
-- administrator saves a new version with the provider's approved template code and
-- sign name (these are placeholders), or retires one to stop that message.
INSERT INTO template (name, channel, locale, version, purpose, quiet_hours, subject, body,
                      variables, provider_code, sign_name, created_by, note) VALUES
('dispatch_appointment', 'sms', 'zh-CN', 1, 'service', 'defer', '',
 '{{ name }}您好，您的服务单{{ serial }}已安排工程师上门，预约时间{{ window }}，请保持电话畅通。',
 '{name,serial,window}', 'SMS_100000001', '客服中心', 'system', '派工后发给客户'),
('ticket_resolved', 'email', 'zh-CN', 1, 'service', 'send', '您的服务单 {{ serial }} 已处理完毕',
 E'{{ name }}您好：\n\n您的服务单 {{ serial }} 已处理完毕，感谢您的耐心与支持。{% if survey_link %}\n\n请花一分钟评价本次服务：{{ survey_link }}{% endif %}\n\n客服中心',
 '{name,serial,survey_link}', '', '', 'system', '工单解决后发给客户（有邮箱时）'),
('ticket_resolved', 'sms', 'zh-CN', 1, 'service', 'defer', '',
 '{{ name }}您好，您的服务单{{ serial }}已处理完毕，感谢您的支持。{% if survey_link %}评价本次服务：{{ survey_link }}{% endif %}',
 '{name,serial,survey_link}', 'SMS_100000002', '客服中心', 'system', '工单解决后发给客户（无邮箱时）'),
('holiday_greeting', 'sms', 'zh-CN', 1, 'marketing', 'defer', '',
 '{{ name }}您好，{{ holiday }}将至，客服中心祝您节日快乐！回复TD退订',
 '{name,holiday}', 'SMS_100000003', '客服中心', 'system', '节日问候（营销）');
