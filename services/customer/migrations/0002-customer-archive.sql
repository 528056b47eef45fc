-- depends: 0001-customer-records
-- The customer archive (C1–C5): the card every agent may see, the archive behind
-- it, confidentiality levels with declassification, borrowing grants, the
-- hash-chained access log, change history, and PostgreSQL row-level security
-- as the second wall (the runtime role is not the owner; RLS is forced).

-- The card: what an agent needs to serve a caller, plus what segments filter on.
ALTER TABLE customer
    ADD COLUMN level          smallint NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
    ADD COLUMN declassify_at  timestamptz,
    ADD COLUMN declassify_to  smallint CHECK (declassify_to BETWEEN 0 AND 3),
    ADD COLUMN grade          text NOT NULL DEFAULT 'normal',
    ADD COLUMN lifecycle      text NOT NULL DEFAULT 'normal'
        CHECK (lifecycle IN ('potential', 'normal', 'declining', 'lost')),
    ADD COLUMN credit_class   text CHECK (credit_class IN ('A', 'B', 'C', 'D')),
    ADD COLUMN region         text NOT NULL DEFAULT '',
    ADD COLUMN tags           text[] NOT NULL DEFAULT '{}',
    ADD COLUMN owner_id       text,
    ADD COLUMN owner_group    text,
    ADD COLUMN name_pinyin    text NOT NULL DEFAULT '',
    ADD COLUMN name_initials  text NOT NULL DEFAULT '',
    ADD COLUMN last_contact_at timestamptz,
    ADD COLUMN reviewed_at    timestamptz,
    ADD COLUMN version        integer NOT NULL DEFAULT 1,
    ADD COLUMN destroyed_at   timestamptz,
    ADD COLUMN merged_into    uuid REFERENCES customer (id),
    ADD CONSTRAINT customer_declassification CHECK (
        (declassify_at IS NULL) = (declassify_to IS NULL)
        AND (declassify_to IS NULL OR declassify_to < level));

CREATE INDEX customer_level ON customer (level) WHERE level > 0;
CREATE INDEX customer_declassify_due ON customer (declassify_at) WHERE declassify_at IS NOT NULL;
CREATE INDEX customer_owner_group ON customer (owner_group);
CREATE INDEX customer_review_due ON customer ((coalesce(reviewed_at, created_at)))
    WHERE destroyed_at IS NULL;

-- The archive: everything beyond the card (person / organization profile, credit
-- details, key people, addresses, notes, custom fields).
CREATE TABLE customer_archive (
    customer_id uuid PRIMARY KEY REFERENCES customer (id) ON DELETE CASCADE,
    profile     jsonb NOT NULL DEFAULT '{}',
    credit      jsonb NOT NULL DEFAULT '{}',
    key_people  jsonb NOT NULL DEFAULT '[]',
    addresses   jsonb NOT NULL DEFAULT '[]',
    notes       text NOT NULL DEFAULT '',
    custom      jsonb NOT NULL DEFAULT '{}'
);
-- Every existing customer gets an (empty) archive row.
INSERT INTO customer_archive (customer_id) SELECT id FROM customer;

CREATE TABLE customer_email (
    customer_id uuid NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    email       text NOT NULL,
    position    smallint NOT NULL,
    PRIMARY KEY (customer_id, email)
);
CREATE INDEX customer_email_lookup ON customer_email (email);

-- Owned products and vehicles (C2); plate and serial kept upper-case without separators.
CREATE TABLE customer_asset (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  uuid NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('product', 'vehicle')),
    product      text NOT NULL,
    model        text NOT NULL DEFAULT '',
    serial       text,
    plate        text,
    purchased_on date,
    warranty_end date,
    seq          bigserial,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_asset_customer ON customer_asset (customer_id);
CREATE INDEX customer_asset_serial ON customer_asset (serial) WHERE serial IS NOT NULL;
CREATE INDEX customer_asset_plate ON customer_asset (plate) WHERE plate IS NOT NULL;
CREATE INDEX customer_asset_product ON customer_asset (product);

