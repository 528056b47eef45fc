-- depends: 0002-report-ticket-facts
-- Call and contact statistics 话务报表 (R1, R2, R4): the telephony events the ticket
-- service told (each (call, event) once), one fact per call merged from them, one fact
-- per contact, and rollups that are the sum of every fact's contribution
-- (domain/calls.py), kept by deltas in the transaction that changes a fact and corrected
-- to the facts summed by a rebuild.  A dimension a call lacks is '' in a key.  Days and
-- hours are in China.
CREATE TABLE call_fact_event (
    call_id      text NOT NULL,
    event        text NOT NULL,
    at           timestamptz NOT NULL,
    queue        text,
    agent_id     text,
    wait_seconds integer,
    PRIMARY KEY (call_id, event)
);

-- The call's contribution itself (its key and counters): a change adds new − old.
CREATE TABLE call_fact (
    call_id       text PRIMARY KEY,
    day           date NOT NULL,
    hour          smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    queue         text NOT NULL,
    agent_id      text NOT NULL,
    offered       integer NOT NULL DEFAULT 0,
    answered      integer NOT NULL DEFAULT 0,
    abandoned     integer NOT NULL DEFAULT 0,
    ring_seconds  bigint NOT NULL DEFAULT 0,
    rung          integer NOT NULL DEFAULT 0,
    talk_seconds  bigint NOT NULL DEFAULT 0,
    talked        integer NOT NULL DEFAULT 0,
    quick_hangups integer NOT NULL DEFAULT 0,
    generation    bigint NOT NULL DEFAULT 0,  -- the rebuild that last saw it
    applied_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE call_hour (
    day           date NOT NULL,
    hour          smallint NOT NULL,
    queue         text NOT NULL,
    agent_id      text NOT NULL,
    offered       integer NOT NULL DEFAULT 0,
    answered      integer NOT NULL DEFAULT 0,
    abandoned     integer NOT NULL DEFAULT 0,
    ring_seconds  bigint NOT NULL DEFAULT 0,
    rung          integer NOT NULL DEFAULT 0,
    talk_seconds  bigint NOT NULL DEFAULT 0,
    talked        integer NOT NULL DEFAULT 0,
    quick_hangups integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour, queue, agent_id)
);
CREATE INDEX call_hour_agent ON call_hour (agent_id, day);

-- Contacts are counted as logged (immutable for counting).
CREATE TABLE contact_fact (
    contact_id       text PRIMARY KEY,
    day              date NOT NULL,
    hour             smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    channel          text NOT NULL,
    direction        text NOT NULL,
    agent_id         text NOT NULL,
    contacts         integer NOT NULL DEFAULT 0,
    answered         integer NOT NULL DEFAULT 0,
    duration_seconds bigint NOT NULL DEFAULT 0,
    generation       bigint NOT NULL DEFAULT 0,
    applied_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_hour (
    day              date NOT NULL,
    hour             smallint NOT NULL,
    channel          text NOT NULL,
    direction        text NOT NULL,
    agent_id         text NOT NULL,
    contacts         integer NOT NULL DEFAULT 0,
    answered         integer NOT NULL DEFAULT 0,
    duration_seconds bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour, channel, direction, agent_id)
);
CREATE INDEX contact_hour_agent ON contact_hour (agent_id, day);

-- A rebuild's corrections to call_hour and contact_hour (the facts summed − the rollup,
-- read in one snapshot), added in short batches as rollup_fix's are.
CREATE TABLE call_rollup_fix (
    id               bigserial PRIMARY KEY,
    target           text NOT NULL,
    day              date NOT NULL,
    hour             smallint NOT NULL,
    queue            text NOT NULL DEFAULT '',
    agent_id         text NOT NULL DEFAULT '',
    channel          text NOT NULL DEFAULT '',
    direction        text NOT NULL DEFAULT '',
    offered          bigint NOT NULL DEFAULT 0,
    answered         bigint NOT NULL DEFAULT 0,
    abandoned        bigint NOT NULL DEFAULT 0,
    ring_seconds     bigint NOT NULL DEFAULT 0,
    rung             bigint NOT NULL DEFAULT 0,
    talk_seconds     bigint NOT NULL DEFAULT 0,
    talked           bigint NOT NULL DEFAULT 0,
    quick_hangups    bigint NOT NULL DEFAULT 0,
    contacts         bigint NOT NULL DEFAULT 0,
    duration_seconds bigint NOT NULL DEFAULT 0
);
CREATE INDEX call_rollup_fix_target ON call_rollup_fix (target, id);

-- A rebuild pages tickets, then calls, then contacts: where it is, and what it read.
ALTER TABLE report_rebuild
    ADD COLUMN phase    text NOT NULL DEFAULT 'tickets'
                        CHECK (phase IN ('tickets', 'calls', 'contacts', 'correct')),
    ADD COLUMN calls    bigint NOT NULL DEFAULT 0,
    ADD COLUMN contacts bigint NOT NULL DEFAULT 0;

-- An install upgraded with ticket facts already kept has calls and contacts the new
-- rollups never saw: its timer rebuilds them (a rebuild already open covers them).
INSERT INTO report_rebuild (requested_by)
SELECT 'migration 0003' WHERE EXISTS (SELECT 1 FROM ticket_fact)
ON CONFLICT ((true)) WHERE state IN ('queued', 'running') DO NOTHING;
