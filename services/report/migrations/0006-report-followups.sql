-- depends: 0005-report-rebuild-sources
-- Follow-ups 回访 and satisfaction 满意度 statistics (issue 13, R1, R2, R4) from the survey
-- service's events (domain/survey.py): the follow-up events seen (each (task, event)
-- once), one fact per task merged from them, one fact per answer (counted as told), and
-- daily rollups that are the sum of every fact's contribution, kept by deltas in the
-- transaction that changes a fact and corrected to the facts summed by a rebuild.  A
-- task's group is its FIRST group ('' without one); a dimension a record lacks is ''.
-- Days are in China.
CREATE TABLE followup_fact_event (
    task_id    text NOT NULL,
    event      text NOT NULL CHECK (event IN ('created', 'missed', 'completed')),
    at         timestamptz NOT NULL,
    group_name text NOT NULL DEFAULT '',
    agent_id   text NOT NULL DEFAULT '',
    due_at     timestamptz NOT NULL,
    outcome    text,
    was_missed boolean NOT NULL DEFAULT false,
    PRIMARY KEY (task_id, event)
);

-- The task's contribution itself: its key and the days each counter counts on.
CREATE TABLE followup_fact (
    task_id     text PRIMARY KEY,
    group_name  text NOT NULL,
    agent_id    text NOT NULL,
    created_day date,
    due_day     date NOT NULL,
    done_day    date,
    missed_day  date,
    reached     integer NOT NULL DEFAULT 0,
    unreachable integer NOT NULL DEFAULT 0,
    on_time     integer NOT NULL DEFAULT 0,
    generation  bigint NOT NULL DEFAULT 0,  -- the rebuild that last saw it
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE followup_day (
    day         date NOT NULL,
    group_name  text NOT NULL,
    agent_id    text NOT NULL,
    created     integer NOT NULL DEFAULT 0,
    due         integer NOT NULL DEFAULT 0,
    done        integer NOT NULL DEFAULT 0,
    reached     integer NOT NULL DEFAULT 0,
    unreachable integer NOT NULL DEFAULT 0,
    missed      integer NOT NULL DEFAULT 0,
    on_time     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, group_name, agent_id)
);
CREATE INDEX followup_day_agent ON followup_day (agent_id, day);

-- Answers are counted as told (an answer's scores and dimensions never change).
CREATE TABLE answer_fact (
    answer_id    text PRIMARY KEY,
    day          date NOT NULL,
    agent_id     text NOT NULL,
    group_name   text NOT NULL,
    ticket_kind  text NOT NULL,
    source       text NOT NULL,
    answers      integer NOT NULL DEFAULT 0,
    csat_answers integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    nps_answers  integer NOT NULL DEFAULT 0,
    promoters    integer NOT NULL DEFAULT 0,
    detractors   integer NOT NULL DEFAULT 0,
    generation   bigint NOT NULL DEFAULT 0,
    applied_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE answer_day (
    day          date NOT NULL,
    agent_id     text NOT NULL,
    group_name   text NOT NULL,
    ticket_kind  text NOT NULL,
    source       text NOT NULL,
    answers      integer NOT NULL DEFAULT 0,
    csat_answers integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    nps_answers  integer NOT NULL DEFAULT 0,
    promoters    integer NOT NULL DEFAULT 0,
    detractors   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, group_name, ticket_kind, source)
);
CREATE INDEX answer_day_agent ON answer_day (agent_id, day);

-- A rebuild's corrections to followup_day and answer_day (the facts summed − the
-- rollup, read in one snapshot), added in short batches.
CREATE TABLE survey_rollup_fix (
    id           bigserial PRIMARY KEY,
    target       text NOT NULL,
    day          date NOT NULL,
    group_name   text NOT NULL DEFAULT '',
    agent_id     text NOT NULL DEFAULT '',
    ticket_kind  text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    created      bigint NOT NULL DEFAULT 0,
    due          bigint NOT NULL DEFAULT 0,
    done         bigint NOT NULL DEFAULT 0,
    reached      bigint NOT NULL DEFAULT 0,
    unreachable  bigint NOT NULL DEFAULT 0,
    missed       bigint NOT NULL DEFAULT 0,
    on_time      bigint NOT NULL DEFAULT 0,
    answers      bigint NOT NULL DEFAULT 0,
    csat_answers bigint NOT NULL DEFAULT 0,
    satisfied    bigint NOT NULL DEFAULT 0,
    nps_answers  bigint NOT NULL DEFAULT 0,
    promoters    bigint NOT NULL DEFAULT 0,
    detractors   bigint NOT NULL DEFAULT 0
);
CREATE INDEX survey_rollup_fix_target ON survey_rollup_fix (target, id);


-- An install upgraded with facts already kept has follow-ups and answers the new
-- rollups never saw: its timer rebuilds them (a rebuild already open covers them).
INSERT INTO report_rebuild (requested_by)
SELECT 'migration 0006' WHERE EXISTS (SELECT 1 FROM ticket_fact)
ON CONFLICT ((true)) WHERE state IN ('queued', 'running') DO NOTHING;
