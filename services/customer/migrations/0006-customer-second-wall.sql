-- depends: 0005-customer-destruction
-- The second wall made real (issue 9, finding 9c).
--
-- Until now `kefu.system = on`, a variable any session may set, opened every archive:
-- the runtime role could read what it liked by setting it.  Now no variable opens
-- anything.  The only "system" is the owner role: migrations, the operator's verify
-- command, and the SECURITY DEFINER functions below, which run as the owner and each
-- do one checked job (erasing an approved destruction, rebuilding the search keys).
-- The runtime role is not a member of the owner role, and nothing it can set makes
-- `kefu_is_owner()` true: current_user is fixed by the login and by those functions.
--
-- What the runtime role's transactions are told (services/customer/domain/access.py
-- session_settings) still decides the rest — principal, clearance, classified, roles —
-- so the wall stops a query the Python rules forgot, not someone holding the runtime
-- role's password (who could also bind any principal): making that real needs the
-- database to verify the caller's signed token, which is future work.
--
-- And every customer table with personal data gets policies of its own: the change
-- history's archive fields need the archive, borrowing requests show to their
-- requester and the log's readers, imports (and their row errors) to importers, the
-- borrowing log to its readers and each row to its actor.  Writes must be made in the
-- bound principal's name.  The search keys (customer_search, customer_phone_search:
-- names, pinyin and phones, card data) stay without policies, on purpose: a policy
-- stops LIKE and trigram conditions from using an index (they are not leakproof), and
-- those tables exist to be searched by index (migration 0003).

-- `current_user = '<the tables' owner>'`, the name written in when this runs: a plain
-- comparison the planner inlines into every policy (a lookup of the owner on each row
-- would cost a function call per row of every scan).
DO $$
BEGIN
    EXECUTE format('CREATE FUNCTION kefu_is_owner() RETURNS boolean LANGUAGE sql STABLE AS %L',
                   format('SELECT current_user = %L::name',
                          (SELECT pg_get_userbyid(relowner) FROM pg_class
                            WHERE oid = 'public.customer'::regclass)));
END
$$;

CREATE FUNCTION kefu_principal() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('kefu.principal', true), '')
$$;

-- The bound principal has one of these roles (kefu.roles: comma separated).
CREATE FUNCTION kefu_has_role(VARIADIC wanted text[]) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT kefu_principal_set()
       AND string_to_array(coalesce(current_setting('kefu.roles', true), ''), ',') && wanted
$$;

