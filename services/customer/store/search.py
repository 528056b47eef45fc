"""SQL of fuzzy search, duplicates and merge (C8), and segments (C9).

Search statements are a UNION ALL of branches from the most to the least exact,
each driven by one index and disjoint from the ones before it, under one LIMIT:
PostgreSQL runs the branches in order and stops as soon as the page is full.
Trigram similarity (misspellings) is costly on short strings, so it runs only
when nothing matched as typed.  The tables read are the search keys kept by
migration 0003 (customer_search, customer_phone_search), not the row-level
secured tables, whose policies would stop any LIKE or % from using an index.
"""
_NAME_SEARCH = """
(SELECT customer_id::text AS id, 0 AS rank FROM customer_search
  WHERE name = %(text)s LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 1 FROM customer_search
  WHERE name LIKE %(prefix)s AND name <> %(text)s ORDER BY name USING ~<~ LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 2 FROM customer_search
  WHERE name_pinyin = %(pinyin)s AND %(pinyin)s <> '' AND name NOT LIKE %(prefix)s LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 3 FROM customer_search
  WHERE char_length(customer_name_core(%(text)s)) >= 3
    AND name_core LIKE '%%' || customer_name_core(%(text)s) || '%%'
    AND name NOT LIKE %(prefix)s AND name_pinyin <> %(pinyin)s LIMIT %(n)s)
LIMIT %(n)s
"""

# Misspellings, when nothing above matched: similar names, most similar first.
_NAME_FUZZY = """
SELECT customer_id::text AS id, similarity(name_core, customer_name_core(%(text)s)) AS s
  FROM customer_search
 WHERE char_length(customer_name_core(%(text)s)) >= 2
   AND name_core %% customer_name_core(%(text)s)
 ORDER BY s DESC, customer_id LIMIT %(n)s
"""

_PINYIN_SEARCH = """
(SELECT customer_id::text AS id, 0 AS rank FROM customer_search
  WHERE name_pinyin = %(pinyin)s LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 1 FROM customer_search
  WHERE name_initials = %(pinyin)s AND name_pinyin <> %(pinyin)s LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 2 FROM customer_search
  WHERE name_pinyin LIKE %(prefix)s AND name_pinyin <> %(pinyin)s AND name_initials <> %(pinyin)s
  ORDER BY name_pinyin USING ~<~ LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 3 FROM customer_search
  WHERE name_initials LIKE %(prefix)s AND name_initials <> %(pinyin)s
    AND name_pinyin NOT LIKE %(prefix)s
  ORDER BY name_initials USING ~<~ LIMIT %(n)s)
UNION ALL
(SELECT customer_id::text, 4 FROM customer_search
  WHERE char_length(%(pinyin)s) >= 3 AND name_pinyin LIKE %(infix)s
    AND name_pinyin NOT LIKE %(prefix)s AND name_initials NOT LIKE %(prefix)s LIMIT %(n)s)
LIMIT %(n)s
"""

_PINYIN_FUZZY = """
SELECT customer_id::text AS id, similarity(name_pinyin, %(pinyin)s) AS s FROM customer_search
 WHERE char_length(%(pinyin)s) >= 4 AND name_pinyin %% %(pinyin)s
 ORDER BY s DESC, customer_id LIMIT %(n)s
"""

_NUMBER_SEARCH = """
SELECT customer_id::text AS id, 0 AS rank FROM customer_search
 WHERE number LIKE %(prefix)s ORDER BY number USING ~<~ LIMIT %(n)s
"""

# A customer with two matching phones comes twice: the caller keeps the first.
_PHONE_SEARCH = """
(SELECT p.customer_id::text AS id, 0 AS rank FROM customer_phone_search p
   JOIN customer_search c ON c.customer_id = p.customer_id
  WHERE p.e164 LIKE %(tail)s LIMIT %(n)s)
UNION ALL
(SELECT p.customer_id::text, 1 FROM customer_phone_search p
   JOIN customer_search c ON c.customer_id = p.customer_id
  WHERE (p.e164 LIKE %(infix)s OR p.e164 LIKE %(infix2)s) AND p.e164 NOT LIKE %(tail)s
  LIMIT %(n)s)
LIMIT %(n)s
"""


