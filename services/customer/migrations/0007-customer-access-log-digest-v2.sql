-- depends: 0006-customer-second-wall
-- The borrowing log's digest, version 2 (issue 9, finding 11a).
--
-- Version 1 joined the columns with U+001F and `fields` with commas: ['a,b'] hashed
-- like ['a', 'b'], and a U+001F inside a text could move a value from one column to
-- the next.  Version 2 hashes an unambiguous encoding: a prefix naming the version,
-- then each value length-prefixed (`<bytes>:<utf-8>`), null as `~`, `fields` as
-- `[<count>:` followed by its elements.  services/customer/domain/access_log.py
-- computes the same bytes; the verifier uses that, never this function, so an owner
-- who redefines it is caught (finding 11b).
--
-- Rows already written keep version 1 and still verify as they were written: rehashing
-- them would rewrite every hash of the chain and launder any tampering done before this
-- migration.  A version column says which digest a row has; new rows get 2, and the
-- verifier refuses a version going back along the chain.

ALTER TABLE access_log ADD COLUMN digest_version smallint NOT NULL DEFAULT 1
    CHECK (digest_version IN (1, 2));
ALTER TABLE access_log ALTER COLUMN digest_version SET DEFAULT 2;

CREATE FUNCTION access_log_part(v text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '\x7e'::bytea
                ELSE convert_to(octet_length(convert_to(v, 'UTF8'))::text || ':', 'UTF8')
                     || convert_to(v, 'UTF8') END
$$;

-- (PL/pgSQL: its plans are kept for the session; a SQL function taking the row was
-- planned again at each call, a quarter of a millisecond a row.)
CREATE OR REPLACE FUNCTION access_log_digest(l access_log) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    data bytea;
    f text;
BEGIN
    IF l.digest_version = 1 THEN
        RETURN encode(sha256(convert_to(concat_ws(E'\x1f',
            l.seq::text, l.prev_hash,
            to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
            l.actor_id, l.actor_name, coalesce(l.customer_id::text, '-'), l.action,
            coalesce(l.level::text, '-'), array_to_string(l.fields, ','), l.reason,
            l.detail::text), 'UTF8')), 'hex');
    END IF;
    data := convert_to('kefu-access-log/2' || chr(10), 'UTF8')
        || access_log_part(l.seq::text) || access_log_part(l.prev_hash)
        || access_log_part(to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))
        || access_log_part(l.actor_id) || access_log_part(l.actor_name)
        || access_log_part(l.customer_id::text) || access_log_part(l.action)
        || access_log_part(l.level::text)
        || convert_to('[' || coalesce(array_length(l.fields, 1), 0)::text || ':', 'UTF8');
    FOREACH f IN ARRAY coalesce(l.fields, '{}') LOOP
        data := data || access_log_part(f);
    END LOOP;
    RETURN encode(sha256(data || access_log_part(l.reason) || access_log_part(l.detail::text)),
                  'hex');
END
$$;

-- Each row chains to the last row written beyond the head (rows this transaction
-- appended: it holds the head's lock) or else to the head; the head moves once per
-- statement, not once per row.  Moving it per row made a statement appending n rows
-- cost O(n²) (each lock of the head walked the versions its earlier updates left): an
-- export logging 100,000 customers took minutes.  A deleted tail is still caught: the
-- head keeps naming the last row it saw, and the next row chains to it.
CREATE OR REPLACE FUNCTION access_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head access_log_head%ROWTYPE;
    top bigint;
    last record;
BEGIN
    SELECT * INTO head FROM access_log_head WHERE one FOR UPDATE;
    SELECT max(seq) INTO top FROM access_log;
    IF top > head.seq THEN  -- rows appended beyond the head: by this transaction
        SELECT l.seq, l.hash INTO last FROM access_log l WHERE l.seq = top;
    ELSE
        last := head;
    END IF;
    NEW.seq := last.seq + 1;
    NEW.at := now();
    NEW.prev_hash := last.hash;
    NEW.digest_version := 2;
    NEW.hash := '';
    NEW.hash := access_log_digest(NEW);
    RETURN NEW;
END
$$;

CREATE FUNCTION access_log_move_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE access_log_head h SET seq = l.seq, hash = l.hash
      FROM access_log l
     WHERE h.one AND l.seq = (SELECT max(seq) FROM access_log) AND l.seq > h.seq;
    RETURN NULL;
END
$$;
CREATE TRIGGER access_log_move_head AFTER INSERT ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_move_head();
