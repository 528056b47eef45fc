-- depends: 0007-customer-access-log-digest-v2
-- Lookups by phone counted per staff member and minute (issue 9, finding 9a): a masked
-- number hides four digits, so roles that may not unmask are allowed a number of
-- lookups by phone in a sliding window (domain/access.py).  One row per staff member
-- and minute, bumped by an upsert under a per-staff-member lock; rows older than the
-- window are deleted as the same staff member looks up again.
CREATE TABLE phone_lookup_count (
    staff_id text NOT NULL,
    minute   timestamptz NOT NULL,
    n        integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (staff_id, minute)
);

ALTER TABLE phone_lookup_count ENABLE ROW LEVEL SECURITY;
ALTER TABLE phone_lookup_count FORCE ROW LEVEL SECURITY;
CREATE POLICY phone_lookup_count_owner ON phone_lookup_count
    USING (kefu_is_owner()) WITH CHECK (kefu_is_owner());
-- Each staff member counts (and sees) only their own lookups.
CREATE POLICY phone_lookup_count_own ON phone_lookup_count
    USING (kefu_principal_set() AND staff_id = kefu_principal())
    WITH CHECK (kefu_principal_set() AND staff_id = kefu_principal());
