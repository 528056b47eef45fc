-- depends: 0003-survey-followup-erased
-- Campaigns 市场活动 (V5): a campaign, its target list frozen from a customer segment
-- into invitations (one per customer, spread over the campaign's agents), and the count
-- of wrong check-in codes per campaign and caller (guessing is limited).

-- A campaign.  `list_state`: its list is being frozen from the segment (by a timer, as the
-- survey's system identity), frozen, or failed (`failure` says why).  The segment is
-- the customer service's query as given; the list holds the customers it selected
-- among those created before the campaign (created_at).
CREATE TABLE campaign (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_key  text NOT NULL UNIQUE,
    theme        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    venue        text NOT NULL CHECK (venue IN ('onsite', 'elsewhere')),
    place        text NOT NULL DEFAULT '',
    capacity     integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    segment      jsonb NOT NULL,
    agent_ids    text[] NOT NULL,
    list_state   text NOT NULL DEFAULT 'freezing'
                 CHECK (list_state IN ('freezing', 'frozen', 'failed')),
    failure      text NOT NULL DEFAULT '',
    freeze_tries integer NOT NULL DEFAULT 0,
    next_try_at  timestamptz NOT NULL DEFAULT now(),
    frozen_at    timestamptz,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (cardinality(agent_ids) BETWEEN 1 AND 200)
);
CREATE INDEX campaign_created ON campaign (created_at DESC, id DESC);
CREATE INDEX campaign_freezing ON campaign (next_try_at) WHERE list_state = 'freezing';
CREATE INDEX campaign_agents ON campaign USING gin (agent_ids);

-- An invitation: one customer of the frozen list, on one agent's call list (`groups`:
-- the agent's groups when frozen — their supervisors reach it).  `level` is the
-- customer's confidentiality level (C4): above a reader's clearance it does not exist
-- for them.  `checkin_code` is made once, at the first acceptance.
CREATE TABLE campaign_invitation (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    campaign_id         uuid NOT NULL REFERENCES campaign (id),
    position            integer NOT NULL,
    customer_id         text NOT NULL,
    level               integer NOT NULL DEFAULT 0,
    agent_id            text NOT NULL,
    groups              text[] NOT NULL DEFAULT '{}',
    invited             boolean,
    reason              text CHECK (reason IN ('refused', 'busy', 'no_answer', 'sold_the_car',
                                               'moved', 'wrong_number', 'other')),
    note                text NOT NULL DEFAULT '',
    accepted            boolean,
    calls               integer NOT NULL DEFAULT 0,
    recorded_by         text,
    recorded_at         timestamptz,
    checkin_code        text CHECK (checkin_code ~ '^[0-9]{6}$'),
    accepted_at         timestamptz,
    came                boolean NOT NULL DEFAULT false,
    checked_in_at       timestamptz,
    checked_in_by       text,
    gift_taken          boolean,
    coupon_taken        boolean,
    satisfaction        text CHECK (satisfaction IN ('satisfied', 'average', 'unsatisfied')),
    satisfaction_reason text NOT NULL DEFAULT '',
    outcome_by          text,
    outcome_at          timestamptz,
    erased_at           timestamptz,
    -- a merge left the customer two invitations in the campaign: the less advanced one
    -- is closed (out of every list, figure and check-in).
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT came OR accepted)
);
-- A list is frozen in one transaction, positions 0..n-1 (no unique index on them: the
-- fewer indexes, the faster 100,000 rows go in); codes are unique within a campaign.
CREATE INDEX campaign_invitation_agent
    ON campaign_invitation (agent_id, created_at, position, id);
CREATE INDEX campaign_invitation_list ON campaign_invitation (campaign_id, created_at, position, id);
CREATE INDEX campaign_invitation_customer ON campaign_invitation (customer_id);
CREATE INDEX campaign_invitation_accepted ON campaign_invitation (campaign_id) WHERE accepted;
CREATE UNIQUE INDEX campaign_invitation_code ON campaign_invitation (campaign_id, checkin_code)
    WHERE checkin_code IS NOT NULL;

-- Invitation calls by Idempotency-Key: a retried call answers the invitation again
-- without counting a second call.
CREATE TABLE campaign_call (
    staff_id      text NOT NULL,
    request_key   text NOT NULL,
    invitation_id uuid NOT NULL REFERENCES campaign_invitation (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, request_key)
);

-- Wrong check-in codes per campaign, caller and fixed window (the row is locked by
-- every try: tries of one caller queue up, so the count is the gate).
CREATE TABLE campaign_checkin_guess (
    campaign_id  uuid NOT NULL,
    staff_id     text NOT NULL,
    window_start timestamptz NOT NULL,
    bad          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, staff_id, window_start)
);
