-- depends: 0003-ticket-workorders
-- Time (T6): SLA targets per kind x urgency, business hours, the calendar's
-- admin overrides, the response escalation stamp, personal reminders.
--
-- Working days: calendar_override first, then chinese_calendar (mainland holidays
-- and make-up working days, years it knows), then plain weekends (see
-- services/ticket/domain/sla.py).

-- Targets in business minutes (a business day is 540 minutes at 09:00-18:00).
CREATE TABLE sla_policy (
    kind               text NOT NULL,
    urgency            text NOT NULL,
    response_minutes   integer NOT NULL CHECK (response_minutes > 0),
    resolution_minutes integer NOT NULL CHECK (resolution_minutes > 0),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text NOT NULL DEFAULT 'migration',
    PRIMARY KEY (kind, urgency),
    CHECK (response_minutes <= resolution_minutes)
);
INSERT INTO sla_policy (kind, urgency, response_minutes, resolution_minutes) VALUES
    ('consultation', 'urgent', 10, 120),   ('consultation', 'high', 30, 270),
    ('consultation', 'medium', 60, 540),   ('consultation', 'low', 120, 1080),
    ('after_sales', 'urgent', 30, 540),    ('after_sales', 'high', 60, 1080),
    ('after_sales', 'medium', 120, 2160),  ('after_sales', 'low', 240, 4320),
    ('complaint', 'urgent', 15, 270),      ('complaint', 'high', 30, 540),
    ('complaint', 'medium', 60, 1080),     ('complaint', 'low', 120, 2160),
    ('suggestion', 'urgent', 60, 1080),    ('suggestion', 'high', 120, 2160),
    ('suggestion', 'medium', 240, 4320),   ('suggestion', 'low', 480, 5400);

-- One row: the business hours; `version` grows with every change of hours or
-- calendar overrides, so each replica reloads its cached calendar at once.
CREATE TABLE sla_settings (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    timezone   text NOT NULL DEFAULT 'Asia/Shanghai',
    day_start  time NOT NULL DEFAULT '09:00',
    day_end    time NOT NULL DEFAULT '18:00',
    version    bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT 'migration',
    CHECK (day_start < day_end)
);
INSERT INTO sla_settings DEFAULT VALUES;

-- Admin-managed: a day that is (or is not) a working day whatever the library says
-- (e.g. next year's holidays before chinese_calendar knows them).
CREATE TABLE calendar_override (
    day        date PRIMARY KEY,
    workday    boolean NOT NULL,
    note       text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL
);

ALTER TABLE ticket ADD COLUMN response_escalated_at timestamptz;

-- The escalation timer's scan of response breaches (resolution: ticket_due_open).
CREATE INDEX ticket_response_due_open ON ticket (response_due_at)
    WHERE first_response_at IS NULL AND response_escalated_at IS NULL
      AND paused_since IS NULL AND status NOT IN ('resolved', 'closed', 'cancelled');
-- The "due" view: open tickets by due time, keyset (resolution_due_at, id).
CREATE INDEX ticket_open_by_due ON ticket (resolution_due_at, id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
CREATE INDEX ticket_group_open_by_due ON ticket (group_name, resolution_due_at, id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');

-- Personal reminders ("remind me in 2 days"), delivered through notify.
CREATE TABLE reminder (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id    uuid NOT NULL REFERENCES ticket (id),
    staff_id     text NOT NULL,
    due_at       timestamptz NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    cancelled_at timestamptz
);
CREATE INDEX reminder_pending_due ON reminder (due_at)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX reminder_staff ON reminder (staff_id, due_at, id) WHERE cancelled_at IS NULL;
