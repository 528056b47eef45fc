-- depends: 0000-common-outbox
-- The death count of RPC requests (issue 9, finding 1; services.common.deliveries).
-- A request RabbitMQ redelivers (its worker's process died before answering) has its
-- deliveries counted here, keyed by the request's correlation id, in a committed
-- transaction before a worker runs; first deliveries write nothing.  Rows older
-- than a day are dropped when a new one is written.
CREATE TABLE rpc_delivery (
    request_id  text PRIMARY KEY,
    method      text NOT NULL,
    deliveries  integer NOT NULL,
    first_at    timestamptz NOT NULL DEFAULT now(),
    last_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rpc_delivery_last_at ON rpc_delivery (last_at);

-- A request past RPC_MAX_DELIVERIES: answered with RequestParked, never run again,
-- kept here for an operator (long text in its arguments is cut, see deliveries.py).
CREATE TABLE parked_request (
    id          bigserial PRIMARY KEY,
    method      text NOT NULL,
    request_id  text NOT NULL,
    caller      text,
    body        jsonb NOT NULL,
    deliveries  integer NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now()
);
