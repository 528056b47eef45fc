-- depends: 0000-common-outbox
-- The in-app inbox of staff members (N1): instant notices such as a new ticket.
CREATE TABLE inbox_item (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id   text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    ref_type   text,
    ref_id     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX inbox_item_staff ON inbox_item (staff_id, created_at DESC);
