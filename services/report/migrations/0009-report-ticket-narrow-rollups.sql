-- depends: 0008-report-notifications
-- Two narrow ticket rollups for the curves asked most (issue 13, P6): by day and kind
-- alone (the department's own curve: a few rows a day instead of every kind ×
-- category × channel) and by day, group and kind (a supervisor's board, the groups'
-- curves: a few dozen rows a day instead of every agent's).  Each is the sum of the
-- facts' contributions like the others (domain/facts.py), kept by deltas in the
-- transaction that changes a fact and corrected to the facts summed by a rebuild.
-- Filled here from the wider rollups they narrow (the same contributions summed), so
-- an upgraded install answers at once.
CREATE TABLE ticket_day (
    day                 date NOT NULL,
    kind                text NOT NULL,
    created             integer NOT NULL DEFAULT 0,
    resolved            integer NOT NULL DEFAULT 0,
    closed              integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,
    reopened            integer NOT NULL DEFAULT 0,
    repeats             integer NOT NULL DEFAULT 0,
    response_breached   integer NOT NULL DEFAULT 0,
    resolution_breached integer NOT NULL DEFAULT 0,
    same_day            integer NOT NULL DEFAULT 0,
    fcr                 integer NOT NULL DEFAULT 0,
    opened              integer NOT NULL DEFAULT 0,
    finished            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind)
);

CREATE TABLE ticket_day_group (
    day                 date NOT NULL,
    group_name          text NOT NULL,
    kind                text NOT NULL,
    created             integer NOT NULL DEFAULT 0,
    resolved            integer NOT NULL DEFAULT 0,
    closed              integer NOT NULL DEFAULT 0,
    cancelled           integer NOT NULL DEFAULT 0,
    reopened            integer NOT NULL DEFAULT 0,
    repeats             integer NOT NULL DEFAULT 0,
    response_breached   integer NOT NULL DEFAULT 0,
    resolution_breached integer NOT NULL DEFAULT 0,
    same_day            integer NOT NULL DEFAULT 0,
    fcr                 integer NOT NULL DEFAULT 0,
    opened              integer NOT NULL DEFAULT 0,
    finished            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, group_name, kind)
);

-- Both filled under the same lock a rebuild's page or a live event takes on the wider
-- rollups' rows: none can change them between the two reads.
LOCK TABLE ticket_day_kind, ticket_day_staff IN SHARE MODE;

INSERT INTO ticket_day (day, kind, created, resolved, closed, cancelled, reopened,
    repeats, response_breached, resolution_breached, same_day, fcr, opened, finished)
SELECT day, kind, sum(created), sum(resolved), sum(closed), sum(cancelled), sum(reopened),
       sum(repeats), sum(response_breached), sum(resolution_breached), sum(same_day),
       sum(fcr), sum(opened), sum(finished)
  FROM ticket_day_kind GROUP BY day, kind;

INSERT INTO ticket_day_group (day, group_name, kind, created, resolved, closed, cancelled,
    reopened, repeats, response_breached, resolution_breached, same_day, fcr, opened,
    finished)
SELECT day, group_name, kind, sum(created), sum(resolved), sum(closed), sum(cancelled),
       sum(reopened), sum(repeats), sum(response_breached), sum(resolution_breached),
       sum(same_day), sum(fcr), sum(opened), sum(finished)
  FROM ticket_day_staff GROUP BY day, group_name, kind;
