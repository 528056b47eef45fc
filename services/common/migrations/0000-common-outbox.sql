-- Platform tables every service database has: the transactional outbox,
-- the record of processed events (idempotent consumers) and parked events.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    event_type  text NOT NULL,
    envelope    jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE processed_event (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE parked_event (
    id         bigserial PRIMARY KEY,
    consumer   text NOT NULL,
    event_id   text,
    event_type text,
    body       jsonb NOT NULL,
    error      text NOT NULL,
    attempts   integer NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);
