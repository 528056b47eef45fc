-- depends: 0003-ticket-workorders
-- T5 queue counts kept up to date by a trigger, so a count never scans the ticket
-- table: per assignee × status, and per group × status for unassigned tickets.
-- Each (scope, key, status) is spread over 8 slots (by the ticket id) so that 300
-- creates/s into one group's queue do not all wait on one row lock; readers sum.
CREATE TABLE queue_count (
    scope  text NOT NULL,      -- 'assignee' (key = staff id) or 'group' (key = group name, unassigned)
    key    text NOT NULL,
    status text NOT NULL,
    slot   smallint NOT NULL,
    n      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key, status, slot)
);

CREATE FUNCTION queue_count_bump(p_scope text, p_key text, p_status text, p_slot smallint,
                                 p_delta integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO queue_count AS q (scope, key, status, slot, n)
    VALUES (p_scope, p_key, p_status, p_slot, p_delta)
    ON CONFLICT (scope, key, status, slot) DO UPDATE SET n = q.n + excluded.n
$$;

CREATE FUNCTION ticket_queue_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_scope text; old_key text; new_scope text; new_key text; slot smallint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.assignee_id IS NOT NULL THEN
            old_scope := 'assignee'; old_key := OLD.assignee_id;
        ELSIF OLD.group_name IS NOT NULL THEN
            old_scope := 'group'; old_key := OLD.group_name;
        END IF;
        slot := abs(hashtext(OLD.id::text) % 8);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF NEW.assignee_id IS NOT NULL THEN
            new_scope := 'assignee'; new_key := NEW.assignee_id;
        ELSIF NEW.group_name IS NOT NULL THEN
            new_scope := 'group'; new_key := NEW.group_name;
        END IF;
        slot := abs(hashtext(NEW.id::text) % 8);
    END IF;
    IF TG_OP = 'UPDATE' AND old_scope IS NOT DISTINCT FROM new_scope
       AND old_key IS NOT DISTINCT FROM new_key AND OLD.status = NEW.status THEN
        RETURN NULL;
    END IF;
    IF old_scope IS NOT NULL THEN
        PERFORM queue_count_bump(old_scope, old_key, OLD.status, slot, -1);
    END IF;
    IF new_scope IS NOT NULL THEN
        PERFORM queue_count_bump(new_scope, new_key, NEW.status, slot, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ticket_queue_count
    AFTER INSERT OR DELETE OR UPDATE OF status, assignee_id, group_name ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_queue_count();

-- What exists already.
INSERT INTO queue_count (scope, key, status, slot, n)
SELECT CASE WHEN assignee_id IS NOT NULL THEN 'assignee' ELSE 'group' END,
       coalesce(assignee_id, group_name), status, abs(hashtext(id::text) % 8), count(*)
FROM ticket
WHERE assignee_id IS NOT NULL OR group_name IS NOT NULL
GROUP BY 1, 2, 3, 4;

-- "Any on-duty member of a group": the least recently assigned first.
CREATE INDEX staff_member_on_duty ON staff_member (last_assigned_at NULLS FIRST, id)
    WHERE active AND on_duty;
-- T5: a filter by category (possibly rare) keeps the keyset order from an index; kind
-- and urgency (4 values each) are filtered along ticket_order / ticket_status_order.
CREATE INDEX ticket_category_order ON ticket (category_id, accepted_at DESC, id DESC)
    WHERE category_id IS NOT NULL;
