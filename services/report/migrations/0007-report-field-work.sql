-- depends: 0006-report-followups
-- Field work 外勤 (R1, R2, R4): one fact per field job (dispatch), merged from the ticket
-- service's ticket_dispatched (its dispatched side) and dispatch_handled (its handled
-- side) events, each side kept in its own columns so duplicates and order change
-- nothing; a daily rollup per field staff member and category that is the sum of every
-- fact's contribution (domain/field.py), kept by deltas in the transaction that changes
-- a fact and corrected to the facts summed by a rebuild.  Days are days in China; money
-- is integer fen (exact); hours are whole minutes.
CREATE TABLE field_fact (
    dispatch_id   text PRIMARY KEY,
    ticket_id     text NOT NULL,
    staff_id      text NOT NULL,
    customer_id   text NOT NULL DEFAULT '',
    level         integer NOT NULL DEFAULT 0,
    -- the dispatched side (null: not seen yet)
    dispatched_at timestamptz,
    window_end    timestamptz,
    d_category    text,
    -- the handled side: a job done (null: not seen yet, or not done)
    handled_at    timestamptz,
    minutes       integer,          -- arrival to finish, when both were entered
    parts         integer,
    fee_fen       bigint,
    paid          boolean,
    h_category    text,
    generation    bigint NOT NULL DEFAULT 0,  -- the rebuild that last saw it
    applied_at    timestamptz NOT NULL DEFAULT now()
);
-- The biggest customers by field jobs over a period.
CREATE INDEX field_fact_dispatched ON field_fact (dispatched_at) INCLUDE (customer_id, level);

CREATE TABLE field_day (
    day         date NOT NULL,
    staff_id    text NOT NULL,
    category_id text NOT NULL,
    dispatched  integer NOT NULL DEFAULT 0,
    handled     integer NOT NULL DEFAULT 0,
    minutes     bigint NOT NULL DEFAULT 0,
    timed       integer NOT NULL DEFAULT 0,
    parts       bigint NOT NULL DEFAULT 0,
    fee_fen     bigint NOT NULL DEFAULT 0,
    paid_fen    bigint NOT NULL DEFAULT 0,
    late        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, staff_id, category_id)
);
CREATE INDEX field_day_staff ON field_day (staff_id, day);

-- A rebuild's corrections to field_day (the facts summed − the rollup, read in one
-- snapshot), added in short batches as rollup_fix's are.
CREATE TABLE field_rollup_fix (
    id          bigserial PRIMARY KEY,
    day         date NOT NULL,
    staff_id    text NOT NULL,
    category_id text NOT NULL,
    dispatched  bigint NOT NULL DEFAULT 0,
    handled     bigint NOT NULL DEFAULT 0,
    minutes     bigint NOT NULL DEFAULT 0,
    timed       bigint NOT NULL DEFAULT 0,
    parts       bigint NOT NULL DEFAULT 0,
    fee_fen     bigint NOT NULL DEFAULT 0,
    paid_fen    bigint NOT NULL DEFAULT 0,
    late        bigint NOT NULL DEFAULT 0
);

-- The biggest customers by tickets over a period (ticket_fact, ≤ 92 days).
CREATE INDEX ticket_fact_accepted_customer ON ticket_fact (accepted_at)
    INCLUDE (customer_id, level);

-- An install upgraded with ticket facts already kept has field jobs the new rollup
-- never saw: its timer rebuilds them (a rebuild already open covers them).
INSERT INTO report_rebuild (requested_by)
SELECT 'migration 0007' WHERE EXISTS (SELECT 1 FROM ticket_fact)
ON CONFLICT ((true)) WHERE state IN ('queued', 'running') DO NOTHING;
