-- depends: 0001-ticket-records
-- Destruction (C6): when a customer is destroyed, its tickets keep their serial,
-- kind, channel, urgency, status, dates and statistics and lose the person.
-- `destroyed_customer` remembers whom the customer service erased, so that a
-- ticket can never again carry that person's words: an insert for a destroyed
-- customer is refused, and a ticket moved onto one (a late merge) is redacted.
ALTER TABLE ticket ADD COLUMN anonymised_at timestamptz;

CREATE TABLE destroyed_customer (
    customer_id  uuid PRIMARY KEY,
    destroyed_at timestamptz NOT NULL DEFAULT now()
);

-- A per-customer advisory lock orders this trigger against the anonymising
-- handler (which takes it exclusively): either the insert commits first and the
-- handler's update sees it, or the handler commits first and the insert sees
-- the customer as destroyed.
CREATE FUNCTION ticket_guard_destroyed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(NEW.customer_id::text, 6));
    IF EXISTS (SELECT 1 FROM destroyed_customer WHERE customer_id = NEW.customer_id) THEN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'customer % was destroyed', NEW.customer_id
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.content := '[已销毁]';
        NEW.anonymised_at := coalesce(NEW.anonymised_at, now());
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ticket_guard_destroyed BEFORE INSERT OR UPDATE OF customer_id ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_guard_destroyed();
