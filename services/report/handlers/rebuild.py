"""Use cases of the rebuild and the check against the owner (R4).

rebuild  An admin (or the operator, as the report's system identity) asks; one replica's
         timer claims the run (a lease: another replica takes over a run whose replica
         stopped) and, as the report's system identity, streams the ticket service's
         `report_tickets` pages, keeping each snapshot by the revision rule, as live
         events (which keep arriving, and keep the rollups by deltas meanwhile) do, so
         nothing counts twice; then `report_calls` (each call's events: its fact merged
         again) and `report_contacts` (each contact's fact) pages the same way.  Then
         the facts the owner no longer has go (an older generation), and each rollup
         is corrected to the facts summed: the difference, read in one snapshot, added
         in short batches (store/facts.py, store/calls.py) — no table is held, live
         events go on meanwhile, and the figures are approximate until the run is
         done.  Each page's call carries a fresh system token (`as_system`: a rebuild
         outlives one).  A run that fails is queued again and taken after a back-off,
         from its position, until it is done.
check    The ticket service's own counts per day and kind (`report_ticket_counts`)
         against ticket_day_kind, and its call counts per day (`report_call_counts`:
         offered, answered, abandoned, outbound) against call_hour and contact_hour (kind
         "calls"), at most CHECK_DAYS days: each difference named.
"""
import logging
from contextlib import nullcontext

import eventlet
from nameko.exceptions import RemoteError

from services.common.errors import DeadlineExceeded, Invalid, NotFound, Unavailable
from services.common.rpc import BROKER_DOWN, expiring
from services.report.domain import calls as call_rules
from services.report.domain.facts import TABLES
from services.report.domain.figures import check_range, differences
from services.report.handlers import calls, facts
from services.report.store import calls as call_store
from services.report.store import facts as fact_store
from services.report.store import figures as figure_store
from services.report.store import rebuilds as store
from services.ticket.contract.report_feed import ReportCalls, ReportContacts

log = logging.getLogger(__name__)
PAGE_TIMEOUT = 60.0
LEASE_SECONDS = 120
RECOMPUTE_LEASE_SECONDS = 3600
RETRY_SECONDS = 30.0  # a failed run is taken again after this, doubling, at most:
MAX_RETRY_SECONDS = 900.0
FIX_BATCH = 1000  # corrections added per transaction
CHECK_DAYS = 31
# What a run pages, in order, and the phase after each; then the correction.
NEXT_PHASE = {"tickets": "calls", "calls": "contacts", "contacts": "correct"}
CALL_PAGE, CONTACT_PAGE = ReportCalls(), ReportContacts()


def request_rebuild(tx, requested_by: str) -> dict:
    """A rebuild queued (or the one already queued or running)."""
    return store.request(tx.cur, requested_by)


def rebuild_state(tx, rebuild_id: str | None) -> dict:
    """One rebuild, or the newest (NotFound: none)."""
    row = store.get(tx.cur, rebuild_id) if rebuild_id else store.latest(tx.cur)
    if row is None:
        raise NotFound("no such rebuild")
    return row


def _ask(method, payload: dict) -> dict:
    """One owner RPC under a deadline."""
    try:
        with eventlet.Timeout(PAGE_TIMEOUT, DeadlineExceeded(
                f"no answer within {PAGE_TIMEOUT:g}s")):
            return expiring(method, PAGE_TIMEOUT).call_async(payload).result()
    except BROKER_DOWN as exc:
        raise Unavailable("message broker unavailable") from exc


def backoff(attempts: int, base: float = RETRY_SECONDS) -> float:
    """Seconds before a run that failed `attempts` times before is taken again."""
    return min(MAX_RETRY_SECONDS, base * 2 ** min(attempts, 16))


