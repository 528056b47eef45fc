-- depends: 0004-notify-seed-templates
-- Provider callbacks already applied, by a digest of (provider, signed time, body):
-- a captured callback replayed within its freshness window changes nothing (an old
-- 退订 replayed after staff opted the customer in again).  Rows older than the window
-- are deleted as new callbacks arrive.
CREATE TABLE callback_seen (
    digest bytea PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callback_seen_at ON callback_seen (seen_at);

-- A batch whose page could not be queued (the customer service down, a timeout) waits
-- and tries again with back-off; after some tries in a row it fails with the reason.
-- Meanwhile it neither blocks later batches nor holds back sending.
ALTER TABLE batch ADD COLUMN fill_errors integer NOT NULL DEFAULT 0,
                  ADD COLUMN fill_retry_at timestamptz;
