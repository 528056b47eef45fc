"""SQL of import and export (C7).

An import is set-based from end to end: the parsed rows are COPYed into temporary
staging tables of the importing transaction, matched to customers (by number,
else by phone), checked, diffed against the archive, and applied with a handful
of INSERT ... SELECT / UPDATE ... FROM statements; history rows and outbox
events are written the same way.  Nothing is done row by row.
"""
import csv
import datetime
import io
import json
import uuid
from collections.abc import Iterator

import eventlet
from psycopg2 import extensions
from psycopg2.extras import Json, RealDictCursor

IMPORT_LOCK = 7_270_001  # pg_advisory_xact_lock key: one real import at a time
COPY_CHUNK_ROWS = 20_000

_STAGING = (
    "CREATE TEMP TABLE import_row (row_no integer PRIMARY KEY, number text, name text,"
    " name_pinyin text, name_initials text, kind text, region text, tags text[],"
    " credit_class text, lifecycle text, grade text, notes text, profile jsonb,"
    " addresses jsonb, customer_id uuid, is_new boolean NOT NULL DEFAULT false)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE import_phone (row_no integer NOT NULL, e164 text NOT NULL,"
    " ext text NOT NULL, position integer NOT NULL) ON COMMIT DROP",
    "CREATE TEMP TABLE import_email (row_no integer NOT NULL, email text NOT NULL,"
    " position integer NOT NULL) ON COMMIT DROP",
    # A customer's products: each from its own line (asset_row), row_no the customer's.
    "CREATE TEMP TABLE import_asset (asset_row integer PRIMARY KEY, row_no integer NOT NULL,"
    " kind text NOT NULL,"
    " product text NOT NULL, model text, serial text, plate text, purchased_on date,"
    " warranty_end date, asset_id uuid) ON COMMIT DROP",
    "CREATE TEMP TABLE import_error (row_no integer NOT NULL, field text NOT NULL,"
    " reason text NOT NULL) ON COMMIT DROP",
    "CREATE TEMP TABLE import_change (customer_id uuid NOT NULL, row_no integer NOT NULL,"
    " field text NOT NULL, old jsonb, new jsonb) ON COMMIT DROP",
)
ROW_COLUMNS = ("row_no", "number", "name", "name_pinyin", "name_initials", "kind", "region",
               "tags", "credit_class", "lifecycle", "grade", "notes", "profile", "addresses")
PHONE_COLUMNS = ("row_no", "e164", "ext", "position")
EMAIL_COLUMNS = ("row_no", "email", "position")
ASSET_COLUMNS = ("asset_row", "row_no", "kind", "product", "model", "serial", "plate", "purchased_on",
                 "warranty_end")


# ---- COPY ------------------------------------------------------------------------

# COPY ... (FORMAT csv): the csv module writes at C speed.  None is written as an
# unquoted empty field, which COPY reads as NULL; the domain never hands over an
# empty string for a value (an empty cell is None, "not in the file"), except a
# phone's extension, which FORCE_NOT_NULL keeps as ''.


