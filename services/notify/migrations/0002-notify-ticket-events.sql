-- depends: 0001-notify-inbox
-- Notices from ticket events (T4, T6, T7): one item per recipient per event.  The
-- platform already records (consumer, event_id); the unique key is a second guard,
-- so a notice is never doubled even if an event were handled by two consumers.
ALTER TABLE inbox_item ADD COLUMN event_id uuid;
CREATE UNIQUE INDEX inbox_item_event_staff ON inbox_item (event_id, staff_id)
    WHERE event_id IS NOT NULL;
-- Unread notices of a staff member.
CREATE INDEX inbox_item_staff_unread ON inbox_item (staff_id, created_at DESC)
    WHERE read_at IS NULL;
