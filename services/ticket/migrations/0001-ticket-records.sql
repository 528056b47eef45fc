-- depends: 0000-common-outbox
-- Work orders (T2) with their readable serials and creation idempotency keys.
CREATE TABLE ticket (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    serial       text NOT NULL UNIQUE,
    kind         text NOT NULL,
    customer_id  uuid NOT NULL,
    content      text NOT NULL,
    channel      text NOT NULL,
    urgency      text NOT NULL,
    status       text NOT NULL DEFAULT 'new',
    acceptor_id  text NOT NULL,
    accepted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_customer ON ticket (customer_id, accepted_at DESC);

-- Per kind prefix and day: the last serial number handed out.
CREATE TABLE serial_counter (
    prefix text NOT NULL,
    day    date NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (prefix, day)
);

-- A retried create with the same Idempotency-Key returns the first ticket.
CREATE TABLE ticket_request (
    key        text PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES ticket (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