def _array(values: list[str]) -> str:
    """A text[] literal."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in values) + "}"


def _json(value) -> str | None:
    """A jsonb value for COPY, None (NULL) when empty: "not in the file"."""
    return json.dumps(value, ensure_ascii=False, default=str) if value else None


def copy_chunks(rows) -> list[str]:
    """CSV text of the rows (tuples), in chunks of COPY_CHUNK_ROWS lines."""
    chunks: list[str] = []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for start in range(0, len(rows), COPY_CHUNK_ROWS):
        writer.writerows(rows[start:start + COPY_CHUNK_ROWS])
        chunks.append(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    return chunks


def staging_text(records, pinyin_of) -> dict[str, list[str]]:
    """The COPY text of every staging table for these domain Records, their names'
    search keys made by `pinyin_of` (the domain's, handed in by the caller).  CPU only:
    the caller may run it in a thread."""
    rows: list[tuple] = []
    phones: list[tuple] = []
    emails: list[tuple] = []
    assets: list[tuple] = []
    for r in records:
        name = r.name
        pinyin, initials = pinyin_of(name) if name is not None else (None, None)
        rows.append((r.row, r.number, name, pinyin, initials, r.kind, r.region,
                     None if r.tags is None else _array(r.tags), r.credit_class, r.lifecycle,
                     r.grade, r.notes, _json(r.profile), _json(r.addresses)))
        if r.phones:
            phones.extend((r.row, e164, ext, i) for i, (e164, ext) in enumerate(r.phones))
        if r.emails:
            emails.extend((r.row, email, i) for i, email in enumerate(r.emails))
        assets.extend((a["row"], r.row, a["kind"], a["product"], a["model"], a["serial"],
                       a["plate"], a["purchased_on"], a["warranty_end"]) for a in r.assets)
    return {"import_row": copy_chunks(rows), "import_phone": copy_chunks(phones),
            "import_email": copy_chunks(emails), "import_asset": copy_chunks(assets)}


_COPY_SQL = {
    "import_row": "COPY import_row (" + ", ".join(ROW_COLUMNS) + ") FROM STDIN WITH (FORMAT csv)",
    "import_phone": "COPY import_phone (" + ", ".join(PHONE_COLUMNS) + ") FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (ext))",
    "import_email": "COPY import_email (" + ", ".join(EMAIL_COLUMNS) + ") FROM STDIN WITH (FORMAT csv)",
    "import_asset": "COPY import_asset (" + ", ".join(ASSET_COLUMNS) + ") FROM STDIN WITH (FORMAT csv)",
}


def copy_in(cur, table: str, chunks: list[str], sql: str | None = None) -> None:
    """COPY the chunks into a staging table.  psycopg2 refuses COPY in green mode, so
    each chunk runs with the wait callback lifted (this greenthread blocks the hub
    for one chunk, a few milliseconds) and the hub gets a turn between chunks."""
    for chunk in chunks:
        callback = extensions.get_wait_callback()
        extensions.set_wait_callback(None)
        try:
            cur.copy_expert(sql or _COPY_SQL[table], io.StringIO(chunk))
        finally:
            extensions.set_wait_callback(callback)
        eventlet.sleep(0)


# ---- the import ------------------------------------------------------------------

def stage(cur, texts: dict[str, list[str]], real: bool) -> None:
    """Staging tables of this transaction, loaded with COPY."""
    cur.execute("SET LOCAL statement_timeout = '300s'")
    # The staged rows are few next to the archive and the archive is in memory: let
    # the planner probe indexes rather than hash whole tables (a transaction-local hint).
    cur.execute("SET LOCAL random_page_cost = 1.1")
    if real:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK,))
    for sql in _STAGING:
        cur.execute(sql)
    for table, chunks in texts.items():
        copy_in(cur, table, chunks)
    cur.execute("CREATE INDEX ON import_phone (row_no)")
    cur.execute("CREATE INDEX ON import_phone (e164)")
    cur.execute("CREATE INDEX ON import_email (row_no)")
    cur.execute("CREATE INDEX ON import_asset (row_no)")
    _analyze(cur)


def _analyze(cur) -> None:
    """Temporary tables get no autovacuum statistics; without them the planner guesses
    one row and nests loops over thousands."""
    for table in ("import_row", "import_phone", "import_email", "import_asset"):
        cur.execute("ANALYZE " + table)  # noqa: S608 — fixed names


def match_and_check(cur, principal, may_change_classified: bool, all_groups: bool) -> int:
    """Match rows to customers (number, else phone) and record what makes a row bad.
    Returns how many good rows matched a customer."""
    cur.execute("SELECT count(number) AS numbers FROM import_row")
    if cur.fetchone()["numbers"]:
        cur.execute(
            "UPDATE import_row r SET customer_id = c.id FROM customer c"
            " WHERE r.number IS NOT NULL AND c.number = r.number AND c.destroyed_at IS NULL"
            "   AND c.merged_into IS NULL")
    cur.execute(
        "CREATE TEMP TABLE import_hit ON COMMIT DROP AS"
        " SELECT p.row_no, array_agg(DISTINCT c.id) AS ids,"
        "        array_agg(DISTINCT c.number ORDER BY c.number) AS numbers"
        " FROM import_phone p"
        " JOIN import_row r ON r.row_no = p.row_no AND r.customer_id IS NULL"
        " JOIN customer_phone cp ON cp.e164 = p.e164"
        " JOIN customer c ON c.id = cp.customer_id AND c.destroyed_at IS NULL"
        "   AND c.merged_into IS NULL"
        " GROUP BY p.row_no")
    cur.execute(
        "UPDATE import_row r SET customer_id = h.ids[1] FROM import_hit h"
        " WHERE h.row_no = r.row_no AND cardinality(h.ids) = 1")
    cur.execute("ANALYZE import_row")  # now that customer_id is known
    cur.execute("SELECT count(customer_id) AS n FROM import_row")
    matched = cur.fetchone()["n"]
    cur.execute(
        "INSERT INTO import_error (row_no, field, reason)"
        " SELECT row_no, 'phones', 'belongs to ' || cardinality(ids) || ' customers ('"
        "        || array_to_string(numbers[1:5], ', ') || '): give the customer number'"
        " FROM import_hit WHERE cardinality(ids) > 1")
    cur.execute(
        "INSERT INTO import_error (row_no, field, reason)"
        " SELECT row_no, 'number', 'no customer has this number (numbers KH… are given by"
        " the system)' FROM import_row"
        " WHERE customer_id IS NULL AND number ~ '^KH[0-9]{8,}$'"
        "   AND row_no NOT IN (SELECT row_no FROM import_hit WHERE cardinality(ids) > 1)")
    cur.execute(
        "INSERT INTO import_error (row_no, field, reason)"
        " SELECT row_no, 'name', 'required for a new customer' FROM import_row"
        " WHERE customer_id IS NULL AND name IS NULL"
        "   AND row_no NOT IN (SELECT row_no FROM import_error)")
    if matched:
        _check_matched(cur, principal, may_change_classified, all_groups)
    cur.execute("SELECT EXISTS (SELECT 1 FROM import_error) AS bad")
    if cur.fetchone()["bad"]:
        for table in ("import_row", "import_phone", "import_email", "import_asset"):
            cur.execute("DELETE FROM " + table  # noqa: S608 — fixed names
                        + " WHERE row_no IN (SELECT row_no FROM import_error)")
        _analyze(cur)
        cur.execute("SELECT count(customer_id) AS n FROM import_row")
        matched = cur.fetchone()["n"]
    return matched


def _check_matched(cur, principal, may_change_classified: bool, all_groups: bool) -> None:
    cur.execute(
        "INSERT INTO import_error (row_no, field, reason)"
        " SELECT row_no, 'customer', 'the same customer as row ' || first"
        " FROM (SELECT row_no, min(row_no) OVER (PARTITION BY customer_id) AS first"
        "       FROM import_row WHERE customer_id IS NOT NULL) d WHERE row_no <> first")
    # One pass over the matched customers: the object scope of a change (as
    # domain.records.check_writable decides it), archives row-level security hides
    # (only classified ones can be hidden), and the kind, which an import keeps.
    cur.execute(
        "INSERT INTO import_error (row_no, field, reason)"
        " SELECT r.row_no, v.field, v.reason"
        " FROM import_row r JOIN customer c ON c.id = r.customer_id AND r.customer_id IS NOT NULL"
        " CROSS JOIN LATERAL (SELECT effective_level(c.level, c.declassify_at,"
        "                     c.declassify_to) AS lvl) e"
        " CROSS JOIN LATERAL (VALUES"
        "   ('customer', CASE"
        "     WHEN NOT %(system)s AND e.lvl > %(clearance)s THEN 'above your clearance'"
        "     WHEN NOT %(system)s AND e.lvl >= 1 AND NOT %(classified)s"
        "       THEN 'a classified record: only managers and above change it'"
        "     WHEN NOT %(system)s AND NOT %(all_groups)s AND c.owner_group IS NOT NULL"
        "          AND NOT c.owner_group = ANY(%(groups)s::text[])"
        "       THEN 'owned by another group: outside your write scope'"
        "     WHEN e.lvl >= 1 AND NOT EXISTS (SELECT 1 FROM customer_archive a"
        "                                     WHERE a.customer_id = c.id)"
        "       THEN 'the archive of this record is not open to you' END),"
        "   ('kind', CASE WHEN r.kind IS NOT NULL AND r.kind <> c.kind"
        "     THEN 'the customer is ' || c.kind || '; an import does not change the kind' END),"
        "   ('kind', CASE WHEN r.profile IS NOT NULL AND c.kind <> 'person'"
        "     THEN 'the customer is an organization: gender, birth date, occupation,"
        " education and marital status are for persons' END)"
        " ) v(field, reason)"
        " WHERE v.reason IS NOT NULL",
        {"clearance": principal.clearance, "classified": may_change_classified,
         "system": principal.is_system, "all_groups": all_groups,
         "groups": sorted(principal.groups)})


_NEW_TAGS = ("ARRAY(SELECT t FROM unnest(r.tags) WITH ORDINALITY u(t, i)"
             " WHERE NOT t = ANY(c.tags) ORDER BY i)")
_ASSET_JSON = ("jsonb_build_object('kind', {a}.kind, 'product', {a}.product, 'model', {a}.model,"
               " 'serial', {a}.serial, 'plate', {a}.plate, 'purchased_on', {a}.purchased_on,"
               " 'warranty_end', {a}.warranty_end)")
_ASSET_NEXT = (
    " CROSS JOIN LATERAL (SELECT ca.kind, ia.product, coalesce(ia.model, ca.model) AS model,"
    "     coalesce(ia.serial, ca.serial) AS serial, coalesce(ia.plate, ca.plate) AS plate,"
    "     coalesce(ia.purchased_on, ca.purchased_on) AS purchased_on,"
    "     coalesce(ia.warranty_end, ca.warranty_end) AS warranty_end) n"
    " WHERE (n.product, n.model, n.serial, n.plate, n.purchased_on, n.warranty_end)"
    "   IS DISTINCT FROM (ca.product, ca.model, ca.serial, ca.plate, ca.purchased_on,"
    "                     ca.warranty_end)")


def diff(cur) -> None:
    """import_change: one row per field an import row would change on its customer
    (the same shapes the record history uses for a hand-made change)."""
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"  # noqa: S608 — constant text
        " SELECT r.customer_id, r.row_no, v.field, v.old, v.new"
        " FROM import_row r JOIN customer c ON c.id = r.customer_id AND r.customer_id IS NOT NULL"
        " CROSS JOIN LATERAL (VALUES"
        "   ('name', to_jsonb(c.name), to_jsonb(r.name)),"
        "   ('region', to_jsonb(c.region), to_jsonb(r.region)),"
        "   ('grade', to_jsonb(c.grade), to_jsonb(r.grade)),"
        "   ('lifecycle', to_jsonb(c.lifecycle), to_jsonb(r.lifecycle)),"
        "   ('credit_class', to_jsonb(c.credit_class), to_jsonb(r.credit_class)),"
        "   ('tags', to_jsonb(c.tags), CASE WHEN NOT r.tags <@ c.tags"
        "            THEN to_jsonb(c.tags || " + _NEW_TAGS + ") END)"
        " ) v(field, old, new)"
        # Compare the plain columns first: the JSON is built only for rows that differ.
        " WHERE ((r.name IS NOT NULL AND r.name <> c.name)"
        "     OR (r.region IS NOT NULL AND r.region <> c.region)"
        "     OR (r.grade IS NOT NULL AND r.grade <> c.grade)"
        "     OR (r.lifecycle IS NOT NULL AND r.lifecycle <> c.lifecycle)"
        "     OR (r.credit_class IS NOT NULL AND r.credit_class IS DISTINCT FROM c.credit_class)"
        "     OR NOT r.tags <@ c.tags)"
        "   AND v.new IS NOT NULL AND v.new IS DISTINCT FROM v.old")
    # Phones and emails: first the ones a customer lacks, then the lists of those customers.
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"
        " SELECT n.customer_id, n.row_no, 'phones', coalesce(o.list, '[]'),"
        "        coalesce(o.list, '[]') || n.list"
        " FROM (SELECT r.customer_id, r.row_no, jsonb_agg(jsonb_build_object('e164', p.e164,"
        "         'ext', nullif(p.ext, '')) ORDER BY p.position) AS list"
        "       FROM import_phone p JOIN import_row r ON r.row_no = p.row_no"
        "       WHERE r.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_phone cp"
        "         WHERE cp.customer_id = r.customer_id AND cp.e164 = p.e164 AND cp.ext = p.ext)"
        "       GROUP BY r.customer_id, r.row_no) n"
        " CROSS JOIN LATERAL (SELECT jsonb_agg(jsonb_build_object('e164', cp.e164,"
        "     'ext', nullif(cp.ext, '')) ORDER BY cp.position) AS list"
        "     FROM customer_phone cp WHERE cp.customer_id = n.customer_id) o")
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"
        " SELECT n.customer_id, n.row_no, 'emails', coalesce(o.list, '[]'),"
        "        coalesce(o.list, '[]') || n.list"
        " FROM (SELECT r.customer_id, r.row_no, jsonb_agg(e.email ORDER BY e.position) AS list"
        "       FROM import_email e JOIN import_row r ON r.row_no = e.row_no"
        "       WHERE r.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_email ce"
        "         WHERE ce.customer_id = r.customer_id AND ce.email = e.email)"
        "       GROUP BY r.customer_id, r.row_no) n"
        " CROSS JOIN LATERAL (SELECT jsonb_agg(ce.email ORDER BY ce.position) AS list"
        "     FROM customer_email ce WHERE ce.customer_id = n.customer_id) o")
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"
        " SELECT r.customer_id, r.row_no, 'notes', to_jsonb(a.notes), to_jsonb(r.notes)"
        " FROM import_row r JOIN customer_archive a ON a.customer_id = r.customer_id"
        " WHERE r.customer_id IS NOT NULL AND r.notes IS NOT NULL"
        "   AND a.notes IS DISTINCT FROM r.notes")
    # The person profile (given keys over the archive's) and addresses it lacks (by text).
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"
        " SELECT r.customer_id, r.row_no, 'person', a.profile, a.profile || r.profile"
        " FROM import_row r JOIN customer_archive a ON a.customer_id = r.customer_id"
        " WHERE r.customer_id IS NOT NULL AND r.profile IS NOT NULL"
        "   AND NOT a.profile @> r.profile")
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"
        " SELECT r.customer_id, r.row_no, 'addresses', a.addresses, a.addresses || n.list"
        " FROM import_row r JOIN customer_archive a ON a.customer_id = r.customer_id"
        " CROSS JOIN LATERAL (SELECT jsonb_agg(x ORDER BY i) AS list"
        "   FROM jsonb_array_elements(r.addresses) WITH ORDINALITY e(x, i)"
        "   WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(a.addresses) y(had)"
        "                     WHERE y.had->>'text' = x->>'text')) n"
        " WHERE r.customer_id IS NOT NULL AND r.addresses IS NOT NULL AND n.list IS NOT NULL")
    # Assets: the same serial, else the same plate, else the same product and model.
    cur.execute(
        "UPDATE import_asset ia SET asset_id = m.id"
        " FROM (SELECT DISTINCT ON (x.asset_row) x.asset_row, ca.id"
        "       FROM import_asset x JOIN import_row r ON r.row_no = x.row_no"
        "         AND r.customer_id IS NOT NULL"
        "       JOIN customer_asset ca ON ca.customer_id = r.customer_id"
        "       WHERE CASE WHEN x.serial IS NOT NULL THEN ca.serial = x.serial"
        "                  ELSE ca.plate = x.plate END"
        "       ORDER BY x.asset_row, ca.created_at, ca.id) m"
        " WHERE m.asset_row = ia.asset_row")
    # Without a serial or plate, several products of one model (two 空调 KFR-35) pair
    # one to one: the n-th of the file (by purchase date) with the n-th of the archive
    # not matched above, so a re-import of the same file changes nothing.
    cur.execute(
        "UPDATE import_asset ia SET asset_id = p.id"
        " FROM (SELECT f.asset_row, a.id"
        "   FROM (SELECT x.asset_row, r.customer_id, x.product, coalesce(x.model, '') AS model,"
        "           row_number() OVER (PARTITION BY r.customer_id, x.product,"
        "                                           coalesce(x.model, '')"
        "             ORDER BY x.purchased_on NULLS LAST, x.warranty_end NULLS LAST,"
        "                      x.asset_row) AS rank"
        "         FROM import_asset x JOIN import_row r ON r.row_no = x.row_no"
        "           AND r.customer_id IS NOT NULL"
        "         WHERE x.serial IS NULL AND x.plate IS NULL) f"
        "   JOIN (SELECT ca.id, ca.customer_id, ca.product, ca.model,"
        "           row_number() OVER (PARTITION BY ca.customer_id, ca.product, ca.model"
        "             ORDER BY ca.purchased_on NULLS LAST, ca.warranty_end NULLS LAST,"
        "                      ca.seq) AS rank"
        "         FROM customer_asset ca"
        "         WHERE ca.customer_id IN (SELECT customer_id FROM import_row"
        "                                  WHERE customer_id IS NOT NULL)"
        "           AND NOT EXISTS (SELECT 1 FROM import_asset t WHERE t.asset_id = ca.id)) a"
        "     ON a.customer_id = f.customer_id AND a.product = f.product"
        "    AND a.model = f.model AND a.rank = f.rank) p"
        " WHERE p.asset_row = ia.asset_row")
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"  # noqa: S608 — constant text
        " SELECT r.customer_id, r.row_no, 'assets', NULL,"
        "        " + _ASSET_JSON.format(a="n") + ""
        " FROM (SELECT ia.row_no, ia.kind, ia.product, coalesce(ia.model, '') AS model,"
        "       ia.serial, ia.plate, ia.purchased_on, ia.warranty_end"
        "       FROM import_asset ia WHERE ia.asset_id IS NULL) n"
        " JOIN import_row r ON r.row_no = n.row_no WHERE r.customer_id IS NOT NULL")
    cur.execute(
        "INSERT INTO import_change (customer_id, row_no, field, old, new)"  # noqa: S608 — constant text
        " SELECT r.customer_id, r.row_no, 'assets', " + _ASSET_JSON.format(a="ca") + ","
        "        " + _ASSET_JSON.format(a="n") + ""
        " FROM import_asset ia JOIN import_row r ON r.row_no = ia.row_no"
        " JOIN customer_asset ca ON ca.id = ia.asset_id" + _ASSET_NEXT)
    cur.execute("ANALYZE import_change")


def bad_rows(cur) -> list[dict]:
    cur.execute("SELECT row_no AS row, field, reason FROM import_error ORDER BY row_no, field")
    return cur.fetchall()


def counts(cur) -> tuple[int, int, int]:
    """(created, updated, unchanged) among the rows still staged."""
    cur.execute(
        "SELECT count(*) FILTER (WHERE customer_id IS NULL) AS created,"
        " (SELECT count(DISTINCT customer_id) FROM import_change) AS updated,"
        " count(*) AS total FROM import_row")
    row = cur.fetchone()
    return row["created"], row["updated"], row["total"] - row["created"] - row["updated"]


def apply(cur, principal, owner_group: str | None, created: int, updated: int) -> int:
    """Write the staged rows: new customers, changed cards, phones, emails, archives,
    assets, history (action 'import') and outbox events.  Returns the events written."""
    if created:
        _create(cur, principal, owner_group)
    if updated:
        _update(cur)
    cur.execute(
        "INSERT INTO customer_history (customer_id, actor_id, actor_name, action, field, old, new)"
        " SELECT customer_id, %(actor)s, %(name)s, 'import', field, old, new FROM ("
        "   SELECT customer_id, row_no, field, old, new FROM import_change"
        "   UNION ALL"
        "   SELECT customer_id, row_no, 'name', NULL, to_jsonb(name) FROM import_row WHERE is_new"
        " ) h ORDER BY row_no, field",
        {"actor": principal.id, "name": principal.username})
    occurred = datetime.datetime.now(datetime.UTC).isoformat()
    cur.execute(
        "INSERT INTO outbox (event_id, event_type, envelope)"
        " SELECT e.id, e.type, jsonb_build_object('event_id', e.id, 'type', e.type,"
        "   'occurred_at', %(at)s, 'schema_version', 1, 'actor', %(actor)s, 'data', e.data)"
        " FROM ("
        "   SELECT gen_random_uuid() AS id, 'customer_created' AS type, row_no,"
        "     jsonb_build_object('customer_id', customer_id::text, 'number', number,"
        "                        'kind', coalesce(kind, 'person')) AS data"
        "   FROM import_row WHERE is_new"
        "   UNION ALL"
        "   SELECT gen_random_uuid(), 'customer_updated', min(row_no),"
        "     jsonb_build_object('customer_id', customer_id::text,"
        "                        'fields', jsonb_agg(DISTINCT field))"
        "   FROM import_change GROUP BY customer_id"
        " ) e ORDER BY e.row_no",
        {"at": occurred, "actor": principal.id})
    return cur.rowcount


# The staged assets of rows (which rows: the WHERE the caller appends) as new assets.
_INSERT_ASSETS = (
    "INSERT INTO customer_asset (customer_id, kind, product, model, serial, plate,"
    " purchased_on, warranty_end)"
    " SELECT r.customer_id, ia.kind, ia.product, coalesce(ia.model, ''), ia.serial, ia.plate,"
    "   ia.purchased_on, ia.warranty_end"
    " FROM import_asset ia JOIN import_row r ON r.row_no = ia.row_no")


def _create(cur, principal, owner_group: str | None) -> None:
    """New customers, numbered KH… in file order unless the file gave a number."""
    cur.execute(
        "UPDATE import_row r SET customer_id = gen_random_uuid(), is_new = true,"
        "   number = coalesce(r.number, n.number)"
        " FROM (SELECT row_no, 'KH' || lpad(s::text, greatest(8, length(s::text)), '0') AS number"
        "       FROM (SELECT row_no, CASE WHEN number IS NULL"
        "                  THEN nextval('customer_number_seq') END AS s"
        "             FROM (SELECT row_no, number FROM import_row WHERE customer_id IS NULL"
        "                   ORDER BY row_no) o) q) n"
        " WHERE n.row_no = r.row_no")
    cur.execute(
        "INSERT INTO customer (id, number, kind, name, name_pinyin, name_initials, region, tags,"
        " grade, lifecycle, credit_class, owner_id, owner_group, created_by)"
        " SELECT customer_id, number, coalesce(kind, 'person'), name, name_pinyin, name_initials,"
        "   coalesce(region, ''), coalesce(tags, '{}'), coalesce(grade, 'normal'),"
        "   coalesce(lifecycle, 'normal'), credit_class, %(actor)s, %(group)s, %(actor)s"
        " FROM import_row WHERE is_new ORDER BY row_no",
        {"actor": principal.id, "group": owner_group})
    cur.execute(
        "INSERT INTO customer_archive (customer_id, notes, profile, addresses)"
        " SELECT customer_id, coalesce(notes, ''), coalesce(profile, '{}'),"
        "   coalesce(addresses, '[]') FROM import_row WHERE is_new")
    cur.execute(
        "INSERT INTO customer_phone (customer_id, e164, ext, position)"
        " SELECT r.customer_id, p.e164, p.ext, p.position"
        " FROM import_phone p JOIN import_row r ON r.row_no = p.row_no WHERE r.is_new")
    cur.execute(
        "INSERT INTO customer_email (customer_id, email, position)"
        " SELECT r.customer_id, e.email, e.position"
        " FROM import_email e JOIN import_row r ON r.row_no = e.row_no WHERE r.is_new")
    cur.execute(_INSERT_ASSETS + " WHERE r.is_new ORDER BY ia.asset_row")


def _update(cur) -> None:
    """Changed customers only (those in import_change), nothing else is touched."""
    cur.execute(
        "UPDATE customer c SET name = coalesce(r.name, c.name),"  # noqa: S608 — constant text
        "   name_pinyin = CASE WHEN r.name IS NOT NULL AND r.name <> c.name"
        "                      THEN r.name_pinyin ELSE c.name_pinyin END,"
        "   name_initials = CASE WHEN r.name IS NOT NULL AND r.name <> c.name"
        "                        THEN r.name_initials ELSE c.name_initials END,"
        "   region = coalesce(r.region, c.region), grade = coalesce(r.grade, c.grade),"
        "   lifecycle = coalesce(r.lifecycle, c.lifecycle),"
        "   credit_class = coalesce(r.credit_class, c.credit_class),"
        "   tags = CASE WHEN r.tags IS NULL THEN c.tags ELSE c.tags || " + _NEW_TAGS + " END,"
        "   version = c.version + 1, updated_at = now()"
        " FROM import_row r"
        " WHERE c.id = r.customer_id AND NOT r.is_new"
        "   AND r.row_no IN (SELECT row_no FROM import_change)")
    cur.execute(
        "UPDATE customer_archive a SET notes = x.new #>> '{}' FROM import_change x"
        " WHERE x.field = 'notes' AND a.customer_id = x.customer_id")
    cur.execute(
        "UPDATE customer_archive a SET profile = x.new FROM import_change x"
        " WHERE x.field = 'person' AND a.customer_id = x.customer_id")
    cur.execute(
        "UPDATE customer_archive a SET addresses = x.new FROM import_change x"
        " WHERE x.field = 'addresses' AND a.customer_id = x.customer_id")
    cur.execute(
        "INSERT INTO customer_phone (customer_id, e164, ext, position)"
        " SELECT r.customer_id, p.e164, p.ext,"
        "   (coalesce(m.top, -1) + row_number() OVER (PARTITION BY r.customer_id"
        "                                              ORDER BY p.position))::smallint"
        " FROM import_phone p JOIN import_row r ON r.row_no = p.row_no"
        " JOIN import_change x ON x.row_no = r.row_no AND x.field = 'phones'"
        " LEFT JOIN LATERAL (SELECT max(position) AS top FROM customer_phone"
        "                    WHERE customer_id = r.customer_id) m ON true"
        " WHERE NOT EXISTS (SELECT 1 FROM customer_phone cp WHERE cp.customer_id = r.customer_id"
        "                   AND cp.e164 = p.e164 AND cp.ext = p.ext)"
        " ON CONFLICT DO NOTHING")
    cur.execute(
        "INSERT INTO customer_email (customer_id, email, position)"
        " SELECT r.customer_id, e.email,"
        "   (coalesce(m.top, -1) + row_number() OVER (PARTITION BY r.customer_id"
        "                                              ORDER BY e.position))::smallint"
        " FROM import_email e JOIN import_row r ON r.row_no = e.row_no"
        " JOIN import_change x ON x.row_no = r.row_no AND x.field = 'emails'"
        " LEFT JOIN LATERAL (SELECT max(position) AS top FROM customer_email"
        "                    WHERE customer_id = r.customer_id) m ON true"
        " WHERE NOT EXISTS (SELECT 1 FROM customer_email ce WHERE ce.customer_id = r.customer_id"
        "                   AND ce.email = e.email)"
        " ON CONFLICT DO NOTHING")
    cur.execute(
        "UPDATE customer_asset ca SET product = ia.product, model = coalesce(ia.model, ca.model),"
        "   serial = coalesce(ia.serial, ca.serial), plate = coalesce(ia.plate, ca.plate),"
        "   purchased_on = coalesce(ia.purchased_on, ca.purchased_on),"
        "   warranty_end = coalesce(ia.warranty_end, ca.warranty_end)"
        " FROM import_asset ia WHERE ca.id = ia.asset_id"
        "   AND (ia.product, coalesce(ia.model, ca.model), coalesce(ia.serial, ca.serial),"
        "        coalesce(ia.plate, ca.plate), coalesce(ia.purchased_on, ca.purchased_on),"
        "        coalesce(ia.warranty_end, ca.warranty_end))"
        "   IS DISTINCT FROM (ca.product, ca.model, ca.serial, ca.plate, ca.purchased_on,"
        "                     ca.warranty_end)")
    cur.execute(_INSERT_ASSETS + " WHERE ia.asset_id IS NULL AND r.customer_id IS NOT NULL"
                " AND NOT r.is_new ORDER BY ia.asset_row")


def insert_import(cur, principal, data: dict) -> dict:
    """The record of an import or dry run (of customers unless data["subject"] says
    visits), with its counts and row errors."""
    cur.execute(
        "INSERT INTO customer_import (subject, actor_id, actor_name, file_name, sha256, format,"  # noqa: S608 — constant text
        " dry_run, status, mapping, columns, total_rows, created, updated, unchanged, failed, errors,"
        " phases, started_at, finished_at) VALUES (%(subject)s, %(actor_id)s, %(actor_name)s, %(file_name)s, %(sha256)s,"
        " %(format)s, %(dry_run)s, %(status)s, %(mapping)s, %(columns)s, %(total_rows)s,"
        " %(created)s, %(updated)s, %(unchanged)s, %(failed)s, %(errors)s, %(phases)s, %(started_at)s,"
        " clock_timestamp())"
        " RETURNING " + _IMPORT_COLUMNS,
        {"subject": "customers", **data, "actor_id": principal.id,
         "actor_name": principal.username,
         "mapping": Json(data["mapping"]), "columns": Json(data["columns"]),
         "errors": Json(data["errors"]), "phases": Json(data["phases"])})
    return cur.fetchone()


_IMPORT_COLUMNS = ("id::text, subject, actor_id, actor_name, file_name, sha256, format, dry_run, status,"
                   " columns, total_rows, created, updated, unchanged, failed, errors, phases,"
                   " started_at, finished_at,"
                   " extract(epoch FROM finished_at - started_at)::float AS seconds")


def get_import(cur, import_id: str) -> dict | None:
    cur.execute("SELECT " + _IMPORT_COLUMNS + " FROM customer_import WHERE id = %s",  # noqa: S608 — constant text
                (import_id,))
    return cur.fetchone()


# ---- export ----------------------------------------------------------------------

EXPORT_CHUNK_ROWS = 1000


def export_chunks(cur, query: dict, limit: int) -> Iterator[list[dict]]:
    """Live customers of a segment, by number, with phones, assets and — where row-level
    security lets the reader see it — the archive (`archive_open`): at most `limit`,
    EXPORT_CHUNK_ROWS at a time, through a server-side cursor in the caller's
    transaction (an export of 100,000 customers never holds them all)."""
    name = f"export_{uuid.uuid4().hex}"
    with cur.connection.cursor(name, cursor_factory=RealDictCursor) as rows:
        rows.execute(
            "SELECT c.id::text, c.number, c.kind, c.name, c.grade, c.lifecycle, c.credit_class,"
            "   c.region, c.tags, effective_level(c.level, c.declassify_at, c.declassify_to)"
            "   AS effective_level,"
            "   coalesce((SELECT jsonb_agg(jsonb_build_object('e164', p.e164, 'ext', p.ext)"
            "             ORDER BY p.position) FROM customer_phone p WHERE p.customer_id = c.id),"
            "            '[]') AS phones,"
            "   coalesce((SELECT jsonb_agg(jsonb_build_object('product', s.product,"
            "             'model', s.model, 'serial', s.serial, 'plate', s.plate,"
            "             'purchased_on', s.purchased_on, 'warranty_end', s.warranty_end)"
            "             ORDER BY s.created_at, s.id) FROM customer_asset s"
            "             WHERE s.customer_id = c.id), '[]') AS assets,"
            "   a.customer_id IS NOT NULL AS archive_open, a.notes,"
            "   CASE WHEN a.customer_id IS NOT NULL THEN coalesce((SELECT array_agg(e.email"
            "        ORDER BY e.position) FROM customer_email e WHERE e.customer_id = c.id),"
            "        '{}') END AS emails"
            " FROM customer c LEFT JOIN customer_archive a ON a.customer_id = c.id"
            " WHERE c.destroyed_at IS NULL AND c.merged_into IS NULL"
            "   AND (%(kind)s::text IS NULL OR c.kind = %(kind)s)"
            "   AND (%(level)s::int IS NULL"
            "        OR effective_level(c.level, c.declassify_at, c.declassify_to) = %(level)s)"
            "   AND (%(region)s::text IS NULL OR left(c.region, length(%(region)s)) = %(region)s)"
            "   AND (%(tags)s::text[] IS NULL OR c.tags @> %(tags)s::text[])"
            "   AND (%(lifecycle)s::text IS NULL OR c.lifecycle = %(lifecycle)s)"
            "   AND (%(credit_class)s::text IS NULL OR c.credit_class = %(credit_class)s)"
            "   AND (%(grade)s::text IS NULL OR c.grade = %(grade)s)"
            " ORDER BY c.number LIMIT %(limit)s",
            {"kind": query.get("kind"), "level": query.get("level"),
             "region": query.get("region"), "tags": query.get("tags"),
             "lifecycle": query.get("lifecycle"), "credit_class": query.get("credit_class"),
             "grade": query.get("grade"), "limit": limit})
        while chunk := rows.fetchmany(EXPORT_CHUNK_ROWS):
            yield chunk
