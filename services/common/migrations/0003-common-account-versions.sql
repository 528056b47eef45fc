-- depends: 0002-common-outbox-returned
-- Revocation (issue 9, finding 5; services/common/accounts.py): the newest version and
-- activity of each staff account this service heard of (the gateway's staff_created /
-- staff_updated, handled by every service).  A staff token older than its account's
-- version, or of a disabled account, is refused.  `changed_at` lets each process read
-- only what changed since its last look (every half second).
CREATE TABLE account_version (
    staff_id   text PRIMARY KEY,
    version    bigint NOT NULL,
    active     boolean NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX account_version_changed ON account_version (changed_at);
