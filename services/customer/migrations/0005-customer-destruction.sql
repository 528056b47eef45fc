-- depends: 0002-customer-archive
-- Destruction 销毁 (C6): a request, approved in order by the customer-information
-- supervisor, the customer-service manager and the general manager (three
-- different people, none of them the requester); the third approval erases the
-- personal data in the same transaction and leaves a tombstone.

CREATE TABLE destruction_request (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id    uuid NOT NULL REFERENCES customer (id),
    requester_id   text NOT NULL,
    requester_name text NOT NULL DEFAULT '',
    reason         text NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'rejected', 'destroyed')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- At most one request waits per customer.
CREATE UNIQUE INDEX destruction_request_one_pending ON destruction_request (customer_id)
    WHERE status = 'pending';
CREATE INDEX destruction_request_status ON destruction_request (status, created_at DESC);
CREATE INDEX destruction_request_requester ON destruction_request (requester_id, created_at DESC);

-- One row per decided step, in order: the rules live in domain/destruction.py;
-- the keys below are the last line (one decision per step, one step per person).
CREATE TABLE destruction_approval (
    request_id    uuid NOT NULL REFERENCES destruction_request (id),
    step          smallint NOT NULL CHECK (step BETWEEN 1 AND 3),
    role          text NOT NULL,
    decision      text NOT NULL CHECK (decision IN ('approve', 'reject')),
    approver_id   text NOT NULL,
    approver_name text NOT NULL DEFAULT '',
    comment       text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, step),
    UNIQUE (request_id, approver_id)
);

-- Same wall as the card tables: nothing is visible without a bound principal.
ALTER TABLE destruction_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE destruction_request FORCE ROW LEVEL SECURITY;
CREATE POLICY destruction_request_bound ON destruction_request
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

ALTER TABLE destruction_approval ENABLE ROW LEVEL SECURITY;
ALTER TABLE destruction_approval FORCE ROW LEVEL SECURITY;
CREATE POLICY destruction_approval_bound ON destruction_approval
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

-- Decisions are records: the service may add them, never change or remove them.
DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'destruction_approval' AND grantee <> current_user LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON destruction_approval FROM %I',
                       g.grantee);
    END LOOP;
END
$$;
