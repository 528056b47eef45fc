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
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import eventlet
from nameko.exceptions import RemoteError

from services.common.errors import DeadlineExceeded, Invalid, NotFound, Unavailable
from services.common.rpc import BROKER_DOWN, expiring
from services.report.domain import calls as call_rules
from services.report.domain import notifications as notification_rules
from services.report.domain.facts import DAY, TABLES
from services.report.domain.figures import check_range, differences
from services.report.handlers import calls, facts
from services.report.handlers import field as field_handlers
from services.report.handlers import ivr_campaigns as ivr_campaign_handlers
from services.report.handlers import notifications as notification_handlers
from services.report.handlers import survey as survey_handlers
from services.report.store import calls as call_store
from services.report.store import facts as fact_store
from services.report.store import field as field_store
from services.report.store import figures as figure_store
from services.report.store import ivr_campaigns as ivr_campaign_store
from services.report.store import notifications as notification_store
from services.report.store import rebuilds as store
from services.report.store import survey as survey_store
from services.ticket.contract.report_feed import ReportCalls, ReportContacts

log = logging.getLogger(__name__)
PAGE_TIMEOUT = 60.0
LEASE_SECONDS = 120
RECOMPUTE_LEASE_SECONDS = 3600
RETRY_SECONDS = 30.0  # a failed run is taken again after this, doubling, at most:
MAX_RETRY_SECONDS = 900.0
FIX_BATCH = 1000  # corrections added per transaction
CHECK_DAYS = 31
CALL_PAGE, CONTACT_PAGE = ReportCalls(), ReportContacts()


@dataclass(frozen=True)
class Source:
    """One kind of the owners' records a rebuild pages.  `phase` names it (the rebuild's
    position, and the key of the page's list in the owner's answer); `owner` is the
    owning service (its proxy: `getattr(owners, owner)`); `feed` its RPC, answering
    {"after", "limit"} with {<phase>: [...], "next"}; `keep(tx, records, generation,
    settings)` keeps one page's records as facts, touching no rollup, and says how many."""
    phase: str
    owner: str
    feed: str
    keep: Callable[[Any, list, int, dict], int]


def _keep_tickets(tx, records: list, generation: int, settings: dict) -> int:
    return facts.keep_page(tx, [settings["load_snapshot"](s) for s in records], generation)


def _keep_calls(tx, records: list, generation: int, settings: dict) -> int:
    return calls.keep_calls(tx, CALL_PAGE.load({"calls": records})["calls"], generation,
                            settings["quick_hangup_seconds"])


def _keep_contacts(tx, records: list, generation: int, settings: dict) -> int:
    return calls.keep_contacts(tx, CONTACT_PAGE.load({"contacts": records})["contacts"],
                               generation)


# What a run pages, in order; then the correction.  A new rollup's owner records: one
# Source here, and its store in `corrected_stores`.
SOURCES = (
    Source("tickets", "ticket", "report_tickets", _keep_tickets),
    Source("calls", "ticket", "report_calls", _keep_calls),
    Source("contacts", "ticket", "report_contacts", _keep_contacts),
    Source("dispatches", "ticket", "report_dispatches", field_handlers.keep_page),
    Source("followups", "survey", "report_followups", survey_handlers.keep_followup_page),
    Source("answers", "survey", "report_answers", survey_handlers.keep_answer_page),
    Source("notifications", "notify", "report_notifications", notification_handlers.keep_page),
    Source("ivr_offers", "survey", "report_ivr_offers", ivr_campaign_handlers.keep_offer_page),
    Source("invitations", "survey", "report_invitations",
           ivr_campaign_handlers.keep_invitation_page),
)
BY_PHASE = {source.phase: source for source in SOURCES}
NEXT_PHASE = {source.phase: following.phase for source, following
              in zip(SOURCES, SOURCES[1:], strict=False)} | {SOURCES[-1].phase: "correct"}


def corrected_stores() -> list[tuple[Any, tuple]]:
    """(store module, its rollup tables): each store has remove_stale(cur, generation)
    -> facts removed, compute_corrections(cur) and apply_corrections(cur, table, limit)
    -> corrections applied.  Looked up when called (tests replace the modules)."""
    return [(fact_store, TABLES), (call_store, call_rules.TABLES),
            (field_store, field_handlers.TABLES),
            (notification_store, notification_rules.TABLES),
            (survey_store, survey_handlers.TABLES),
            (ivr_campaign_store, ivr_campaign_handlers.TABLES)]


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


