-- depends: 0000-common-outbox
-- Rollup of tickets per business day and kind (R1), fed by ticket_created.
CREATE TABLE ticket_daily (
    day   date NOT NULL,
    kind  text NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (day, kind)
);
