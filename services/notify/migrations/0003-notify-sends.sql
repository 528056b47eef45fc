-- depends: 0002-notify-ticket-events
-- Customer notifications (N1–N5): templates, messages (one per recipient and channel),
-- bulk batches, opt-outs, robots and webhooks, the sender's pace.

-- A template: named, versioned (a save makes the next version; messages keep theirs).
CREATE TABLE template (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('sms', 'email', 'robot', 'webhook', 'inbox')),
    locale        text NOT NULL DEFAULT 'zh-CN',
    version       integer NOT NULL,
    purpose       text NOT NULL CHECK (purpose IN ('service', 'marketing')),
    quiet_hours   text NOT NULL DEFAULT 'defer' CHECK (quiet_hours IN ('defer', 'send')),
    subject       text NOT NULL DEFAULT '',
    body          text NOT NULL,
    variables     text[] NOT NULL DEFAULT '{}',
    provider_code text NOT NULL DEFAULT '',
    sign_name     text NOT NULL DEFAULT '',
    note          text NOT NULL DEFAULT '',
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    UNIQUE (name, channel, locale, version)
);

-- A bulk send: accepted at once, its recipients queued by the sender's filler.
CREATE TABLE batch (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    idem_key     text NOT NULL UNIQUE,
    template_id  uuid NOT NULL REFERENCES template (id),
    channel      text NOT NULL,
    title        text NOT NULL DEFAULT '',
    source       jsonb NOT NULL,            -- {"segment": {...}} or {"list": n}
    params       jsonb NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'accepted'
                 CHECK (state IN ('accepted', 'queuing', 'queued', 'failed')),
    cursor       text,                      -- the segment's next page while queuing
    total        integer NOT NULL DEFAULT 0,
    error        text,
    not_before   timestamptz,               -- scheduled (holiday greetings)
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    queued_at    timestamptz
);
CREATE INDEX batch_to_fill ON batch (created_at) WHERE state IN ('accepted', 'queuing');
-- An uploaded list, kept until queued.
CREATE TABLE batch_recipient (
    batch_id  uuid NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    recipient jsonb NOT NULL,
    PRIMARY KEY (batch_id, position)
);