def like_escape(text: str) -> str:
    """Literal text for a LIKE pattern (backslash is PostgreSQL's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ids(cur, limit: int) -> list[str]:
    """The ids fetched, each once (first place kept), at most `limit`."""
    return list(dict.fromkeys(r["id"] for r in cur.fetchall()))[:limit]


def phone_ids(cur, runs: tuple, limit: int) -> list[str]:
    """Live customers with a phone ending in the first digit run, then containing one of
    them (the first and the last), best first."""
    first = like_escape(runs[0])
    cur.execute(_PHONE_SEARCH, {"tail": "%" + first, "infix": "%" + first + "%",
                                "infix2": "%" + like_escape(runs[-1]) + "%", "n": limit * 2})
    return _ids(cur, limit)


def number_ids(cur, prefix: str, limit: int) -> list[str]:
    cur.execute(_NUMBER_SEARCH, {"prefix": like_escape(prefix) + "%", "n": limit})
    return _ids(cur, limit)


def name_ids(cur, text: str, pinyin: str, limit: int) -> list[str]:
    """Names as typed (equal, prefix, same pinyin, inside the name core), best first."""
    cur.execute(_NAME_SEARCH, {"text": text, "pinyin": pinyin,
                               "prefix": like_escape(text) + "%", "n": limit})
    return _ids(cur, limit)


def pinyin_ids(cur, pinyin: str, limit: int) -> list[str]:
    """Pinyin or initials as typed (equal, prefix, inside), best first."""
    cur.execute(_PINYIN_SEARCH, {"pinyin": pinyin, "prefix": like_escape(pinyin) + "%",
                                 "infix": "%" + like_escape(pinyin) + "%", "n": limit})
    return _ids(cur, limit)


def similar_name_ids(cur, text: str, threshold: float, limit: int) -> list[str]:
    """Names similar to `text` (trigrams: misspellings), most similar first."""
    _similarity_threshold(cur, threshold)
    cur.execute(_NAME_FUZZY, {"text": text, "n": limit})
    return _ids(cur, limit)


def similar_pinyin_ids(cur, pinyin: str, threshold: float, limit: int) -> list[str]:
    _similarity_threshold(cur, threshold)
    cur.execute(_PINYIN_FUZZY, {"pinyin": pinyin, "n": limit})
    return _ids(cur, limit)


def _similarity_threshold(cur, value: float) -> None:
    """pg_trgm's threshold for `%`, for this transaction only."""
    cur.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", (str(value),))


# ---- duplicates --------------------------------------------------------------------

