-- depends: 0003-common-account-versions
-- Follow-ups 回访 (V1, V2): the rules admins define, the tasks ticket events create from
-- them, the attempts agents record, and the staff read model tasks are assigned from.

-- A rule: which resolved work is followed up, when, and by whom.  Empty filter lists
-- match everything; share_percent (null: all) keeps a reproducible share of the matches.
CREATE TABLE followup_rule (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    kinds         text[] NOT NULL DEFAULT '{}',
    subtypes      text[] NOT NULL DEFAULT '{}',
    category_ids  text[] NOT NULL DEFAULT '{}',
    assignee_ids  text[] NOT NULL DEFAULT '{}',
    vip_only      boolean NOT NULL DEFAULT false,
    share_percent numeric(5, 2) CHECK (share_percent > 0 AND share_percent <= 100),
    rest_only     boolean NOT NULL DEFAULT false,
    delay_amount  integer NOT NULL CHECK (delay_amount >= 0),
    delay_unit    text NOT NULL CHECK (delay_unit IN ('hours', 'days')),
    group_name    text,
    agent_id      text,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (group_name IS NOT NULL OR agent_id IS NOT NULL)
);
CREATE UNIQUE INDEX followup_rule_name ON followup_rule (lower(name));

-- A task: one call to make.  Created from a rule (unique per ticket and rule: a ticket
-- resolved then closed, or an event delivered twice, makes one), or by "call again"
-- (rule_id null, previous_task_id the task it follows).
CREATE TABLE followup_task (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rule_id          uuid REFERENCES followup_rule (id),
    previous_task_id uuid REFERENCES followup_task (id),
    ticket_id        text NOT NULL,
    ticket_serial    text NOT NULL,
    ticket_kind      text NOT NULL,
    category_id      text,
    customer_id      text NOT NULL,
    level            integer NOT NULL DEFAULT 0,
    groups           text[] NOT NULL DEFAULT '{}',
    assignee_id      text,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'missed')),
    outcome          text CHECK (outcome IN ('reached', 'unreachable')),
    resolved_at      timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    reminded_at      timestamptz,
    missed_at        timestamptz,
    completed_at     timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    satisfaction     text,
    notes            text NOT NULL DEFAULT '',
    new_ticket_id    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ticket_id, rule_id)
);
CREATE INDEX followup_task_assignee ON followup_task (assignee_id, status, due_at, id);
CREATE INDEX followup_task_open_due ON followup_task (due_at) WHERE status = 'open';
CREATE INDEX followup_task_ticket ON followup_task (ticket_id);
CREATE INDEX followup_task_customer ON followup_task (customer_id, created_at DESC, id);
CREATE INDEX followup_task_groups ON followup_task USING gin (groups);

-- An attempt: one call made on a task.  (task_id, request_key) makes a retried request
-- one attempt; its id is the idempotency key of the ticket "needs service again" opens.
CREATE TABLE followup_attempt (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id       uuid NOT NULL REFERENCES followup_task (id),
    request_key   text NOT NULL,
    number        integer NOT NULL,
    staff_id      text NOT NULL,
    reached       boolean NOT NULL,
    reason        text,
    notes         text NOT NULL DEFAULT '',
    satisfaction  text,
    call_again_on date,
    needs_service boolean NOT NULL DEFAULT false,
    service_note  text NOT NULL DEFAULT '',
    new_ticket_id text,
    next_task_id  uuid REFERENCES followup_task (id),
    at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_id, request_key)
);

-- The staff read model (the gateway's staff_created / staff_updated): who of a group
-- takes follow-ups, who supervises it.
CREATE TABLE staff_member (
    id           text PRIMARY KEY,
    username     text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    roles        text[] NOT NULL DEFAULT '{}',
    groups       text[] NOT NULL DEFAULT '{}',
    active       boolean NOT NULL DEFAULT true,
    version      bigint NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_member_groups ON staff_member USING gin (groups);

-- What the survey service knows of each customer's confidentiality level (C4): the
-- customer service's newest word (its card when a task is made, customer_classified
-- after), so a late or repeated event changes nothing.  Tasks copy it.
CREATE TABLE customer_level (
    customer_id text PRIMARY KEY,
    level       integer NOT NULL,
    as_of       timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
