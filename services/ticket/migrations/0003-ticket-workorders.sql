-- depends: 0002-ticket-anonymise
-- Work orders in full (T1–T5): categories with their forms, the whole ticket
-- record, the append-only trail, and the staff read model the queues use.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- T1: categories under each kind, each with its own form (a list of field
-- definitions: {name, label, type, required, choices?, min?, max?}).
CREATE TABLE category (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL,
    subtype     text,                       -- after-sales: delivery, installation, repair...
    name        text NOT NULL,
    form        jsonb NOT NULL DEFAULT '[]',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, name)
);

-- T2: the whole record.  `contact` is the snapshot of the contact used
-- (name, phone as given, relation); `form` the category's field values.
ALTER TABLE ticket
    ADD COLUMN category_id        uuid REFERENCES category (id),
    ADD COLUMN subject            text,
    ADD COLUMN form               jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN contact            jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN asset_serial       text,
    ADD COLUMN warranty           text NOT NULL DEFAULT 'unknown',   -- in / out / unknown
    ADD COLUMN fee                numeric(12, 2) NOT NULL DEFAULT 0,
    ADD COLUMN paid               boolean NOT NULL DEFAULT false,
    ADD COLUMN repeat_of          uuid[] NOT NULL DEFAULT '{}',      -- T3
    ADD COLUMN group_name         text,                              -- T4: the group handling it
    ADD COLUMN assignee_id        text,                              -- T4: the person handling it
    ADD COLUMN waiting_on         text,                              -- customer / parts
    ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN first_response_at  timestamptz,                       -- T6
    ADD COLUMN response_due_at    timestamptz,
    ADD COLUMN resolution_due_at  timestamptz,
    ADD COLUMN paused_since       timestamptz,
    ADD COLUMN paused_seconds     integer NOT NULL DEFAULT 0,
    ADD COLUMN escalated_at       timestamptz,
    ADD COLUMN resolved_at        timestamptz,
    ADD COLUMN closed_at          timestamptz;

ALTER TABLE ticket
    ADD CONSTRAINT ticket_status_known CHECK (status IN
        ('new', 'assigned', 'in_progress', 'waiting', 'resolved', 'closed', 'cancelled')),
    ADD CONSTRAINT ticket_warranty_known CHECK (warranty IN ('in', 'out', 'unknown')),
    ADD CONSTRAINT ticket_fee_not_negative CHECK (fee >= 0);

-- T3: the customer's recent history of a kind and category.
CREATE INDEX ticket_customer_kind ON ticket (customer_id, kind, category_id, accepted_at DESC);
-- T5 queues: keyset order is (accepted_at DESC, id DESC) everywhere.
CREATE INDEX ticket_assignee_open ON ticket (assignee_id, accepted_at DESC, id DESC)
    WHERE status NOT IN ('closed', 'cancelled');
CREATE INDEX ticket_group_unassigned ON ticket (group_name, accepted_at DESC, id DESC)
    WHERE assignee_id IS NULL AND status NOT IN ('closed', 'cancelled');
CREATE INDEX ticket_status_order ON ticket (status, accepted_at DESC, id DESC);
CREATE INDEX ticket_order ON ticket (accepted_at DESC, id DESC);
CREATE INDEX ticket_content_trgm ON ticket USING gin (content gin_trgm_ops);
-- T6: the escalation timer's scan.
CREATE INDEX ticket_due_open ON ticket (resolution_due_at)
    WHERE escalated_at IS NULL AND paused_since IS NULL
      AND status NOT IN ('resolved', 'closed', 'cancelled');

-- T4: every step, append-only (the runtime role may insert and read only).
CREATE TABLE ticket_trail (
    id           bigserial PRIMARY KEY,
    ticket_id    uuid NOT NULL REFERENCES ticket (id),
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     text NOT NULL,
    action       text NOT NULL,   -- created, assigned, transferred, accepted, handed_back, status, ...
    from_status  text,
    to_status    text,
    from_handler text,            -- "group:<name>" or "staff:<id>"
    to_handler   text,
    note         text NOT NULL DEFAULT ''
);
CREATE INDEX ticket_trail_ticket ON ticket_trail (ticket_id, id);

DO $$
DECLARE g record;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'ticket_trail' AND grantee <> current_user LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON ticket_trail FROM %I', g.grantee);
    END LOOP;
END
$$;

-- Staff as the ticket service knows them (from the gateway's staff events),
-- with the on-duty flag the ticket service owns: "any on-duty member of a group".
CREATE TABLE staff_member (
    id               text PRIMARY KEY,
    username         text NOT NULL,
    display_name     text NOT NULL DEFAULT '',
    roles            text[] NOT NULL DEFAULT '{}',
    groups           text[] NOT NULL DEFAULT '{}',
    active           boolean NOT NULL DEFAULT true,
    on_duty          boolean NOT NULL DEFAULT false,
    last_assigned_at timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_member_groups ON staff_member USING gin (groups);