# For each scanned customer s: live customers o sharing a phone, with the same pinyin
# (unless more than COMMON_NAME customers share it), or a similar name core (same
# cap; only names of MIN_SIMILAR_NAME characters or more).  In a scan each pair is
# reported once, by its newer member; for one customer, every pair it is part of.
_DUPLICATE_REASONS = """
SELECT s.customer_id::text AS scanned, o.customer_id::text AS other, 'phone' AS reason,
       NULL::real AS similarity, p1.e164 AS phone,
       (o.created_at, o.customer_id) < (s.created_at, s.customer_id) AS other_older
  FROM scanned s
  JOIN customer_phone p1 ON p1.customer_id = s.customer_id
  JOIN customer_phone p2 ON p2.e164 = p1.e164 AND p2.customer_id <> s.customer_id
  JOIN customer_search o ON o.customer_id = p2.customer_id
 WHERE %(both)s OR (o.created_at, o.customer_id) < (s.created_at, s.customer_id)
UNION ALL
SELECT s.customer_id::text, o.customer_id::text, 'pinyin', NULL, NULL,
       (o.created_at, o.customer_id) < (s.created_at, s.customer_id)
  FROM scanned s
 CROSS JOIN LATERAL (
     SELECT x.customer_id, x.created_at, count(*) OVER () AS n FROM (
         SELECT c.customer_id, c.created_at FROM customer_search c
          WHERE c.name_pinyin = s.name_pinyin AND c.customer_id <> s.customer_id
          LIMIT %(cap)s + 1) x) o
 WHERE s.name_pinyin <> '' AND o.n <= %(cap)s
   AND (%(both)s OR (o.created_at, o.customer_id) < (s.created_at, s.customer_id))
UNION ALL
SELECT s.customer_id::text, o.customer_id::text, 'name', o.sim, NULL,
       (o.created_at, o.customer_id) < (s.created_at, s.customer_id)
  FROM scanned s
 CROSS JOIN LATERAL (
     SELECT c.customer_id, c.created_at, similarity(c.name_core, s.name_core) AS sim,
            count(*) OVER () AS n
       FROM customer_search c
      WHERE c.name_core %% s.name_core AND c.customer_id <> s.customer_id) o
 WHERE char_length(s.name_core) >= %(min_name)s AND o.n <= %(cap)s
   AND (%(both)s OR (o.created_at, o.customer_id) < (s.created_at, s.customer_id))
"""

_DUPLICATES = """
WITH scanned AS MATERIALIZED (
    SELECT customer_id, created_at, name_pinyin, name_core FROM customer_search
     WHERE customer_id = ANY(%(ids)s::uuid[]))
""" + _DUPLICATE_REASONS  # noqa: S608 — constant text


def scan_window(cur, after: tuple | None, scan: int, since=None) -> list[dict]:
    """(id, created_at) of the next `scan` live customers (created since `since`),
    newest first."""
    at, cid = after or (None, None)
    cur.execute(
        "SELECT id::text, created_at FROM customer WHERE destroyed_at IS NULL"
        " AND merged_into IS NULL AND (%s::timestamptz IS NULL"
        " OR (created_at, id) < (%s::timestamptz, %s::uuid))"
        " AND (%s::timestamptz IS NULL OR created_at >= %s::timestamptz)"
        " ORDER BY created_at DESC, id DESC LIMIT %s",
        (at, at, cid, since, since, scan),
    )
    return cur.fetchall()


def duplicate_rows(cur, ids: list[str], both: bool, similarity: float, common_name: int,
                   min_name: int) -> list[dict]:
    """(newer, older, reason, similarity, phone) rows for the customers `ids`: with
    `both`, every pair they are part of; without, only pairs with an older customer
    (a scan then reports each pair once, from its newer member).  Names count as
    similar above `similarity` when at least `min_name` long; a name or pinyin shared
    by more than `common_name` customers is ignored."""
    if not ids:
        return []
    _similarity_threshold(cur, similarity)
    # The per-customer lookups are cheap but their estimates are not: without this
    # the JIT compiler spends more time than the query.
    cur.execute("SELECT set_config('jit', 'off', true)")
    cur.execute(_DUPLICATES, {"ids": ids, "both": both, "cap": common_name,
                              "min_name": min_name})
    out = []
    for r in cur.fetchall():
        newer, older = ((r["scanned"], r["other"]) if r["other_older"]
                        else (r["other"], r["scanned"]))
        out.append({"newer": newer, "older": older, "reason": r["reason"],
                    "similarity": r["similarity"], "phone": r["phone"]})
    return out


# ---- keys changed in bulk -----------------------------------------------------------

RELOAD = "00000000-0000-0000-0000-000000000000"  # the "rebuild everything" mark


