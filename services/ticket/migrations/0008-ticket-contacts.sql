-- depends: 0003-ticket-workorders
-- Contact log (T8): every call or message, linked to customer and ticket, and the
-- call events a telephony system reports, kept for call statistics.
CREATE TABLE contact_log (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel          text NOT NULL,
    direction        text NOT NULL,
    agent_id         text,
    started_at       timestamptz NOT NULL,
    duration_seconds integer NOT NULL DEFAULT 0,
    ivr_path         text[] NOT NULL DEFAULT '{}',   -- e.g. {"1 售后", "2 维修"}
    customer_id      uuid,
    ticket_id        uuid REFERENCES ticket (id),
    call_id          text,                           -- the telephony system's call, if any
    note             text NOT NULL DEFAULT '',
    logged_by        text NOT NULL,
    logged_at        timestamptz NOT NULL DEFAULT now(),
    request_key      text UNIQUE,                    -- "<staff>:<Idempotency-Key>"
    anonymised_at    timestamptz,
    CONSTRAINT contact_channel_known CHECK (channel IN
        ('phone', 'web', 'sms', 'email', 'fax', 'walk_in', 'wechat')),
    CONSTRAINT contact_direction_known CHECK (direction IN ('in', 'out')),
    CONSTRAINT contact_duration_not_negative CHECK (duration_seconds >= 0)
);
-- Keyset order everywhere: (started_at DESC, id DESC).
CREATE INDEX contact_log_customer ON contact_log (customer_id, started_at DESC, id DESC)
    WHERE customer_id IS NOT NULL;
CREATE INDEX contact_log_ticket ON contact_log (ticket_id, started_at DESC, id DESC)
    WHERE ticket_id IS NOT NULL;
CREATE INDEX contact_log_call ON contact_log (call_id) WHERE call_id IS NOT NULL;

-- One row per (call, event): a retried delivery changes nothing.
CREATE TABLE call_event (
    call_id      text NOT NULL,
    event        text NOT NULL,
    at           timestamptz NOT NULL,
    caller       text,
    queue        text,
    agent_id     text,
    wait_seconds integer,
    ivr_path     text[] NOT NULL DEFAULT '{}',
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_id, event),
    CONSTRAINT call_event_known CHECK (event IN
        ('offered', 'answered', 'abandoned', 'queued', 'ended')),
    CONSTRAINT call_wait_not_negative CHECK (wait_seconds IS NULL OR wait_seconds >= 0)
);
-- Statistics over a period.
CREATE INDEX call_event_at ON call_event (at, event);
