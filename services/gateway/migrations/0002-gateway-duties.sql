-- depends: 0001-gateway-staff
-- Issue 9: separation of duties over staff accounts (finding 6) and the sign-in
-- throttle per account and per client address (finding 9).

-- Every change of an account raises its version; staff_updated carries it, so
-- consumers order updates (and a later revocation compares it).
ALTER TABLE staff ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- A change granting a right above the ceiling waits here for a second admin; it
-- applies when approved.  A new account's password hash waits with it and goes
-- when the change is decided.
CREATE TABLE staff_change (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL CHECK (kind IN ('create', 'update')),
    staff_id          uuid REFERENCES staff (id),   -- create: set once approved
    username          text NOT NULL,
    base_version      bigint,                        -- update: the account's version when asked
    old               jsonb,                         -- update: the account when asked
    new               jsonb NOT NULL,                -- the account as asked
    password_hash     text,
    grants            text[] NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by      text NOT NULL,
    requested_by_name text NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    decided_by        text,
    decided_by_name   text,
    decided_at        timestamptz,
    note              text NOT NULL DEFAULT '',
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK (status = 'pending' OR password_hash IS NULL),
    CHECK ((kind = 'update') = (base_version IS NOT NULL))
);
CREATE INDEX staff_change_recent ON staff_change (requested_at DESC, id DESC);
CREATE INDEX staff_change_pending ON staff_change (requested_at DESC, id DESC)
    WHERE status = 'pending';

-- Every change of an account: who, when, old, new, approved by.  Append-only for
-- everyone but the owner (the runtime role may insert and read only).
CREATE TABLE staff_audit (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    action       text NOT NULL,   -- created, updated, requested, approved, rejected, password_changed
    actor_id     text NOT NULL,   -- a staff id, or 'operator' (manage.py)
    actor_name   text NOT NULL,
    staff_id     text,            -- null for a new account not yet approved
    username     text NOT NULL,
    old          jsonb,
    new          jsonb,
    change_id    uuid,
    requested_by text,
    approved_by  text,
    note         text NOT NULL DEFAULT ''
);
CREATE INDEX staff_audit_staff ON staff_audit (staff_id, id);
CREATE INDEX staff_audit_username ON staff_audit (username, id);

DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'staff_audit' AND grantee <> current_user LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON staff_audit FROM %I', g.grantee);
    END LOOP;
END
$$;

-- The sign-in throttle, per account (the username typed, known or not) and per
-- client address: attempts in a row and the lock (replaces 0001's, per username).
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    scope           text NOT NULL CHECK (scope IN ('account', 'address')),
    key             text NOT NULL,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);