def sync_dirty(cur, limit: int) -> int:
    """Rebuild the search keys of up to `limit` customers a bulk statement marked dirty
    (claimed with SKIP LOCKED: safe with replicas); returns how many marks it took.
    The customers are locked first (FOR NO KEY UPDATE: two syncs of one customer, or
    a sync and a change, take turns), so what is written is what is committed."""
    cur.execute(
        "WITH claimed AS (DELETE FROM customer_search_dirty WHERE ctid = ANY(ARRAY("
        " SELECT ctid FROM customer_search_dirty LIMIT %s FOR UPDATE SKIP LOCKED))"
        " RETURNING customer_id) SELECT array_agg(DISTINCT customer_id)::text[] AS ids,"
        " count(*) AS n FROM claimed",
        (limit,),
    )
    row = cur.fetchone()
    if not row["n"]:
        return 0
    if RELOAD in row["ids"]:
        rebuild(cur)
        return row["n"]
    cur.execute("SELECT 1 FROM customer WHERE id = ANY(%s::uuid[]) ORDER BY id"
                " FOR NO KEY UPDATE", (row["ids"],))
    cur.execute("SELECT customer_search_put(%s::uuid[])", (row["ids"],))
    return row["n"]


def rebuild(cur) -> int:
    """Every key from scratch (as the system principal); returns the live customers."""
    cur.execute("SELECT customer_search_rebuild() AS n")
    return cur.fetchone()["n"]


# ---- merge -------------------------------------------------------------------------

def move_assets(cur, survivor_id: str, merged_id: str) -> int:
    """Assets of the merged customer go to the survivor, except those the survivor
    already has (same serial or plate), which stay behind with the merged record; their
    workshop visits go to the survivor's asset (a visit it has already is dropped)."""
    # Two merged assets may go onto one survivor asset with the same visit on each:
    # one of each (asset, day, service, amount) moves (customer_visit_once), the rest
    # stay behind with the merged record's asset.
    cur.execute(
        "UPDATE customer_visit v SET asset_id = u.survivor_asset"
        " FROM (SELECT DISTINCT ON (m.survivor_asset, x.visited_on, x.service_type, x.amount)"
        "         x.id, m.survivor_asset"
        "       FROM (SELECT DISTINCT ON (a.id) a.id AS merged_asset, s.id AS survivor_asset"
        "             FROM customer_asset a JOIN customer_asset s ON s.customer_id = %(survivor)s"
        "               AND ((a.serial IS NOT NULL AND s.serial = a.serial)"
        "                    OR (a.plate IS NOT NULL AND s.plate = a.plate))"
        "             WHERE a.customer_id = %(merged)s ORDER BY a.id, s.seq) m"
        "       JOIN customer_visit x ON x.asset_id = m.merged_asset"
        "       WHERE NOT EXISTS (SELECT 1 FROM customer_visit y"
        "         WHERE y.asset_id = m.survivor_asset AND y.visited_on = x.visited_on"
        "           AND y.service_type IS NOT DISTINCT FROM x.service_type"
        "           AND y.amount IS NOT DISTINCT FROM x.amount)"
        "       ORDER BY m.survivor_asset, x.visited_on, x.service_type, x.amount,"
        "                x.created_at, x.id) u"
        " WHERE v.id = u.id",
        {"survivor": survivor_id, "merged": merged_id})
    cur.execute(
        "UPDATE customer_asset a SET customer_id = %s WHERE a.customer_id = %s"
        " AND NOT EXISTS (SELECT 1 FROM customer_asset s WHERE s.customer_id = %s"
        " AND ((a.serial IS NOT NULL AND s.serial = a.serial)"
        " OR (a.plate IS NOT NULL AND s.plate = a.plate)))",
        (survivor_id, merged_id, survivor_id),
    )
    return cur.rowcount


def mark_merged(cur, merged_id: str, survivor_id: str) -> None:
    cur.execute(
        "UPDATE customer SET merged_into = %s, version = version + 1, updated_at = now()"
        " WHERE id = %s",
        (survivor_id, merged_id),
    )


# ---- segments ----------------------------------------------------------------------

