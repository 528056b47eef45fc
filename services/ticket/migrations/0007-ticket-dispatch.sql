-- depends: 0003-ticket-workorders
-- Field dispatch 派单 (T7): jobs sent to field staff with address and appointment
-- window, and the handling record the field staff member enters.
CREATE TABLE dispatch (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id     uuid NOT NULL REFERENCES ticket (id),
    staff_id      text NOT NULL,
    dispatcher_id text NOT NULL,
    address       text NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    note          text NOT NULL DEFAULT '',
    state         text NOT NULL DEFAULT 'open',   -- open / handled / cancelled
    created_at    timestamptz NOT NULL DEFAULT now(),
    cancelled_at  timestamptz,
    flagged_at    timestamptz,                     -- window passed with no handling record
    CONSTRAINT dispatch_state_known CHECK (state IN ('open', 'handled', 'cancelled')),
    CONSTRAINT dispatch_window_ordered CHECK (window_start < window_end)
);
-- At most one open dispatch per ticket: a reschedule cancels the open one first.
CREATE UNIQUE INDEX dispatch_one_open ON dispatch (ticket_id) WHERE state = 'open';
CREATE INDEX dispatch_ticket ON dispatch (ticket_id, created_at DESC);
-- "My jobs" and the supervisors' lists, keyset (window_end, id).
CREATE INDEX dispatch_staff_open ON dispatch (staff_id, window_end, id) WHERE state = 'open';
CREATE INDEX dispatch_open_window ON dispatch (window_end, id) WHERE state = 'open';
-- The overdue timer's scan, and the overdue list.
CREATE INDEX dispatch_due ON dispatch (window_end) WHERE state = 'open' AND flagged_at IS NULL;
CREATE INDEX dispatch_overdue ON dispatch (window_end, id)
    WHERE state = 'open' AND flagged_at IS NOT NULL;

CREATE TABLE handling_record (
    dispatch_id  uuid PRIMARY KEY REFERENCES dispatch (id),   -- one per dispatch
    ticket_id    uuid NOT NULL REFERENCES ticket (id),
    staff_id     text NOT NULL,
    done         boolean NOT NULL,
    reason       text NOT NULL DEFAULT '',
    parts        jsonb NOT NULL DEFAULT '[]',                 -- [{name, quantity, price}]
    fee          numeric(12, 2) NOT NULL DEFAULT 0,
    paid         boolean NOT NULL DEFAULT false,
    note         text NOT NULL DEFAULT '',
    arrived_at   timestamptz,
    finished_at  timestamptz,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT handling_fee_not_negative CHECK (fee >= 0)
);
CREATE INDEX handling_record_ticket ON handling_record (ticket_id);
