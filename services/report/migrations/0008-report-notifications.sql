-- depends: 0007-report-field-work
-- Notifications sent / delivered / undelivered / failed / skipped per channel and
-- template (issue 13, R1, R2, R4): one fact per message, merged from notify's outcome
-- events (its state: the highest seen, queued 0 < sent 1 < delivered 2 < undelivered 3
-- < failed 4 < skipped 5, so duplicates and order change nothing), and a daily rollup
-- (the China day the message was made × channel × template × level) that is the sum
-- of the facts' contributions (domain/notifications.py), kept by deltas in the
-- transaction that changes a fact and corrected to the facts summed by a rebuild.  A
-- message without a template is '' in a key.
CREATE TABLE notification_fact (
    message_id text PRIMARY KEY,
    day        date NOT NULL,
    channel    text NOT NULL,
    template   text NOT NULL,
    level      smallint NOT NULL DEFAULT 0,
    state      smallint NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 5),
    generation bigint NOT NULL DEFAULT 0,  -- the rebuild that last saw it
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_day (
    day         date NOT NULL,
    channel     text NOT NULL,
    template    text NOT NULL,
    level       smallint NOT NULL,
    sent        integer NOT NULL DEFAULT 0,
    delivered   integer NOT NULL DEFAULT 0,
    undelivered integer NOT NULL DEFAULT 0,
    failed      integer NOT NULL DEFAULT 0,
    skipped     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, template, level)
);

-- A rebuild's corrections to notification_day (the facts summed − the rollup, read in
-- one snapshot), added in short batches.
CREATE TABLE notification_rollup_fix (
    id          bigserial PRIMARY KEY,
    day         date NOT NULL,
    channel     text NOT NULL,
    template    text NOT NULL,
    level       smallint NOT NULL,
    sent        bigint NOT NULL DEFAULT 0,
    delivered   bigint NOT NULL DEFAULT 0,
    undelivered bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    skipped     bigint NOT NULL DEFAULT 0
);
