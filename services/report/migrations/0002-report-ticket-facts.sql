-- depends: 0001-report-ticket-daily
-- Ticket statistics (R1, R2, R4): one row per ticket, the latest state the ticket service
-- told (its snapshot, kept only when its revision is higher), and rollups that are the
-- sum of every fact's contribution (domain/facts.py), kept by deltas in the transaction
-- that changes a fact, and corrected to the facts summed by a rebuild.  A dimension a
-- ticket lacks is '' in a rollup key.  Days are days in China.
CREATE TABLE ticket_fact (
    ticket_id           text PRIMARY KEY,
    revision            bigint NOT NULL,
    kind                text NOT NULL,
    category_id         text,
    channel             text NOT NULL,
    urgency             text NOT NULL DEFAULT '',
    group_name          text,
    assignee_id         text,
    acceptor_id         text NOT NULL DEFAULT '',
    customer_id         text NOT NULL DEFAULT '',
    level               integer NOT NULL DEFAULT 0,
    status              text NOT NULL,
    accepted_at         timestamptz NOT NULL,
    first_response_at   timestamptz,
    resolved_at         timestamptz,
    closed_at           timestamptz,
    cancelled_at        timestamptz,
    reopen_count        integer NOT NULL DEFAULT 0,
    transfer_count      integer NOT NULL DEFAULT 0,
    repeat              boolean NOT NULL DEFAULT false,
    repeat_of           text[] NOT NULL DEFAULT '{}',
    response_breached   boolean NOT NULL DEFAULT false,
    resolution_breached boolean NOT NULL DEFAULT false,
    -- the rebuild that last saw it (a fact older than the last finished rebuild's
    -- generation is one the owner no longer has, and goes)
    generation          bigint NOT NULL DEFAULT 0,
    applied_at          timestamptz NOT NULL DEFAULT now()
);

-- A later ticket names an earlier one in repeat_of: the earlier one is no first-contact
-- resolution.  Kept from the later facts, whichever of the two arrives first.
CREATE TABLE ticket_repeat_link (
    earlier_id text NOT NULL,
    later_id   text NOT NULL,
    PRIMARY KEY (earlier_id, later_id)
);

CREATE TABLE ticket_day_kind (
    day                 date NOT NULL,
    kind                text NOT NULL,
    category_id         text NOT NULL,
    channel             text NOT NULL,
    created             integer NOT NULL DEFAULT 0,
    resolved            integer NOT NULL DEFAULT 0,
    closed              integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,
    reopened            integer NOT NULL DEFAULT 0,
    repeats             integer NOT NULL DEFAULT 0,
    response_breached   integer NOT NULL DEFAULT 0,
    resolution_breached integer NOT NULL DEFAULT 0,
    same_day            integer NOT NULL DEFAULT 0,
    fcr                 integer NOT NULL DEFAULT 0,
    opened              integer NOT NULL DEFAULT 0,
    finished            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind, category_id, channel)
);

CREATE TABLE ticket_day_staff (
    day                 date NOT NULL,
    group_name          text NOT NULL,
    agent_id            text NOT NULL,
    kind                text NOT NULL,
    created             integer NOT NULL DEFAULT 0,
    resolved            integer NOT NULL DEFAULT 0,
    closed              integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,
    reopened            integer NOT NULL DEFAULT 0,
    repeats             integer NOT NULL DEFAULT 0,
    response_breached   integer NOT NULL DEFAULT 0,
    resolution_breached integer NOT NULL DEFAULT 0,
    same_day            integer NOT NULL DEFAULT 0,
    fcr                 integer NOT NULL DEFAULT 0,
    opened              integer NOT NULL DEFAULT 0,
    finished            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, group_name, agent_id, kind)
);
CREATE INDEX ticket_day_staff_agent ON ticket_day_staff (agent_id, day);

CREATE TABLE ticket_month (
    month               date NOT NULL,
    kind                text NOT NULL,
    category_id         text NOT NULL,
    channel             text NOT NULL,
    group_name          text NOT NULL,
    agent_id            text NOT NULL,
    created             integer NOT NULL DEFAULT 0,
    resolved            integer NOT NULL DEFAULT 0,
    closed              integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,
    reopened            integer NOT NULL DEFAULT 0,
    repeats             integer NOT NULL DEFAULT 0,
    response_breached   integer NOT NULL DEFAULT 0,
    resolution_breached integer NOT NULL DEFAULT 0,
    same_day            integer NOT NULL DEFAULT 0,
    fcr                 integer NOT NULL DEFAULT 0,
    opened              integer NOT NULL DEFAULT 0,
    finished            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (month, kind, category_id, channel, group_name, agent_id)
);

