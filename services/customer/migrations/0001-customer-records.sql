-- depends: 0000-common-outbox
-- Customer records (C1) and their phones, with the lookup index of the screen pop (C3).
CREATE SEQUENCE customer_number_seq;

CREATE TABLE customer (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number      text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('person', 'organization')),
    name        text NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_phone (
    customer_id uuid NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    e164        text NOT NULL,
    ext         text NOT NULL DEFAULT '',
    position    smallint NOT NULL,
    PRIMARY KEY (customer_id, e164, ext)
);
CREATE INDEX customer_phone_e164 ON customer_phone (e164);
