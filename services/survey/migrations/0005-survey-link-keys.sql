-- depends: 0004-survey-campaigns
-- Personal links by idempotency key (per issuer): notify asks again after a lost answer
-- or a redelivered event and gets the same link, not a second one.
ALTER TABLE survey_link ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX survey_link_idempotency ON survey_link (issued_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The questionnaire the message after a resolution links to (notify's RESOLUTION_SURVEY,
-- by name: its newest published version).  Version 1 is seeded published so a fresh
-- install sends working links; an administrator saves the name again for version 2.
INSERT INTO questionnaire (name, version, status, title, description, questions,
                           created_by, published_by, published_at) VALUES
('service_satisfaction', 1, 'published', '服务满意度调查',
 '感谢您抽出一分钟评价本次服务。',
 '[{"key": "overall", "kind": "scale", "text": "您对本次服务的总体满意度", "required": true,
    "options": [], "csat": true, "max_length": null},
   {"key": "recommend", "kind": "nps", "text": "您有多大可能向亲友推荐我们（0–10）",
    "required": false, "options": [], "csat": false, "max_length": null},
   {"key": "comment", "kind": "text", "text": "您的意见和建议", "required": false,
    "options": [], "csat": false, "max_length": 500}]',
 'system', 'system', now())
ON CONFLICT (name, version) DO NOTHING;