-- The archive rule, without the system switch (the owner sees every archive).
CREATE OR REPLACE FUNCTION archive_visible(cid uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT kefu_is_owner() OR coalesce((
        SELECT CASE
            WHEN NOT kefu_principal_set() THEN false
            WHEN e.lvl = 0 THEN true
            WHEN coalesce(current_setting('kefu.classified', true), '') <> 'on' THEN false
            WHEN e.lvl > coalesce(nullif(current_setting('kefu.clearance', true), '')::bigint, -1)
                THEN false
            WHEN e.lvl < 3 THEN true
            ELSE EXISTS (
                SELECT 1 FROM access_request g
                WHERE g.customer_id = cid AND g.status = 'approved' AND g.expires_at > now()
                  AND g.requester_id = kefu_principal())
        END
        FROM (SELECT effective_level(c.level, c.declassify_at, c.declassify_to) AS lvl
              FROM customer c WHERE c.id = cid) e), false)
$$;

-- Fields whose history belongs to the card (domain/records.py CARD_HISTORY_FIELDS).
CREATE FUNCTION card_history_field(f text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT f = ANY ('{name,phones,region,tags,lifecycle,grade,credit_class,level,declassify_at,'
                    'declassify_to,owner_id,owner_group,assets,reviewed,merged_from,merged_into}'
                    ::text[])
$$;

-- The owner may do anything to every table (RLS is forced on it too).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customer', 'customer_phone', 'customer_email', 'customer_asset',
                             'customer_archive', 'customer_history', 'access_request',
                             'access_log', 'customer_import', 'destruction_request',
                             'destruction_approval'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (kefu_is_owner())'
                       ' WITH CHECK (kefu_is_owner())', t || '_owner', t);
    END LOOP;
END
$$;

-- Change history: card fields to anyone bound, archive fields with the archive;
-- added in the bound principal's name; changed (erased) by the owner only.
CREATE POLICY customer_history_read ON customer_history FOR SELECT
    USING (kefu_principal_set() AND (card_history_field(field) OR archive_visible(customer_id)));
CREATE POLICY customer_history_add ON customer_history FOR INSERT
    WITH CHECK (kefu_principal_set() AND actor_id = kefu_principal());

-- Borrowing requests: the requester's own, and every one for the log's readers
-- (contract LOG_READERS: managers and auditors).  Asked pending in one's own name;
-- decided by a manager who is not the requester.
CREATE POLICY access_request_read ON access_request FOR SELECT
    USING (requester_id = kefu_principal() AND kefu_principal_set()
           OR kefu_has_role('manager', 'general_manager', 'auditor'));
CREATE POLICY access_request_ask ON access_request FOR INSERT
    WITH CHECK (kefu_principal_set() AND requester_id = kefu_principal()
                AND status = 'pending' AND decided_by IS NULL AND expires_at IS NULL);
CREATE POLICY access_request_decide ON access_request FOR UPDATE
    USING (kefu_has_role('manager', 'general_manager'))
    WITH CHECK (decided_by = kefu_principal() AND decided_by <> requester_id);

-- Imports, with their row errors (values of the file): importers (contract IMPORTERS)
-- and whoever made one; made in one's own name.
CREATE POLICY customer_import_read ON customer_import FOR SELECT
    USING (actor_id = kefu_principal() AND kefu_principal_set()
           OR kefu_has_role('supervisor', 'manager', 'general_manager', 'admin'));
CREATE POLICY customer_import_add ON customer_import FOR INSERT
    WITH CHECK (kefu_principal_set() AND actor_id = kefu_principal());

-- The borrowing log: its readers (LOG_READERS) and each row's actor; appended in
-- one's own name (the runtime role may not update or delete it: 0002).
CREATE POLICY access_log_read ON access_log FOR SELECT
    USING (actor_id = kefu_principal() AND kefu_principal_set()
           OR kefu_has_role('manager', 'general_manager', 'auditor'));
CREATE POLICY access_log_append ON access_log FOR INSERT
    WITH CHECK (kefu_principal_set() AND actor_id = kefu_principal());

-- The erase of an approved destruction (C6): the only way to change archives the
-- approvers cannot read (a general manager without a borrowing grant erases a
-- top-secret archive).  It runs as the owner, and only for a request that carries its
-- third approval (the approvals are insert-only records).  Returns the rows each
-- table lost or had cleared.
CREATE FUNCTION customer_erase(request uuid, tombstone text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    root uuid;
    ids uuid[];
    counts jsonb := '{}';
    n bigint;
BEGIN
    SELECT r.customer_id INTO root FROM destruction_request r
     WHERE r.id = request AND EXISTS (
           SELECT 1 FROM destruction_approval a
            WHERE a.request_id = r.id AND a.step = 3 AND a.decision = 'approve');
    IF root IS NULL THEN
        RAISE EXCEPTION 'customer_erase: request % has no third approval', request;
    END IF;
    -- the customer and every record merged into it, directly or through others
    WITH RECURSIVE merged(id) AS (
        SELECT root UNION SELECT c.id FROM customer c JOIN merged m ON c.merged_into = m.id)
    SELECT array_agg(id) INTO ids FROM merged;
    DELETE FROM customer_phone WHERE customer_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('customer_phone', n);
    DELETE FROM customer_email WHERE customer_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('customer_email', n);
    DELETE FROM customer_asset WHERE customer_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('customer_asset', n);
    DELETE FROM customer_archive WHERE customer_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('customer_archive', n);
    UPDATE customer_history SET old = NULL, new = NULL
     WHERE customer_id = ANY (ids) AND (old IS NOT NULL OR new IS NOT NULL);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('customer_history', n);
    UPDATE customer SET name = tombstone, name_pinyin = '', name_initials = '', region = '',
           tags = '{}', credit_class = NULL, level = 0, declassify_at = NULL,
           declassify_to = NULL, last_contact_at = NULL, reviewed_at = NULL,
           destroyed_at = coalesce(destroyed_at, now()), updated_at = now(),
           version = version + 1
     WHERE id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN counts || jsonb_build_object('customer', n);
END
$$;

-- The search keys from scratch: as the owner (it sees every card, may truncate), for
-- whoever asks — it is idempotent, and it shows nobody anything.
CREATE OR REPLACE FUNCTION customer_search_rebuild() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
    DELETE FROM customer_search_dirty;  -- not TRUNCATE: it may run from its own trigger
    TRUNCATE customer_search, customer_phone_search;
    INSERT INTO customer_search (customer_id, created_at, number, name, name_pinyin,
                                 name_initials, name_core)
    SELECT id, created_at, upper(number), name, name_pinyin, name_initials,
           customer_name_core(name)
      FROM customer WHERE destroyed_at IS NULL AND merged_into IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO customer_phone_search (customer_id, e164, ext)
    SELECT customer_id, e164, ext FROM customer_phone ON CONFLICT DO NOTHING;
    RETURN n;
END
$$;

-- The rebuild a reload queued, at its commit: the function sees every row itself.
CREATE OR REPLACE FUNCTION customer_search_reload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM customer_search_rebuild();
    RETURN NULL;
END
$$;