_SEGMENT_WHERE = """
 WHERE c.destroyed_at IS NULL AND c.merged_into IS NULL
   AND (%(kind)s::text IS NULL OR c.kind = %(kind)s)
   AND (%(credit_class)s::text[] IS NULL OR c.credit_class = ANY(%(credit_class)s::text[]))
   AND (%(lifecycle)s::text[] IS NULL OR c.lifecycle = ANY(%(lifecycle)s::text[]))
   AND (%(grade)s::text[] IS NULL OR c.grade = ANY(%(grade)s::text[]))
   AND (%(level)s::int[] IS NULL
        OR effective_level(c.level, c.declassify_at, c.declassify_to) = ANY(%(level)s::int[]))
   AND (%(region)s::text IS NULL OR starts_with(c.region, %(region)s))
   AND (%(tags_all)s::text[] IS NULL OR c.tags @> %(tags_all)s::text[])
   AND (%(tags_any)s::text[] IS NULL OR c.tags && %(tags_any)s::text[])
   AND (%(product)s::text IS NULL OR EXISTS (
        SELECT 1 FROM customer_asset a WHERE a.customer_id = c.id
           AND (a.product = %(product)s OR a.model = %(product)s)))
   AND (%(months)s::int IS NULL OR c.last_contact_at IS NULL
        OR c.last_contact_at < now() - make_interval(months => %(months)s::int))
   AND (%(visit_months)s::int IS NULL OR NOT EXISTS (
        SELECT 1 FROM customer_asset a JOIN customer_visit v ON v.asset_id = a.id
         WHERE a.customer_id = c.id
           AND v.visited_on >= (now() - make_interval(months => %(visit_months)s::int))::date))
   AND (%(visit_before)s::date IS NULL OR (
        EXISTS (SELECT 1 FROM customer_asset a JOIN customer_visit v ON v.asset_id = a.id
                 WHERE a.customer_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM customer_asset a JOIN customer_visit v ON v.asset_id = a.id
                         WHERE a.customer_id = c.id AND v.visited_on >= %(visit_before)s::date)))
   AND (%(created_after)s::timestamptz IS NULL OR c.created_at >= %(created_after)s::timestamptz)
   AND (%(created_before)s::timestamptz IS NULL OR c.created_at < %(created_before)s::timestamptz)
"""

_SEGMENT_PAGE = (
    "SELECT c.id::text, c.created_at FROM customer c" + _SEGMENT_WHERE +  # noqa: S608
    " AND (%(after_at)s::timestamptz IS NULL"
    " OR (c.created_at, c.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid))"
    " ORDER BY c.created_at, c.id LIMIT %(limit)s"
)
_SEGMENT_COUNT = "SELECT count(*) AS n FROM customer c" + _SEGMENT_WHERE  # noqa: S608


def _segment_params(filters: dict) -> dict:
    def listed(key):
        return filters.get(key) or None

    region = filters.get("region")
    return {
        "kind": filters.get("kind"), "credit_class": listed("credit_class"),
        "lifecycle": listed("lifecycle"), "grade": listed("grade"), "level": listed("level"),
        "region": region or None,
        "tags_all": listed("tags_all"), "tags_any": listed("tags_any"),
        "product": filters.get("product"), "months": filters.get("no_contact_months"),
        "visit_months": filters.get("no_visit_months"),
        "visit_before": filters.get("last_visit_before"),
        "created_after": filters.get("created_after"),
        "created_before": filters.get("created_before"),
    }


def segment_page(cur, filters: dict, after: tuple | None, limit: int) -> list[dict]:
    """(id, created_at) of the next `limit` matching live customers in keyset order."""
    at, cid = after or (None, None)
    cur.execute(_SEGMENT_PAGE, {**_segment_params(filters), "after_at": at, "after_id": cid,
                                "limit": limit})
    return cur.fetchall()


def segment_count(cur, filters: dict) -> int:
    cur.execute(_SEGMENT_COUNT, _segment_params(filters))
    return cur.fetchone()["n"]

