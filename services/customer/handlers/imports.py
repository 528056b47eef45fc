"""Use cases of import and export of customers (C7).

An import's CPU work (reading the file, validating rows, laying out the COPY text)
runs in an OS thread, so the service keeps answering other callers meanwhile; the
database work is set-based, in one transaction (store/imports.py).
"""
import base64
import datetime
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventlet import tpool

from services.common.errors import NotFound
from services.common.identity import Principal
from services.common.metrics import Counter
from services.customer.domain import imports as domain
from services.customer.domain.records import jsonable, pinyin_of
from services.customer.store import access as access_store
from services.customer.store import imports as store
from services.vocabulary import ADMIN, MANAGERS_UP

OUTCOMES = ("created", "updated", "unchanged", "failed")


def _prepare(filename: str, content: bytes, mapping: dict) -> dict:
    """Read, map, validate and lay out the COPY text: CPU only (run in an OS thread)."""
    table = domain.read_table(filename, content, mapping)
    plan = domain.build_plan(table.headers, mapping)
    records, errors, total = domain.parse_rows(table, plan)
    return {"format": table.format, "columns": plan.report, "errors": errors, "total": total,
            "plan": plan, "texts": store.staging_text(records, pinyin_of),
            "lines": domain.merged_lines(records)}


class Clock:
    """When an import started and the seconds per phase, kept with it (what a slow
    import spent its time on).  Started before the request is decoded."""

    def __init__(self):
        self.started = datetime.datetime.now(datetime.UTC)
        self.last = time.monotonic()
        self.laps: dict[str, float] = {}  # in the order the phases ran

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


@dataclass(frozen=True)
class Importer:
    """What differs between the imports of C7 (the rest is `run`): the subject, the CPU
    part (read, map, validate, lay out: returns format, columns, errors, total, plan and
    what `write` needs), the database part (stage, match, check, and unless a dry run
    apply: returns (created, updated, unchanged) and the rows the database found bad),
    and the ordering of the errors (which names each one's column from the plan)."""

    subject: str
    prepare: Callable[[str, bytes, dict], dict]
    write: Callable[..., tuple[tuple[int, int, int], list[dict]]]
    report: Callable[[list[dict], Any], list[dict]]
    metric: str


def run(db, principal: Principal, metrics, req: dict, clock: Clock, importer: Importer) -> dict:
    """One import or dry run: the file read in an OS thread, then one transaction that
    writes (unless a dry run) and records the import with its counts and every bad row
    (row, field, column, reason)."""
    clock.lap("decode")
    prepared = tpool.execute(importer.prepare, req["filename"], req["content"], req["mapping"])
    clock.lap("read")
    with db.transaction() as tx:
        (created, updated, unchanged), found = importer.write(tx, principal, prepared,
                                                              req["dry_run"], clock)
        errors = importer.report(prepared["errors"] + found, prepared["plan"])
        row = store.insert_import(tx.cur, principal, {
            "subject": importer.subject,
            "file_name": req["filename"], "sha256": hashlib.sha256(req["content"]).hexdigest(),
            "format": prepared["format"], "dry_run": req["dry_run"],
            "status": "dry_run" if req["dry_run"] else "done", "mapping": req["mapping"],
            "columns": prepared["columns"], "total_rows": prepared["total"],
            "created": created, "updated": updated, "unchanged": unchanged,
            "failed": len({e["row"] for e in errors}), "errors": errors,
            "phases": clock.laps, "started_at": clock.started})
    if not req["dry_run"]:
        counter = metrics.metric(Counter, importer.metric,
                                 f"Rows of {importer.subject} imports by outcome", ("outcome",))
        for outcome in OUTCOMES:
            counter.labels(outcome).inc(row[outcome])
    return row


def _write_customers(tx, p: Principal, prepared: dict, dry_run: bool, clock: Clock):
    """Customers staged, matched by number else phone, checked and diffed; unless a dry
    run, created and updated set-based (store/imports.py)."""
    store.stage(tx.cur, prepared.pop("texts"), real=not dry_run)
    clock.lap("stage")
    matched = store.match_and_check(
        tx.cur, p, may_change_classified=p.is_system or p.has_any(MANAGERS_UP),
        all_groups=p.is_system or p.has_any(MANAGERS_UP | {ADMIN}))
    clock.lap("match")
    if matched:
        store.diff(tx.cur)
    created, updated, unchanged = store.counts(tx.cur)
    found = domain.spread_errors(store.bad_rows(tx.cur), prepared["lines"])
    clock.lap("diff")
    if not dry_run:
        group = min(p.groups) if p.groups else None
        # Events go in bulk into the outbox; counting them wakes the relay.
        tx.emitted += store.apply(tx.cur, p, group, created, updated)
        clock.lap("apply")
    return (created, updated, unchanged), found


CUSTOMERS = Importer("customers", _prepare, _write_customers, domain.sort_errors,
                     "kefu_customer_import_rows_total")


def import_customers(db, principal: Principal, metrics, req: dict, clock: Clock) -> dict:
    """Import (or with dry_run check) a file of customers: lines of one customer make one
    customer with all their products; customers upsert by customer number, else by
    phone; bad lines are reported (row, field, column, reason) and skipped; a dry run
    changes no customer."""
    return run(db, principal, metrics, req, clock, CUSTOMERS)


def get_import(tx, import_id: str) -> dict:
    """One import or dry run with its counts and row errors."""
    row = store.get_import(tx.cur, import_id)
    if row is None:
        raise NotFound("no such import")
    return row


def export_customers(db, principal: Principal, q: dict) -> dict:
    """A segment as a CSV or XLSX file: archive columns only where the borrowing rules
    open the archive, full phones only when asked and allowed.  Read and written a chunk
    at a time; in the reading transaction, the borrowing log gets a row per exported
    customer and a summary row (action 'export', the filter and the counts), tied by
    `export_id` (issue 9, finding 9b)."""
    limit, export_id = q["limit"], str(uuid.uuid4())
    writer = domain.ExportWriter(q["format"])
    tally = domain.ExportTally()
    truncated, grants = False, None
    with db.transaction() as tx:
        access_store.stage_access(tx.cur, [])
        for chunk in store.export_chunks(tx.cur, q, limit + 1):
            if tally.count + len(chunk) > limit:
                truncated, chunk = True, chunk[:limit - tally.count]
            if grants is None and domain.needs_grants(chunk):
                grants = access_store.granted_ids(tx.cur, principal.id)
            lines, entries = domain.export_lines(principal, chunk, grants or set(),
                                                 q["unmask"], export_id, tally)
            tpool.execute(writer.add, lines)
            access_store.stage_access(tx.cur, entries)
        filters = {k: v for k, v in q.items() if k not in ("format", "limit") and v}
        access_store.log_access(
            tx.cur, principal, None, "export", tally.level, list(domain.EXPORT_COLUMNS),
            "export of a segment",
            {"format": q["format"], "filter": jsonable(filters), **tally.summary(),
             "truncated": truncated, "export_id": export_id})
        access_store.log_staged_access(tx.cur, principal, "export", "export of a segment")
    content = tpool.execute(writer.finish)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    return {"filename": f"customers-{stamp}.{q['format']}",
            "content_type": domain.CONTENT_TYPES[q["format"]],
            "content": base64.b64encode(content).decode("ascii"),
            "count": tally.count, "truncated": truncated}
