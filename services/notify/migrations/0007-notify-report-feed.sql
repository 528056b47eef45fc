-- depends: 0006-notify-survey-links
-- The report's check counts messages by the day they were made (issue 13).
CREATE INDEX IF NOT EXISTS message_created ON message (created_at);
