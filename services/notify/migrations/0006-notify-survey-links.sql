-- depends: 0005-notify-replays-fill-retries
-- A message that waits for its survey link (the message after a resolution): what to
-- ask the survey service for, until the link is in its parameters; asked again with
-- back-off while the survey service cannot answer (link_tries), never sent without it.
ALTER TABLE message ADD COLUMN link_request jsonb,
                    ADD COLUMN link_tries integer NOT NULL DEFAULT 0;
CREATE INDEX message_waits_for_link ON message (not_before)
    WHERE status = 'queued' AND link_request IS NOT NULL;

-- The check-in code of an accepted campaign invitation (V5), version 1 by the system;
-- an administrator saves a new version with the provider's approved code and sign name.
INSERT INTO template (name, channel, locale, version, purpose, quiet_hours, subject, body,
                      variables, provider_code, sign_name, created_by, note) VALUES
('campaign_checkin', 'sms', 'zh-CN', 1, 'service', 'defer', '',
 '{{ name }}您好，感谢您报名参加“{{ theme }}”，时间{{ starts_at }}，地点{{ place }}。签到码{{ checkin_code }}，到场时出示即可签到。',
 '{name,theme,starts_at,place,checkin_code}', 'SMS_100000004', '客服中心', 'system',
 '市场活动邀约接受后发给客户（签到码）');
