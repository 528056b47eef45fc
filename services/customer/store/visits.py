"""SQL of the DMS visit import (C7): the visits COPYed into a staging table of the
importing transaction, matched to the archive's vehicles (VIN, else plate), checked
against the importer's scope, and inserted once (customer_visit_once).  Set-based, as
the customer import (store/imports.py)."""
from services.customer.store.imports import IMPORT_LOCK, copy_chunks, copy_in

_STAGING = (
    "CREATE TEMP TABLE visit_row (row_no integer PRIMARY KEY, plate text, vin text,"
    " visited_on date NOT NULL, service_type text NOT NULL, mileage integer,"
    " amount numeric(12, 2), asset_id uuid, customer_id uuid) ON COMMIT DROP",
    "CREATE TEMP TABLE visit_error (row_no integer NOT NULL, field text NOT NULL,"
    " reason text NOT NULL) ON COMMIT DROP",
)
COLUMNS = ("row_no", "plate", "vin", "visited_on", "service_type", "mileage", "amount")
_COPY = "COPY visit_row (" + ", ".join(COLUMNS) + ") FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (service_type))"


def staging_text(visits) -> list[str]:
    """The COPY text of domain Visits (CPU only)."""
    return copy_chunks([(v.row, v.plate, v.vin, v.visited_on, v.service_type, v.mileage,
                         v.amount) for v in visits])


def stage(cur, chunks: list[str], real: bool) -> None:
    cur.execute("SET LOCAL statement_timeout = '300s'")
    if real:  # one real import at a time, customers or visits
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK,))
    for sql in _STAGING:
        cur.execute(sql)
    copy_in(cur, "visit_row", chunks, _COPY)
    cur.execute("ANALYZE visit_row")