def run(db, owners, load_snapshot, page_size: int, progress=None, as_system=None,
        retry_seconds: float = RETRY_SECONDS,
        quick_hangup_seconds: int = call_rules.QUICK_HANGUP_SECONDS) -> dict | None:
    """Claim a rebuild and run it to its end (None: nothing to run) — the timer, or the
    operator's command.  `owners` has each owner service's proxy as an attribute
    (ticket, ...: Source.owner).  Each page is one transaction, and the position (phase:
    each of SOURCES in turn, then correct; the last id) is kept, so a run taken over (or again
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
    settings = {"load_snapshot": load_snapshot, "quick_hangup_seconds": quick_hangup_seconds}
    try:
        phase, after = job.get("phase") or "tickets", job["after_id"]
        if phase == "tickets" and job["pages"] > 0 and after is None:
            phase = "calls"  # its ticket pages were all applied before phases were kept
        while phase != "correct":
            source = BY_PHASE[phase]
            with fresh():
                page = _ask(getattr(getattr(owners, source.owner), source.feed),
                            {"after": after, "limit": page_size})
            after = page.get("next")
            following = phase if after else NEXT_PHASE[phase]
            with db.transaction() as tx:
                kept = source.keep(tx, page[phase], job["generation"], settings)
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


def _correct(db, job: dict) -> None:
    """The facts the owner no longer has go; each rollup corrected to the facts summed
    (computed in one snapshot, added in batches: no table held, see store/facts.py)."""
    stores = corrected_stores()
    with db.transaction() as tx:
        store.removed(tx.cur, job["id"], sum(owner.remove_stale(tx.cur, job["generation"])
                                             for owner, _ in stores))
    with db.transaction() as tx:
        for owner, _ in stores:
            owner.compute_corrections(tx.cur)
    for owner, table in [(owner, t) for owner, tables in stores for t in tables]:
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
            raise Unavailable(f"the owner of the {what} could not count them now") from exc


@dataclass(frozen=True)
class Checked:
    """One comparison of the check: `what` it counts (named when the owner cannot),
    `owner` the owning service, `counts` its RPC ({"from", "to"} -> {"counts": [...]}),
    `ours(cur, first, last)` the rollups' sums over the same days, `differences(ours,
    owner's)` -> [{day, kind, measure, ours, owner}]."""
    what: str
    owner: str
    counts: str
    ours: Callable[[Any, Any, Any], list]
    differences: Callable[[list, list], list]


def _ticket_sums(cur, first, last) -> list:
    return figure_store.day_kind_sums(cur, first, last)


def _narrow_ticket_sums(cur, first, last) -> list:
    return figure_store.day_sums(cur, first, last)


def _narrow_differences(ours: list, owner: list) -> list:
    """The differences of the narrow ticket_day, named as its."""
    return [{**d, "rollup": DAY} for d in differences(ours, owner)]


def _call_sums(cur, first, last) -> list:
    return call_store.day_sums(cur, first, last)


def _call_differences(ours: list, owner: list) -> list:
    return call_rules.differences(ours, owner)


# What the check compares, in the order its differences are told within a day.
CHECKS = (
    Checked("tickets", "ticket", "report_ticket_counts", _ticket_sums, differences),
    Checked("tickets", "ticket", "report_ticket_counts", _narrow_ticket_sums,
            _narrow_differences),
    Checked("calls", "ticket", "report_call_counts", _call_sums, _call_differences),
    Checked("field", "ticket", "report_dispatch_counts", field_handlers.day_sums,
            field_handlers.differences),
    Checked("followups", "survey", "report_followup_counts", survey_handlers.followup_sums,
            survey_handlers.followup_differences),
    Checked("answers", "survey", "report_answer_counts", survey_handlers.answer_sums,
            survey_handlers.answer_differences),
    Checked("notifications", "notify", "report_notification_counts",
            notification_handlers.day_sums, notification_handlers.differences),
    Checked("ivr_offers", "survey", "report_ivr_offer_counts",
            ivr_campaign_handlers.offer_sums, ivr_campaign_handlers.offer_differences),
    Checked("campaigns", "survey", "report_invitation_counts",
            ivr_campaign_handlers.campaign_sums, ivr_campaign_handlers.campaign_differences),
)


def check(db, as_system, owners, query: dict) -> dict:
    """{"differences": [{day, kind, measure, ours, owner}]} over the days asked: for
    each of CHECKS (the tickets' per day and kind, the calls' per day — kind "calls" —,
    ...), the owner's own counts against our rollups' sums; by day, then CHECKS order."""
    first, last = query["from_day"], query["to_day"]
    check_range(first, last)
    if (last - first).days + 1 > CHECK_DAYS:  # the owner counts by scanning its records
        raise Invalid("the check covers at most a month",
                      {"to": [f"at most {CHECK_DAYS} days from from"]})
    theirs = [_counts(as_system, getattr(getattr(owners, c.owner), c.counts), first, last,
                      c.what) for c in CHECKS]
    with db.transaction() as tx:
        ours = [c.ours(tx.cur, first, last) for c in CHECKS]
    found = [(d["day"], order, d["kind"], d) for order, c in enumerate(CHECKS)
             for d in c.differences(ours[order], theirs[order])]
    return {"differences": [d for *_, d in sorted(found, key=lambda f: f[:3])]}
