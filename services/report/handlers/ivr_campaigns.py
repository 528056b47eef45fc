"""Use cases of the keypad-offer 满意度发送率 and campaign statistics (issue 13, R1, R2,
R4).

A live snapshot (ivr_offer_updated; campaign_invitation_updated or a frozen page's
campaign_invitations_listed) is merged into its record's fact under the record's lock —
an offer's rated kept as old OR new, an invitation replaced only by a newer revision —
and the rollup gains the delta in the same transaction, so duplicates and order change
nothing.  A rebuild's pages (the survey service's report_ivr_offers /
report_invitations) keep facts only, stamped with its generation; its end corrects the
rollups (handlers/rebuild.py).  The figures are read from the rollups in the caller's
scope: an agent their own, a supervisor their groups', managers up, admins and
auditors all — and invitations never above the reader's clearance.
"""
import datetime

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.report.domain import figures as figure_rules
from services.report.domain import ivr_campaigns as rules
from services.report.domain import survey as survey_rules
from services.report.domain.figures import MAX_POINTS
from services.report.store import facts as fact_store
from services.report.store import ivr_campaigns as store
from services.survey.contract.report_feed import ReportInvitations, ReportOffers

OFFERS, INVITATIONS = "ivr_offers", "invitations"  # feed sources (as_of, the lag gauge)
TABLES = rules.TABLES


def _lag(occurred_at: datetime.datetime) -> float:
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())


# -- offers ---------------------------------------------------------------------------------
def _merge_offers(cur, offers: list[dict], generation: int) -> list[tuple]:
    """Each offer's snapshot merged into its fact (the caller holds the locks): the
    changed facts kept and stamped, the unchanged stamped; the (old, new) pairs of the
    changed."""
    told: dict[str, dict] = {}
    for o in offers:
        fact = rules.offer_fact(o)
        told[fact["offer_id"]] = rules.merged_offer(told.get(fact["offer_id"]), fact)
    ids = sorted(told)
    kept = {f["offer_id"]: f for f in store.offers_of(cur, ids)}
    pairs = []
    for offer_id in ids:
        old = kept.get(offer_id)
        new = rules.merged_offer(old, told[offer_id])
        if old is None or any(old[k] != new[k] for k in ("rated", *rules.OFFER_KEY)):
            pairs.append((old, new))
    store.put_offers(cur, [new for _, new in pairs], generation)
    store.stamp_offers(cur, ids, generation)
    return pairs


def offer_updated(tx, offer: dict, occurred_at: datetime.datetime) -> float:
    """A live offer snapshot (IvrOfferUpdated, loaded): merged, the rollup kept by the
    delta; the feed advanced.  The lag."""
    cur = tx.cur
    fact_store.lock_briefly(cur)
    store.lock(cur, [rules.offer_lock(offer["offer_id"])])
    pairs = _merge_offers(cur, [offer], fact_store.current_generation(cur))
    store.add(cur, rules.IVR_OFFER_DAY,
              rules.rows(rules.IVR_OFFER_DAY, rules.deltas(rules.IVR_OFFER_DAY, pairs)))
    fact_store.advance_feed(cur, OFFERS, occurred_at)
    return _lag(occurred_at)


def keep_offers(tx, offers: list[dict], generation: int) -> int:
    """A rebuild's page of offers: merged and stamped, no rollup touched."""
    cur = tx.cur
    ids = sorted({o["offer_id"] for o in offers})
    store.lock(cur, sorted(rules.offer_lock(i) for i in ids))
    _merge_offers(cur, offers, generation)
    return len(ids)


# -- invitations ----------------------------------------------------------------------------
def _merge_invitations(cur, snapshots: list[dict], generation: int) -> list[tuple]:
    """Each invitation's newest snapshot replacing its fact when newer (the caller holds
    the locks); every one stamped; the (old, new) pairs of the replaced."""
    told = rules.newest([rules.invitation_fact(s) for s in snapshots])
    ids = sorted(told)
    kept = {f["invitation_id"]: f for f in store.invitations_of(cur, ids)}
    pairs = [(kept.get(i), told[i]) for i in ids if rules.replaces(kept.get(i), told[i])]
    store.put_invitations(cur, [new for _, new in pairs], generation)
    store.stamp_invitations(cur, ids, generation)
    return pairs


def invitations_updated(tx, snapshots: list[dict], occurred_at: datetime.datetime) -> float:
    """Live invitation snapshots (one updated, or a frozen page): each fact replaced by a
    newer revision only, the rollup kept by the deltas; the feed advanced.  The lag."""
    cur = tx.cur
    fact_store.lock_briefly(cur)
    store.lock(cur, sorted({rules.invitation_lock(s["invitation_id"]) for s in snapshots}))
    pairs = _merge_invitations(cur, snapshots, fact_store.current_generation(cur))
    store.add(cur, rules.CAMPAIGN_ROLLUP,
              rules.rows(rules.CAMPAIGN_ROLLUP, rules.deltas(rules.CAMPAIGN_ROLLUP, pairs)))
    fact_store.advance_feed(cur, INVITATIONS, occurred_at)
    return _lag(occurred_at)


