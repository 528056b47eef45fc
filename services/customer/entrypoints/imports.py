"""Entrypoints of the customer service: import and export of customers (C7)."""
import base64
import datetime
import hashlib
import time
import uuid

from eventlet import tpool
from prometheus_client import Counter

from services.common.errors import NotFound
from services.common.phones import mask_middle
from services.common.rpc import AuthenticatedRpc
from services.customer.contract import imports as contract
from services.customer.domain import access as rules
from services.customer.domain import imports as domain
from services.customer.domain.records import pinyin_of
from services.customer.store import access as access_store
from services.customer.store import imports as store
from services.vocabulary import ADMIN, ADMINS, MANAGERS_UP, SUPERVISORS_UP

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

IMPORTERS = SUPERVISORS_UP | ADMINS
EXPORTERS = SUPERVISORS_UP


def _prepare(filename: str, content: bytes, mapping: dict) -> dict:
    """Read, map, validate and lay out the COPY text: CPU only, run in an OS thread so
    the service keeps answering other callers meanwhile."""
    table = domain.read_table(filename, content, mapping)
    plan = domain.build_plan(table.headers, mapping)
    records, errors, total = domain.parse_rows(table, plan)
    return {"format": table.format, "columns": plan.report, "errors": errors, "total": total,
            "texts": store.staging_text(records, pinyin_of)}


class _Clock:
    """Seconds per phase of an import, kept with it (what a slow import spent its time on)."""

    def __init__(self):
        self.last = time.monotonic()
        self.laps: dict[str, float] = {}  # in the order the phases ran

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


class ImportsEntrypoints:
    """Import of customers from CSV/XLSX and export of a segment."""

    @rpc(allow=IMPORTERS)
    def import_customers(self, data):
        """Import (or with dry_run check) a CSV/XLSX file of customers; ImportResult.

        Rows upsert by customer number, else by phone; bad rows are reported with
        row number, field and reason and skipped; a dry run changes no customer.
        Invalid when the file cannot be read or the mapping is not usable."""
        started = datetime.datetime.now(datetime.UTC)
        clock = _Clock()
        req = contract.ImportRequest().load(data)
        clock.lap("decode")
        prepared = tpool.execute(_prepare, req["filename"], req["content"], req["mapping"])
        clock.lap("read")
        p = self.principal
        with self.db.transaction() as tx:
            store.stage(tx.cur, prepared.pop("texts"), real=not req["dry_run"])
            clock.lap("stage")
            matched = store.match_and_check(
                tx.cur, p, may_change_classified=p.is_system or p.has_any(MANAGERS_UP),
                all_groups=p.is_system or p.has_any(MANAGERS_UP | {ADMIN}))
            clock.lap("match")
            if matched:
                store.diff(tx.cur)
            created, updated, unchanged = store.counts(tx.cur)
            errors = domain.sort_errors(prepared["errors"] + store.bad_rows(tx.cur))
            clock.lap("diff")
            if not req["dry_run"]:
                group = min(p.groups) if p.groups else None
                # Events go in bulk into the outbox; counting them wakes the relay.
                tx.emitted += store.apply(tx.cur, p, group, created, updated)
                clock.lap("apply")
            row = store.insert_import(tx.cur, p, {
                "file_name": req["filename"], "sha256": hashlib.sha256(req["content"]).hexdigest(),
                "format": prepared["format"], "dry_run": req["dry_run"],
                "status": "dry_run" if req["dry_run"] else "done", "mapping": req["mapping"],
                "columns": prepared["columns"], "total_rows": prepared["total"],
                "created": created, "updated": updated, "unchanged": unchanged,
                "failed": len({e["row"] for e in errors}), "errors": errors,
                "phases": clock.laps, "started_at": started})
        if not req["dry_run"]:
            counter = self.metrics.metric(Counter, "kefu_customer_import_rows_total",
                                          "Rows of customer imports by outcome", ("outcome",))
            for outcome in ("created", "updated", "unchanged", "failed"):
                counter.labels(outcome).inc(row[outcome])
        return contract.ImportResult().dump(row)

    @rpc(allow=IMPORTERS)
    def get_import(self, import_id):
        """One import or dry run with its counts and row errors; NotFound."""
        try:
            import_id = str(uuid.UUID(str(import_id)))
        except ValueError as exc:
            raise NotFound("no such import") from exc
        with self.db.transaction() as tx:
            row = store.get_import(tx.cur, import_id)
        if row is None:
            raise NotFound("no such import")
        return contract.ImportResult().dump(row)

    @rpc(allow=EXPORTERS)
    def export_customers(self, query=None):
        """A segment as CSV or XLSX with Chinese headers; ExportFile (content base64).

        Phones are masked unless `unmask` is asked and the reader may unmask; the
        archive columns (emails, notes) are filled only for records whose archive the
        reader may read.  One borrowing-log row (action 'export') records the filter and
        the counts, in the same transaction as the read."""
        q = contract.ExportQuery().load(query or {})
        p = self.principal
        limit = q["limit"]
        with self.db.transaction() as tx:
            rows = store.export_rows(tx.cur, q, limit + 1)
            truncated = len(rows) > limit
            rows = rows[:limit]
            grants = store.granted_ids(tx.cur, p.id) if any(
                r["effective_level"] >= 3 for r in rows) else set()
            lines, archives, unmasked, classified = [], 0, 0, []
            for r in rows:
                level = r["effective_level"]
                allowed = rules.archive_decision(p, level, r["id"] in grants).allowed
                archive = ({"emails": r["emails"] or [], "notes": r["notes"]}
                           if allowed and r["archive_open"] else None)
                if archive is not None:
                    archives += 1
                    if level >= 1:
                        classified.append(r["number"])
                full = q["unmask"] and rules.unmask_decision(p, level).allowed
                unmasked += bool(full and r["phones"])
                phones = [domain.export_phone(ph["e164"], ph["ext"]) if full
                          else mask_middle(ph["e164"]) for ph in r["phones"]]
                lines.append(domain.export_row(r, phones, archive))
            filters = {k: v for k, v in q.items() if k not in ("format", "limit") and v}
            access_store.log_access(
                tx.cur, p, None, "export", max((r["effective_level"] for r in rows), default=0),
                list(domain.EXPORT_COLUMNS), "export of a segment",
                {"count": len(rows), "format": q["format"], "filter": store.jsonable(filters),
                 "archives": archives, "classified_archives": classified,
                 "unmasked": unmasked, "truncated": truncated})
        write = domain.write_xlsx if q["format"] == "xlsx" else domain.write_csv
        content = tpool.execute(write, lines)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
        return contract.ExportFile().dump({
            "filename": f"customers-{stamp}.{q['format']}",
            "content_type": domain.CONTENT_TYPES[q["format"]],
            "content": base64.b64encode(content).decode("ascii"),
            "count": len(rows), "truncated": truncated})
