-- depends: 0009-report-ticket-narrow-rollups
-- The keypad's rating offers 满意度发送率 and the campaigns' invitation, acceptance,
-- attendance and satisfaction rates (issue 13, R1, R2, R4), from the survey service's
-- snapshot events (domain/ivr_campaigns.py): one fact per offer (its dimensions fixed,
-- `rated` only turning true: the fact keeps old OR new) and one per invitation (the
-- snapshot of the highest revision seen), and rollups that are the sum of every fact's
-- contribution, kept by deltas in the transaction that changes a fact and corrected to
-- the facts summed by a rebuild.  A dimension a record lacks is ''.  Days are in China.
CREATE TABLE ivr_offer_fact (
    offer_id    text PRIMARY KEY,
    day         date NOT NULL,
    agent_id    text NOT NULL,
    group_name  text NOT NULL,
    ticket_kind text NOT NULL,
    offered     integer NOT NULL DEFAULT 1,
    rated       integer NOT NULL DEFAULT 0,
    generation  bigint NOT NULL DEFAULT 0,  -- the rebuild that last saw it
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ivr_offer_day (
    day         date NOT NULL,
    agent_id    text NOT NULL,
    group_name  text NOT NULL,
    ticket_kind text NOT NULL,
    offered     integer NOT NULL DEFAULT 0,
    rated       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, group_name, ticket_kind)
);
CREATE INDEX ivr_offer_day_agent ON ivr_offer_day (agent_id, day);

-- An invitation counts on its campaign's start day, in its campaign, for its agent and
-- the agent's groups when the list was frozen, at its customer's level (a reader
-- above whose clearance it is does not count it); a closed one counts nowhere.
CREATE TABLE invitation_fact (
    invitation_id text PRIMARY KEY,
    campaign_id   text NOT NULL,
    campaign_day  date NOT NULL,
    agent_id      text NOT NULL,
    groups        text[] NOT NULL DEFAULT '{}',
    level         integer NOT NULL DEFAULT 0,
    revision      bigint NOT NULL,
    total         integer NOT NULL DEFAULT 0,
    called        integer NOT NULL DEFAULT 0,
    invited       integer NOT NULL DEFAULT 0,
    accepted      integer NOT NULL DEFAULT 0,
    came          integer NOT NULL DEFAULT 0,
    with_outcome  integer NOT NULL DEFAULT 0,
    satisfied     integer NOT NULL DEFAULT 0,
    gift_taken    integer NOT NULL DEFAULT 0,
    coupon_taken  integer NOT NULL DEFAULT 0,
    generation    bigint NOT NULL DEFAULT 0,
    applied_at    timestamptz NOT NULL DEFAULT now()
);

-- Campaigns × agents × levels: a few rows per campaign and agent.
CREATE TABLE campaign_rollup (
    campaign_id  text NOT NULL,
    campaign_day date NOT NULL,
    agent_id     text NOT NULL,
    groups       text[] NOT NULL,
    level        integer NOT NULL,
    total        integer NOT NULL DEFAULT 0,
    called       integer NOT NULL DEFAULT 0,
    invited      integer NOT NULL DEFAULT 0,
    accepted     integer NOT NULL DEFAULT 0,
    came         integer NOT NULL DEFAULT 0,
    with_outcome integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    gift_taken   integer NOT NULL DEFAULT 0,
    coupon_taken integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, campaign_day, agent_id, groups, level)
);
CREATE INDEX campaign_rollup_day ON campaign_rollup (campaign_day);

-- A rebuild's corrections to ivr_offer_day and campaign_rollup (the facts summed − the
-- rollup, read in one snapshot), added in short batches.
CREATE TABLE ivr_campaign_fix (
    id           bigserial PRIMARY KEY,
    target       text NOT NULL,
    day          date NOT NULL,
    agent_id     text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    ticket_kind  text NOT NULL DEFAULT '',
    campaign_id  text NOT NULL DEFAULT '',
    groups       text[] NOT NULL DEFAULT '{}',
    level        integer NOT NULL DEFAULT 0,
    offered      bigint NOT NULL DEFAULT 0,
    rated        bigint NOT NULL DEFAULT 0,
    total        bigint NOT NULL DEFAULT 0,
    called       bigint NOT NULL DEFAULT 0,
    invited      bigint NOT NULL DEFAULT 0,
    accepted     bigint NOT NULL DEFAULT 0,
    came         bigint NOT NULL DEFAULT 0,
    with_outcome bigint NOT NULL DEFAULT 0,
    satisfied    bigint NOT NULL DEFAULT 0,
    gift_taken   bigint NOT NULL DEFAULT 0,
    coupon_taken bigint NOT NULL DEFAULT 0
);
CREATE INDEX ivr_campaign_fix_target ON ivr_campaign_fix (target, id);

-- An install upgraded with facts already kept has offers and invitations the new
-- rollups never saw: its timer rebuilds them (a rebuild already open covers them).
INSERT INTO report_rebuild (requested_by)
SELECT 'migration 0010' WHERE EXISTS (SELECT 1 FROM ticket_fact)
ON CONFLICT ((true)) WHERE state IN ('queued', 'running') DO NOTHING;