def keep_invitations(tx, snapshots: list[dict], generation: int) -> int:
    """A rebuild's page of invitations: each fact replaced when newer and stamped, no
    rollup touched."""
    cur = tx.cur
    store.lock(cur, sorted({rules.invitation_lock(s["invitation_id"]) for s in snapshots}))
    _merge_invitations(cur, snapshots, generation)
    return len({s["invitation_id"] for s in snapshots})


# -- the figures (R2) ------------------------------------------------------------------------
def _as_of(tx, source: str):
    position = fact_store.feed_position(tx.cur, source)
    return position["last_occurred_at"] if position else None


def ivr_offer_figures(tx, principal: Principal, query: dict) -> dict:
    """IvrOfferFigures: offered, rated and the rating rate by period, agent, group,
    kind, in the caller's scope."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    figure_rules.check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    scope = figure_rules.scope_of(principal.id, principal.roles, principal.groups)
    filters = {f: query.get(f) for f in ("group_name", "agent_id", "ticket_kind")}
    figure_rules.within_scope(scope, filters)
    if scope.agent_id:
        filters["agent_id"] = scope.agent_id
    groups = list(scope.groups) if scope.groups is not None else None
    agent = filters.get("agent_id")
    if groups is not None and agent and not store.agent_offered_in_groups(tx.cur, agent,
                                                                          groups):
        raise NotFound("no such agent in your scope")
    found = store.offer_counts(tx.cur, by, period, first, last, filters, groups)
    table = survey_rules.table_of(found, by, rules.OFFER_DIMENSIONS, rules.OFFER_COUNTERS,
                                  rules.offer_figures, rules.OFFER_COLUMNS, first, last,
                                  period)
    return {"from_day": first, "to_day": last, "period": period,
            "as_of": _as_of(tx, OFFERS), **table}


def campaign_figures(tx, principal: Principal, query: dict) -> dict:
    """CampaignFigures: each campaign starting in the range (and each agent of it, by
    agent) with its counts and rates, over the invitations in the caller's scope at or
    below their clearance."""
    first, last = query["from_day"], query["to_day"]
    figure_rules.check_range(first, last)
    by_agent = "agent" in query["by"]
    scope = figure_rules.scope_of(principal.id, principal.roles, principal.groups)
    filters = {f: query.get(f) for f in ("campaign_id", "agent_id", "group_name")}
    figure_rules.within_scope(scope, filters)
    if scope.agent_id:
        filters["agent_id"] = scope.agent_id
    groups = list(scope.groups) if scope.groups is not None else None
    found = store.campaign_counts(tx.cur, first, last, by_agent, filters, groups,
                                  int(principal.clearance), MAX_POINTS + 1)
    if len(found) > MAX_POINTS:
        raise Invalid("the answer would be too large", {
            ("by" if by_agent else "from"): [
                f"more than {MAX_POINTS} rows: ask a shorter range or one campaign"]})
    if not found and (query.get("agent_id") or query.get("campaign_id")) and (
            scope.agent_id or groups is not None):
        raise NotFound("nothing of this campaign or agent in your scope")
    return {"from_day": first, "to_day": last, "as_of": _as_of(tx, INVITATIONS),
            **rules.campaign_table(found, by_agent)}


# -- the rebuild and the check (handlers/rebuild.py SOURCES, CHECKS) ----------------------
OFFER_PAGE, INVITATION_PAGE = ReportOffers(), ReportInvitations()


def keep_offer_page(tx, records: list, generation: int, settings: dict) -> int:
    """A page of the survey's report_ivr_offers, checked by its schema, kept."""
    return keep_offers(tx, OFFER_PAGE.load({"ivr_offers": records})["ivr_offers"],
                       generation)


def keep_invitation_page(tx, records: list, generation: int, settings: dict) -> int:
    """A page of the survey's report_invitations, checked by its schema, kept."""
    return keep_invitations(tx, INVITATION_PAGE.load({"invitations": records})["invitations"],
                            generation)


def offer_sums(cur, first, last) -> list:
    """Per day: offered, rated (the check's measures)."""
    return store.offer_day_sums(cur, first, last)


def campaign_sums(cur, first, last) -> list:
    """Per campaign starting over the days: total, called, invited, accepted, came,
    with an outcome, satisfied."""
    return store.campaign_sums(cur, first, last)


offer_differences = rules.offer_differences
campaign_differences = rules.campaign_differences
