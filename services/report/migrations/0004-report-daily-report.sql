-- depends: 0002-report-ticket-facts
-- The daily report (R3): the days reported, one row each — the replica whose insert
-- makes the row sends it (in the same transaction as its event in the outbox).
CREATE TABLE daily_report (
    day     date PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now()
);
