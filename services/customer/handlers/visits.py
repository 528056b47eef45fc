"""Use cases of the DMS visit import (C7): the import machine of handlers/imports.py
with the visit spec (domain/visits.py) and its own database part (store/visits.py)."""
from services.common.identity import Principal
from services.customer.domain import visits as domain
from services.customer.handlers.imports import Clock, Importer, run
from services.customer.store import visits as store
from services.vocabulary import ADMIN, MANAGERS_UP


def _prepare(filename: str, content: bytes, mapping: dict) -> dict:
    """Read, map, validate and lay out the COPY text: CPU only (run in an OS thread)."""
    table = domain.read_table(filename, content, mapping)
    plan = domain.build_plan(table.headers, mapping)
    visits, errors, total = domain.parse_rows(table, plan)
    return {"format": table.format, "columns": plan.report, "errors": errors, "total": total,
            "plan": plan, "texts": store.staging_text(visits)}


def _write_visits(tx, p: Principal, prepared: dict, dry_run: bool, clock: Clock):
    """Visits staged, matched to vehicles and checked; unless a dry run, inserted once.
    Counts: (new visits, 0, visits already recorded)."""
    store.stage(tx.cur, prepared.pop("texts"), real=not dry_run)
    clock.lap("stage")
    store.match_and_check(tx.cur, p,
                          may_change_classified=p.is_system or p.has_any(MANAGERS_UP),
                          all_groups=p.is_system or p.has_any(MANAGERS_UP | {ADMIN}))
    created, unchanged = store.counts(tx.cur)
    found = store.bad_rows(tx.cur)
    clock.lap("match")
    if not dry_run:
        store.apply(tx.cur)
        clock.lap("apply")
    return (created, 0, unchanged), found


VISITS = Importer("visits", _prepare, _write_visits, domain.sort_errors,
                  "kefu_customer_visit_import_rows_total")


def import_visits(db, principal: Principal, metrics, req: dict, clock: Clock) -> dict:
    """Import (or with dry_run check) a DMS export of workshop visits: each line linked
    to its vehicle by VIN, else plate; unmatched and bad lines reported with row, field,
    column and reason; a visit already recorded is not added again."""
    return run(db, principal, metrics, req, clock, VISITS)