def run(db, tickets, load_snapshot, page_size: int, progress=None, as_system=None,
        retry_seconds: float = RETRY_SECONDS,
        quick_hangup_seconds: int = call_rules.QUICK_HANGUP_SECONDS) -> dict | None:
    """Claim a rebuild and run it to its end (None: nothing to run) — the timer, or the
    operator's command.  Each page is one transaction, and the position (phase: tickets,
    calls, contacts, then correct; the last id) is kept, so a run taken over (or again
    after it failed) goes on from the last page applied; after the last page, the stale
    facts go and the rollups are corrected.  `load_snapshot` checks one snapshot (the
    owner's schema); `progress(job)` is told after each page; `as_system()` is a block
    whose calls carry a fresh system token (each page's call is made in one).  A
    failure queues the run again, taken after a back-off from `retry_seconds`
    (doubling), and is raised."""
    with db.transaction() as tx:
        job = store.claim(tx.cur, LEASE_SECONDS)
    if job is None:
        return None
    fresh = as_system or nullcontext
    try:
        phase, after = job.get("phase") or "tickets", job["after_id"]
        if phase == "tickets" and job["pages"] > 0 and after is None:
            phase = "calls"  # its ticket pages were all applied before phases were kept
        while phase != "correct":
            with fresh():
                page = _ask(getattr(tickets, f"report_{phase}"),
                            {"after": after, "limit": page_size})
            after = page.get("next")
            following = phase if after else NEXT_PHASE[phase]
            with db.transaction() as tx:
                kept = _keep(tx, phase, page, job["generation"], load_snapshot,
                             quick_hangup_seconds)
                # the last page holds the run while it corrects: no other replica takes
                # it over meanwhile
                store.advance(tx.cur, job["id"], phase, following, after, kept,
                              LEASE_SECONDS if following != "correct"
                              else RECOMPUTE_LEASE_SECONDS)
                if progress:
                    progress(store.get(tx.cur, job["id"]))
            phase = following
        _correct(db, job)
        with db.transaction() as tx:
            store.finish(tx.cur, job["id"])
            return store.get(tx.cur, job["id"])
    except Exception as exc:
        log.exception("rebuild %s failed; it is taken again later", job["id"])
        with db.transaction() as tx:
            store.retry_later(tx.cur, job["id"], f"{type(exc).__name__}: {exc}",
                              backoff(job["attempts"], retry_seconds))
        raise


def _keep(tx, phase: str, page: dict, generation: int, load_snapshot,
          quick_hangup_seconds: int) -> int:
    """One page of the owner's records kept (no rollup touched); how many."""
    if phase == "tickets":
        return facts.keep_page(tx, [load_snapshot(s) for s in page["tickets"]], generation)
    if phase == "calls":
        return calls.keep_calls(tx, CALL_PAGE.load({"calls": page["calls"]})["calls"],
                                generation, quick_hangup_seconds)
    return calls.keep_contacts(tx, CONTACT_PAGE.load({"contacts": page["contacts"]})[
        "contacts"], generation)


def _correct(db, job: dict) -> None:
    """The facts the owner no longer has go; each rollup corrected to the facts summed
    (computed in one snapshot, added in batches: no table held, see store/facts.py)."""
    with db.transaction() as tx:
        store.removed(tx.cur, job["id"], fact_store.remove_stale(tx.cur, job["generation"])
                      + call_store.remove_stale(tx.cur, job["generation"]))
    with db.transaction() as tx:
        fact_store.compute_corrections(tx.cur)
        call_store.compute_corrections(tx.cur)
    for owner, table in [*((fact_store, t) for t in TABLES),
                         *((call_store, t) for t in call_rules.TABLES)]:
        while True:
            with db.transaction() as tx:
                if owner.apply_corrections(tx.cur, table, FIX_BATCH) < FIX_BATCH:
                    break


def _counts(as_system, method, first, last, what: str) -> list[dict]:
    """The owner's own counts over [first, last] (Unavailable: it cannot count now)."""
    with as_system():  # the owner's counts answer the report's system identity only
        try:
            return _ask(method, {"from": first.isoformat(), "to": last.isoformat()})["counts"]
        except RemoteError as exc:  # anything the owner did not declare: it cannot now
            raise Unavailable(f"the ticket service could not count {what} now") from exc


def check(db, as_system, tickets, query: dict) -> dict:
    """{"differences": [{day, kind, measure, ours, owner}]} over the days asked: the
    tickets' per day and kind, then the calls' per day (kind "calls")."""
    first, last = query["from_day"], query["to_day"]
    check_range(first, last)
    if (last - first).days + 1 > CHECK_DAYS:  # the owner counts by scanning its tickets
        raise Invalid("the check covers at most a month",
                      {"to": [f"at most {CHECK_DAYS} days from from"]})
    owner = _counts(as_system, tickets.report_ticket_counts, first, last, "tickets")
    owner_calls = _counts(as_system, tickets.report_call_counts, first, last, "calls")
    with db.transaction() as tx:
        ours = figure_store.day_kind_sums(tx.cur, first, last)
        our_calls = call_store.day_sums(tx.cur, first, last)
    return {"differences": sorted(
        differences(ours, owner) + call_rules.differences(our_calls, owner_calls),
        key=lambda d: (d["day"], d["kind"] == call_rules.CHECK_KIND, d["kind"]))}
