-- depends: 0010-ticket-access
-- Finding 9 (issue 9): the staff read model keeps the version of each account, so a
-- staff_updated arriving after a newer one (a disabled person made active again by a
-- stale event) changes nothing.  Rows known before carry version 0.
ALTER TABLE staff_member ADD COLUMN version bigint NOT NULL DEFAULT 0;
