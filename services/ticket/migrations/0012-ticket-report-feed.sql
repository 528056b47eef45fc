-- depends: 0011-ticket-staff-version
-- Issue 13: what the report service reads of each ticket (its snapshot, the latest
-- state; services/ticket/domain/report_feed.py).  The report keeps one fact per ticket
-- and replaces it by a newer revision, so every change of a ticket row raises
-- `revision` (a trigger: no writer can forget it).  Reopens and transfers are counted
-- by the workflow's step (domain.workflow.is_reopen / is_transfer, written by
-- store.workflow.apply); a cancelled ticket keeps when it was cancelled.
ALTER TABLE ticket
    ADD COLUMN revision       bigint NOT NULL DEFAULT 1,
    ADD COLUMN reopen_count   integer NOT NULL DEFAULT 0,
    ADD COLUMN transfer_count integer NOT NULL DEFAULT 0,
    ADD COLUMN cancelled_at   timestamptz;

-- What exists already, from the append-only trail: when each cancelled ticket was
-- cancelled (else when it last changed), how often it was reopened, and its transfers
-- (a move away from a person, or from one group to another; a move from a group to a
-- person of another group is not told apart by the trail, and is not counted).
UPDATE ticket t SET cancelled_at = coalesce(
    (SELECT max(tr.at) FROM ticket_trail tr WHERE tr.ticket_id = t.id
     AND tr.to_status = 'cancelled'), t.updated_at)
WHERE t.status = 'cancelled';

UPDATE ticket t SET reopen_count = r.n
FROM (SELECT ticket_id, count(*) AS n FROM ticket_trail WHERE action = 'reopened'
      GROUP BY ticket_id) r
WHERE r.ticket_id = t.id;

UPDATE ticket t SET transfer_count = r.n
FROM (SELECT ticket_id, count(*) AS n FROM ticket_trail
      WHERE action IN ('assigned', 'transferred', 'handed_back')
        AND (from_handler LIKE 'staff:%'
             OR (from_handler LIKE 'group:%' AND to_handler LIKE 'group:%'
                 AND from_handler <> to_handler))
      GROUP BY ticket_id) r
WHERE r.ticket_id = t.id;

CREATE FUNCTION ticket_next_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER ticket_next_revision BEFORE UPDATE ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_next_revision();

-- report_ticket_counts reads tickets by the China day of accepted_at through
-- ticket_order (accepted_at DESC, id DESC); those of resolved, closed and cancelled
-- (a check over a period, rare) read these, which hold only the finished ones.
CREATE INDEX ticket_resolved_at ON ticket (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX ticket_closed_at ON ticket (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX ticket_cancelled_at ON ticket (cancelled_at) WHERE cancelled_at IS NOT NULL;
