-- depends: 0004-ticket-forms 0005-ticket-queues 0006-ticket-sla 0007-ticket-dispatch 0008-ticket-contacts 0009-ticket-knowledge
-- Issue 9: what the ticket service knows of each customer's confidentiality level
-- (finding 7), the index that serves a short text search (finding 11), and a
-- destroyed customer's tickets losing the whole person, not only the content (C6).

-- Finding 7: each customer's level as the customer service last said it — its
-- customer_classified events, and the card it answers when a ticket is accepted.
-- `as_of` (the event's occurred_at, the card's updated_at) orders them: a late or
-- repeated older word never overwrites a newer one.  A customer the ticket service
-- has heard nothing of is ordinary, as every customer is created.
CREATE TABLE customer_level (
    customer_id   uuid PRIMARY KEY,
    level         smallint NOT NULL CHECK (level >= 0),
    declassify_at timestamptz,
    declassify_to smallint CHECK (declassify_to >= 0),
    as_of         timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The level in force now: the stored one until declassify_at, then declassify_to —
-- the customer service's rule, computed at read time (no event needed on the day).
CREATE FUNCTION effective_level(level integer, declassify_at timestamptz,
                                declassify_to integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN declassify_at IS NOT NULL AND declassify_to IS NOT NULL
                     AND now() >= declassify_at THEN declassify_to ELSE level END
$$;

-- A customer's level now (0 when never classified): what its tickets, contacts and
-- field jobs inherit.
CREATE FUNCTION level_of(customer uuid) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT effective_level(l.level, l.declassify_at, l.declassify_to)
                     FROM customer_level l WHERE l.customer_id = customer), 0)
$$;

-- Finding 11: text search in the queues matches a substring of the content (ILIKE),
-- from two characters on.  pg_trgm cannot serve two characters (no trigram in them):
-- a rare two-character word walked every ticket.  Every pair of adjacent characters
-- (lower-cased) of the content goes into a GIN index; a query's pairs must all be
-- there, then ILIKE checks the few rows found.  It serves Chinese words of two
-- characters, serials' fragments and Latin text alike, and replaces the trigram index.
CREATE FUNCTION text_bigrams(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(body), i, 2)), '{}')
    FROM generate_series(1, char_length(body) - 1) AS i
$$;
CREATE INDEX ticket_content_bigrams ON ticket USING gin (text_bigrams(content));
DROP INDEX ticket_content_trgm;

-- C6: a ticket moved onto a destroyed customer (a late merge) loses subject, form
-- values and contact as well as its content, as the anonymising handler does.
CREATE OR REPLACE FUNCTION ticket_guard_destroyed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(NEW.customer_id::text, 6));
    IF EXISTS (SELECT 1 FROM destroyed_customer WHERE customer_id = NEW.customer_id) THEN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'customer % was destroyed', NEW.customer_id
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.content := '[已销毁]';
        NEW.subject := CASE WHEN NEW.subject IS NULL THEN NULL ELSE '[已销毁]' END;
        NEW.form := '{}';
        NEW.contact := '{}';
        NEW.anonymised_at := coalesce(NEW.anonymised_at, now());
    END IF;
    RETURN NEW;
END
$$;

-- What destructions before this version left behind: the whole record of their
-- tickets, and the addresses and notes of the events about them in the outbox (finding
-- 11; from now on the customer_destroyed handler does both).
UPDATE ticket SET subject = CASE WHEN subject IS NULL THEN NULL ELSE '[已销毁]' END,
                  form = '{}', contact = '{}'
WHERE anonymised_at IS NOT NULL AND (subject IS NOT NULL OR form <> '{}' OR contact <> '{}');

UPDATE outbox o SET envelope = jsonb_set(o.envelope, '{data}', (o.envelope -> 'data')
    || jsonb_strip_nulls(jsonb_build_object(
        'address', CASE WHEN coalesce(o.envelope -> 'data' ->> 'address', '') <> ''
                        THEN '[已销毁]' END,
        'note', CASE WHEN coalesce(o.envelope -> 'data' ->> 'note', '') <> ''
                     THEN '[已销毁]' END)))
WHERE EXISTS (SELECT 1 FROM ticket t JOIN destroyed_customer d ON d.customer_id = t.customer_id
              WHERE t.id::text = o.envelope -> 'data' ->> 'ticket_id');