-- First-response and resolution times as histograms: fixed log-scale buckets
-- (domain/facts.py TIME_EDGES), the tickets in each and their seconds summed.
CREATE TABLE ticket_time_day (
    day        date NOT NULL,
    kind       text NOT NULL,
    group_name text NOT NULL,
    measure    text NOT NULL CHECK (measure IN ('response', 'resolution')),
    bucket     smallint NOT NULL,
    n          integer NOT NULL DEFAULT 0,
    seconds    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind, group_name, measure, bucket)
);

-- How far the rollups have read each source's events (the lag, the "as of").
CREATE TABLE feed_position (
    source           text PRIMARY KEY,
    last_occurred_at timestamptz NOT NULL,
    last_applied_at  timestamptz NOT NULL,
    events           bigint NOT NULL DEFAULT 0
);

-- Rebuilds from the owners (R4): asked for by an admin or the operator, run by one
-- replica's timer page by page (a lease, so another replica takes over a dead run).
CREATE TABLE report_rebuild (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    generation    bigserial NOT NULL UNIQUE,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    claimed_until timestamptz,
    after_id      text,
    pages         integer NOT NULL DEFAULT 0,
    tickets       bigint NOT NULL DEFAULT 0,
    removed       bigint NOT NULL DEFAULT 0,
    error         text,
    -- a failed run goes back to queued, to be taken again (from its position) after a
    -- back-off: attempts so far, and not before when
    attempts      integer NOT NULL DEFAULT 0,
    retry_at      timestamptz
);
CREATE UNIQUE INDEX report_rebuild_one_open ON report_rebuild ((true))
    WHERE state IN ('queued', 'running');

-- A rebuild's corrections to the rollups (the facts summed − the rollup, read in one
-- snapshot), added to the rollups in short batches (store/facts.py): one rollup's key in
-- the columns it has (ticket_month's month in `day`), '' / 0 in the others.
CREATE TABLE rollup_fix (
    id                  bigserial PRIMARY KEY,
    target              text NOT NULL,
    day                 date NOT NULL,
    kind                text NOT NULL DEFAULT '',
    category_id         text NOT NULL DEFAULT '',
    channel             text NOT NULL DEFAULT '',
    group_name          text NOT NULL DEFAULT '',
    agent_id            text NOT NULL DEFAULT '',
    measure             text NOT NULL DEFAULT '',
    bucket              smallint NOT NULL DEFAULT 0,
    created             bigint NOT NULL DEFAULT 0,
    resolved            bigint NOT NULL DEFAULT 0,
    closed              bigint NOT NULL DEFAULT 0,
    cancelled           bigint NOT NULL DEFAULT 0,
    reopened            bigint NOT NULL DEFAULT 0,
    repeats             bigint NOT NULL DEFAULT 0,
    response_breached   bigint NOT NULL DEFAULT 0,
    resolution_breached bigint NOT NULL DEFAULT 0,
    same_day            bigint NOT NULL DEFAULT 0,
    fcr                 bigint NOT NULL DEFAULT 0,
    opened              bigint NOT NULL DEFAULT 0,
    finished            bigint NOT NULL DEFAULT 0,
    n                   bigint NOT NULL DEFAULT 0,
    seconds             bigint NOT NULL DEFAULT 0
);
CREATE INDEX rollup_fix_target ON rollup_fix (target, id);

-- The new rollups start empty: an install upgraded from 0001 (its old daily count holds
-- something) rebuilds them from the ticket service — its timer takes this run (retried
-- after a back-off until the ticket service answers).  A fresh install (and every test
-- database) has nothing to rebuild, so nothing is queued there.
INSERT INTO report_rebuild (requested_by)
SELECT 'migration 0002' WHERE EXISTS (SELECT 1 FROM ticket_daily);

-- The old count of created tickets: tickets_daily reads ticket_day_kind now.
DROP TABLE ticket_daily;