def match_and_check(cur, principal, may_change_classified: bool, all_groups: bool) -> None:
    """Each visit's vehicle: the live customers' asset with its VIN, else with its plate.
    None, several, or one outside the importer's scope: the line is bad (and unstaged)."""
    # Two index-friendly joins (serial, plate), then per line: the VIN's vehicles when the
    # VIN is known, else the plate's.
    cur.execute(
        "CREATE TEMP TABLE visit_hit ON COMMIT DROP AS"
        " SELECT row_no, bool_or(by_vin) AS by_vin,"
        "   CASE WHEN bool_or(by_vin)"
        "     THEN array_agg(asset_id ORDER BY created_at, asset_id) FILTER (WHERE by_vin)"
        "     ELSE array_agg(asset_id ORDER BY created_at, asset_id) END AS assets,"
        "   CASE WHEN bool_or(by_vin)"
        "     THEN array_agg(DISTINCT customer_id) FILTER (WHERE by_vin)"
        "     ELSE array_agg(DISTINCT customer_id) END AS customers"
        " FROM (SELECT v.row_no, a.id AS asset_id, a.customer_id, a.created_at, true AS by_vin"
        "       FROM visit_row v JOIN customer_asset a ON a.serial = v.vin"
        "       JOIN customer c ON c.id = a.customer_id AND c.destroyed_at IS NULL"
        "         AND c.merged_into IS NULL"
        "       UNION ALL"
        "       SELECT v.row_no, a.id, a.customer_id, a.created_at, false"
        "       FROM visit_row v JOIN customer_asset a ON a.plate = v.plate"
        # a line with a VIN is not filed by its plate on a car with another VIN
        "         AND (v.vin IS NULL OR a.serial IS NULL)"
        "       JOIN customer c ON c.id = a.customer_id AND c.destroyed_at IS NULL"
        "         AND c.merged_into IS NULL) h"
        " GROUP BY row_no")
    cur.execute(
        "UPDATE visit_row v SET asset_id = h.assets[1], customer_id = h.customers[1]"
        " FROM visit_hit h WHERE h.row_no = v.row_no AND cardinality(h.assets) = 1")
    cur.execute(
        "INSERT INTO visit_error (row_no, field, reason)"
        " SELECT v.row_no, CASE WHEN v.vin IS NOT NULL THEN 'vin' ELSE 'plate' END,"
        "   CASE WHEN h.row_no IS NULL THEN"
        "     'no vehicle in the archive has ' || concat_ws(' or ', 'VIN ' || v.vin,"
        "       'plate ' || v.plate) || ': import the customer and the vehicle first'"
        "   ELSE cardinality(h.assets) || ' vehicles in the archive have '"
        "     || CASE WHEN h.by_vin THEN 'VIN ' || v.vin ELSE 'plate ' || v.plate END"
        "     || CASE WHEN h.by_vin THEN '' ELSE ': give the VIN' END END"
        " FROM visit_row v LEFT JOIN visit_hit h ON h.row_no = v.row_no"
        " WHERE v.asset_id IS NULL")
    cur.execute(
        "INSERT INTO visit_error (row_no, field, reason)"
        " SELECT v.row_no, 'customer', r.reason"
        " FROM visit_row v JOIN customer c ON c.id = v.customer_id"
        " CROSS JOIN LATERAL (SELECT effective_level(c.level, c.declassify_at,"
        "                     c.declassify_to) AS lvl) e"
        " CROSS JOIN LATERAL (SELECT CASE"
        "     WHEN NOT %(system)s AND e.lvl > %(clearance)s THEN 'above your clearance'"
        "     WHEN NOT %(system)s AND e.lvl >= 1 AND NOT %(classified)s"
        "       THEN 'the vehicle''s owner is a classified record: only managers and above'"
        "     WHEN NOT %(system)s AND NOT %(all_groups)s AND c.owner_group IS NOT NULL"
        "          AND NOT c.owner_group = ANY(%(groups)s::text[])"
        "       THEN 'the vehicle''s owner is outside your write scope' END AS reason) r"
        " WHERE r.reason IS NOT NULL",
        {"clearance": principal.clearance, "classified": may_change_classified,
         "system": principal.is_system, "all_groups": all_groups,
         "groups": sorted(principal.groups)})
    # The same visit on two lines naming the vehicle differently (one by VIN, one by
    # plate): known only now that both lines have their vehicle.
    cur.execute(
        "INSERT INTO visit_error (row_no, field, reason)"
        " SELECT row_no, 'visited_on', 'the same visit as row ' || first"
        "   || ' (vehicle, date, service type and amount)'"
        " FROM (SELECT row_no, min(row_no) OVER (PARTITION BY asset_id, visited_on,"
        "         service_type, amount) AS first"
        "       FROM visit_row WHERE asset_id IS NOT NULL"
        "         AND row_no NOT IN (SELECT row_no FROM visit_error)) d"
        " WHERE row_no <> first")
    cur.execute("DELETE FROM visit_row WHERE row_no IN (SELECT row_no FROM visit_error)")


def counts(cur) -> tuple[int, int]:
    """(new, already recorded) among the staged good visits."""
    cur.execute(
        "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM customer_visit x"
        "   WHERE x.asset_id = v.asset_id AND x.visited_on = v.visited_on"
        "     AND x.service_type = v.service_type"
        "     AND x.amount IS NOT DISTINCT FROM v.amount)) AS new,"
        " count(*) AS total FROM visit_row v")
    row = cur.fetchone()
    return row["new"], row["total"] - row["new"]


def bad_rows(cur) -> list[dict]:
    cur.execute("SELECT row_no AS row, field, reason FROM visit_error ORDER BY row_no, field")
    return cur.fetchall()


def apply(cur) -> int:
    """The new visits inserted (a visit already recorded is left as it is)."""
    cur.execute(
        "INSERT INTO customer_visit (asset_id, visited_on, service_type, mileage, amount)"
        " SELECT asset_id, visited_on, service_type, mileage, amount FROM visit_row"
        " ORDER BY row_no ON CONFLICT ON CONSTRAINT customer_visit_once DO NOTHING")
    return cur.rowcount