-- A message: one recipient, one channel.  (idem_key, recipient, channel) is unique:
-- a redelivered event, a retried request or a restarted worker finds the row and
-- never makes a second provider call.
CREATE TABLE message (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    idem_key      text NOT NULL,
    channel       text NOT NULL,
    recipient     text NOT NULL,            -- customer:<id>, staff:<id>, robot:<id>, or the address
    address       text NOT NULL,            -- E.164, email, or the robot's / webhook's URL id
    customer_id   uuid,
    level         smallint NOT NULL DEFAULT 0,
    template_id   uuid REFERENCES template (id),
    purpose       text NOT NULL DEFAULT 'service',
    quiet_hours   text NOT NULL DEFAULT 'defer',
    params        jsonb NOT NULL DEFAULT '{}',
    subject       text NOT NULL DEFAULT '',
    content       text NOT NULL,
    batch_id      uuid REFERENCES batch (id),
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'skipped')),
    reason        text,                     -- why skipped / failed / deferred
    code          text,                     -- the provider's last code
    not_before    timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    attempt_id    uuid,
    sending_since timestamptz,
    provider      text,
    provider_id   text,
    created_by    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    done_at       timestamptz,
    UNIQUE (idem_key, recipient, channel)
);
CREATE INDEX message_due ON message (channel, not_before) WHERE status = 'queued';
CREATE INDEX message_sending ON message (channel, sending_since) WHERE status = 'sending';
CREATE INDEX message_provider ON message (provider, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX message_customer ON message (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX message_batch ON message (batch_id, status) WHERE batch_id IS NOT NULL;
-- Frequency caps: a customer's marketing messages that went out, by time.
CREATE INDEX message_marketing_sent ON message (customer_id, sent_at)
    WHERE purpose = 'marketing' AND sent_at IS NOT NULL;

-- Opt-outs (N4): per channel and address (an SMS reply 退订 knows only the number),
-- and per channel and customer (the customer asked an agent).
CREATE TABLE opt_out (
    channel     text NOT NULL,
    address     text NOT NULL,              -- E.164 / email, or customer:<id>
    customer_id uuid,
    source      text NOT NULL,              -- uplink / staff
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, address)
);
CREATE INDEX opt_out_customer ON opt_out (customer_id) WHERE customer_id IS NOT NULL;

-- Group robots (DingTalk, WeCom, Feishu) and outgoing webhooks, and the events each
-- is told of.  Secrets are write-only: never answered.
CREATE TABLE target (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('robot', 'webhook')),
    name        text NOT NULL UNIQUE,
    url         text NOT NULL,
    secret      text NOT NULL DEFAULT '',
    events      text[] NOT NULL DEFAULT '{}',
    markdown    boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The sender's pace per channel: a token bucket shared by every replica (its row is
-- locked while a batch is claimed); `rate` falls on the provider's throttling and
-- climbs back to the configured QPS.
CREATE TABLE pace (
    channel    text PRIMARY KEY,
    tokens     double precision NOT NULL,
    rate       double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Holiday greetings (N5): a template to a segment on the first day of a mainland
-- holiday (chinese_calendar), once a year each.
CREATE TABLE greeting (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    holiday     text NOT NULL,              -- chinese_calendar's English name, e.g. "Spring Festival"
    template_id uuid NOT NULL REFERENCES template (id),
    segment     jsonb NOT NULL DEFAULT '{}',
    params      jsonb NOT NULL DEFAULT '{}',
    send_at     time NOT NULL DEFAULT '10:00',
    active      boolean NOT NULL DEFAULT true,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Settings an administrator changes at run time: quiet hours, marketing caps.
CREATE TABLE setting (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO setting (key, value) VALUES
    ('quiet_hours', '"21:00-08:00"'), ('marketing_daily_cap', '1'), ('marketing_weekly_cap', '3');

CREATE INDEX message_attempt ON message (attempt_id) WHERE attempt_id IS NOT NULL;
ALTER TABLE opt_out ADD COLUMN scope text NOT NULL DEFAULT 'marketing'
    CHECK (scope IN ('marketing', 'all'));

-- Rows as the stores read them (one text per shape, no SQL put together in Python).
CREATE VIEW template_row AS
    SELECT id, id::text AS template_id, name, channel, locale, version, purpose, quiet_hours,
           subject, body, variables, provider_code, sign_name, note, created_by, created_at,
           retired_at
    FROM template;
CREATE VIEW message_row AS
    SELECT m.id, m.id::text AS message_id, m.channel, m.status, m.reason, m.code, m.recipient,
           m.address, m.customer_id::text AS customer_id, m.level, t.name AS template,
           t.version AS template_version, m.purpose, m.subject, m.content,
           m.batch_id::text AS batch_id, m.attempts, m.not_before, m.created_at, m.sent_at,
           m.done_at, m.created_by, m.idem_key,
           m.customer_id AS customer_ref, m.batch_id AS batch_ref  -- uuids, for the indexes
    FROM message m LEFT JOIN template t ON t.id = m.template_id;
CREATE VIEW target_row AS
    SELECT id, id::text AS target_id, kind, name, url, secret <> '' AS signed, events,
           markdown, active, created_at
    FROM target;
CREATE VIEW batch_row AS
    SELECT b.id, b.id::text AS batch_id, b.title, t.name AS template,
           t.version AS template_version, b.channel, b.state, b.total, b.error, b.created_by,
           b.created_at, b.queued_at
    FROM batch b JOIN template t ON t.id = b.template_id;
CREATE VIEW greeting_row AS
    SELECT g.id, g.id::text AS greeting_id, g.holiday, t.name AS template, t.channel,
           g.segment, g.params, g.send_at, g.active, g.created_at,
           g.template_id::text AS template_id, g.created_by
    FROM greeting g JOIN template t ON t.id = g.template_id;