-- Custom fields an admin defines; values live in customer_archive.custom.
CREATE TABLE custom_field (
    key        text PRIMARY KEY,
    label      text NOT NULL,
    type       text NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice', 'boolean')),
    choices    text[] NOT NULL DEFAULT '{}',
    required   boolean NOT NULL DEFAULT false,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Change history (C5): one row per changed field.
CREATE TABLE customer_history (
    id          bigserial PRIMARY KEY,
    customer_id uuid NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    field       text NOT NULL,
    old         jsonb,
    new         jsonb
);
CREATE INDEX customer_history_customer ON customer_history (customer_id, id);

-- Borrowing (借阅): a time-boxed grant to read one top-secret archive.
CREATE TABLE access_request (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id    uuid NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    requester_id   text NOT NULL,
    requester_name text NOT NULL DEFAULT '',
    reason         text NOT NULL,
    hours          integer NOT NULL CHECK (hours BETWEEN 1 AND 168),
    status         text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     text,
    decided_at     timestamptz,
    expires_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_request_grant ON access_request (customer_id, requester_id)
    WHERE status = 'approved';
CREATE INDEX access_request_pending ON access_request (created_at) WHERE status = 'pending';

-- The borrowing log: append-only, hash chained.  A BEFORE INSERT trigger
-- (running as the owner) numbers each row after the head, chains its hash to
-- the previous one and moves the head; the head row lock orders writers.
CREATE TABLE access_log (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL DEFAULT '',
    customer_id uuid,
    action      text NOT NULL,
    level       smallint,
    fields      text[] NOT NULL DEFAULT '{}',
    reason      text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX access_log_customer ON access_log (customer_id, seq);

CREATE TABLE access_log_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash text NOT NULL
);
INSERT INTO access_log_head VALUES (true, 0, repeat('0', 64));

-- The digest of a row: what the verifier recomputes.
CREATE FUNCTION access_log_digest(l access_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws(E'\x1f',
        l.seq::text, l.prev_hash, to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        l.actor_id, l.actor_name, coalesce(l.customer_id::text, '-'), l.action,
        coalesce(l.level::text, '-'), array_to_string(l.fields, ','), l.reason,
        l.detail::text), 'UTF8')), 'hex')
$$;

CREATE FUNCTION access_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head access_log_head%ROWTYPE;
BEGIN
    SELECT * INTO head FROM access_log_head WHERE one FOR UPDATE;
    NEW.seq := head.seq + 1;
    NEW.at := now();
    NEW.prev_hash := head.hash;
    NEW.hash := '';
    NEW.hash := access_log_digest(NEW);
    UPDATE access_log_head SET seq = NEW.seq, hash = NEW.hash WHERE one;
    RETURN NEW;
END
$$;
CREATE TRIGGER access_log_chain BEFORE INSERT ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_chain();

-- Append-only for everyone but the owner: whoever got table rights by default
-- privileges keeps SELECT and INSERT on the log and nothing on its head.
DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name IN ('access_log', 'access_log_head')
               AND grantee <> current_user LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM %I', g.grantee);
        EXECUTE format('REVOKE ALL ON access_log_head FROM %I', g.grantee);
    END LOOP;
END
$$;

-- The effective level at this moment: the stored one until declassify_at, then the lower one.
CREATE FUNCTION effective_level(level smallint, declassify_at timestamptz, declassify_to smallint)
RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN declassify_at IS NOT NULL AND declassify_at <= now()
                THEN declassify_to ELSE level END
$$;

-- Row-level security.  The service sets, per transaction (set_config(..., true)):
--   kefu.principal  staff id (empty or unset: nothing is visible)
--   kefu.clearance  0..3
--   kefu.classified 'on' when the principal's role may read classified archives
--   kefu.system     'on' for the service's own timers and event handlers
CREATE FUNCTION kefu_principal_set() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('kefu.principal', true), '') <> ''
$$;

CREATE FUNCTION archive_visible(cid uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT CASE
            WHEN NOT kefu_principal_set() THEN false
            WHEN current_setting('kefu.system', true) = 'on' THEN true
            WHEN e.lvl = 0 THEN true
            WHEN coalesce(current_setting('kefu.classified', true), '') <> 'on' THEN false
            WHEN e.lvl > coalesce(nullif(current_setting('kefu.clearance', true), '')::int, -1)
                THEN false
            WHEN e.lvl < 3 THEN true
            ELSE EXISTS (
                SELECT 1 FROM access_request g
                WHERE g.customer_id = cid AND g.status = 'approved' AND g.expires_at > now()
                  AND g.requester_id = current_setting('kefu.principal', true))
        END
        FROM (SELECT effective_level(c.level, c.declassify_at, c.declassify_to) AS lvl
              FROM customer c WHERE c.id = cid) e), false)
$$;

ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_card ON customer USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

ALTER TABLE customer_phone ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_phone FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_phone_card ON customer_phone
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

ALTER TABLE customer_email ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_email FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_email_card ON customer_email
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

ALTER TABLE customer_asset ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_asset FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_asset_card ON customer_asset
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

ALTER TABLE customer_archive ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_archive FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_archive_cleared ON customer_archive
    USING (archive_visible(customer_id)) WITH CHECK (archive_visible(customer_id));

