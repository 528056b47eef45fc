"""The keypad's rating offers 满意度发送率 and the campaigns' rates (issue 13, R1, R2, R4),
no I/O: what one offer and one invitation add to their rollups, and their figures.

An offer (ivr_offer_updated, a snapshot) counts on the China day it was offered, by
agent, group and ticket kind: offered 1; rated 1 once it was rated.  Its dimensions
never change and `rated` only turns true, so the fact kept is the first snapshot's
dimensions with rated = old OR new: duplicates and order change nothing.
An invitation (campaign_invitation_updated / campaign_invitations_listed, snapshots
with a `revision`) is the snapshot of the highest revision seen (an older or equal one
changes nothing).  It counts in its campaign, on the campaign's China start day, for
its agent, the agent's groups (as frozen) and its level — as the survey's
campaign_rates counts a list (services/survey/domain/campaigns.py `counts`): total 1,
called 1 once the call's outcome is recorded (invited true or false), invited,
accepted, came, with_outcome 1 with a satisfaction, satisfied 1 when 'satisfied',
gift_taken, coupon_taken; a closed invitation (a merge left its customer two) counts
nowhere.  Every rollup row is the sum of the facts' contributions; a changed fact adds
`delta(table, old, new)`.
"""
import datetime
import hashlib

from services.common.zone import CHINA
from services.report.domain.survey import differences, percent

IVR_OFFER_DAY, CAMPAIGN_ROLLUP = "ivr_offer_day", "campaign_rollup"
TABLES = (IVR_OFFER_DAY, CAMPAIGN_ROLLUP)
OFFER_KEY = ("day", "agent_id", "group_name", "ticket_kind")
OFFER_COUNTERS = ("offered", "rated")
CAMPAIGN_KEY = ("campaign_id", "campaign_day", "agent_id", "groups", "level")
CAMPAIGN_COUNTERS = ("total", "called", "invited", "accepted", "came", "with_outcome",
                     "satisfied", "gift_taken", "coupon_taken")
KEYS = {IVR_OFFER_DAY: OFFER_KEY, CAMPAIGN_ROLLUP: CAMPAIGN_KEY}
COUNTERS = {IVR_OFFER_DAY: OFFER_COUNTERS, CAMPAIGN_ROLLUP: CAMPAIGN_COUNTERS}

Contribution = dict[tuple, dict[str, int]]


def _lock(kind: str, record_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}:{record_id}".encode(),
                                          digest_size=8).digest(), "big", signed=True)


def offer_lock(offer_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one offer's fact."""
    return _lock("ivr_offer", offer_id)


def invitation_lock(invitation_id: str) -> int:
    """A signed 64-bit key for the transaction lock on one invitation's fact."""
    return _lock("invitation", invitation_id)


def _day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


# -- offers ---------------------------------------------------------------------------------
def offer_fact(offer: dict) -> dict:
    """The fact of an offer's snapshot (IvrOfferUpdated, loaded)."""
    return {"offer_id": offer["offer_id"], "day": _day(offer["offered_at"]),
            "agent_id": offer.get("agent_id") or "",
            "group_name": offer.get("group_name") or "",
            "ticket_kind": offer.get("ticket_kind") or "", "offered": 1,
            "rated": int(bool(offer.get("rated")))}


def merged_offer(old: dict | None, new: dict) -> dict:
    """The offer's fact with a snapshot told: the first one's dimensions (they never
    change), rated once either says so."""
    if old is None:
        return new
    return {**{k: old[k] for k in ("offer_id", *OFFER_KEY)}, "offered": 1,
            "rated": int(bool(old["rated"] or new["rated"]))}


# -- invitations ----------------------------------------------------------------------------
def invitation_fact(snapshot: dict) -> dict:
    """The fact of an invitation's snapshot (InvitationSnapshot, loaded)."""
    counted = not snapshot.get("closed")
    satisfaction = snapshot.get("satisfaction")

    def n(flag) -> int:
        return int(bool(counted and flag))
    return {"invitation_id": snapshot["invitation_id"],
            "campaign_id": snapshot["campaign_id"],
            "campaign_day": _day(snapshot["campaign_starts_at"]),
            "agent_id": snapshot.get("agent_id") or "",
            "groups": tuple(snapshot.get("groups") or ()),
            "level": int(snapshot.get("level") or 0), "revision": int(snapshot["revision"]),
            "total": n(True), "called": n(snapshot.get("invited") is not None),
            "invited": n(snapshot.get("invited")), "accepted": n(snapshot.get("accepted")),
            "came": n(snapshot.get("came")), "with_outcome": n(satisfaction is not None),
            "satisfied": n(satisfaction == "satisfied"),
            "gift_taken": n(snapshot.get("gift_taken")),
            "coupon_taken": n(snapshot.get("coupon_taken"))}


def newest(facts: list[dict]) -> dict[str, dict]:
    """Of several snapshots' facts, each invitation's of the highest revision."""
    out: dict[str, dict] = {}
    for f in facts:
        kept = out.get(f["invitation_id"])
        if kept is None or f["revision"] > kept["revision"]:
            out[f["invitation_id"]] = f
    return out


def replaces(old: dict | None, new: dict) -> bool:
    """Whether a snapshot's fact replaces the one kept: only a newer revision does."""
    return old is None or new["revision"] > old["revision"]


# -- rollups --------------------------------------------------------------------------------
def contribution(table: str, fact: dict | None) -> Contribution:
    """{key: counters} one fact adds to its rollup (None, or a closed invitation:
    nothing)."""
    if fact is None:
        return {}
    counters = {c: int(fact[c]) for c in COUNTERS[table]}
    if not any(counters.values()):
        return {}
    key = tuple(tuple(fact[k]) if k == "groups" else fact[k] for k in KEYS[table])
    return {key: counters}


def _summed(table: str, signed: list[tuple[int, dict | None]]) -> Contribution:
    out: Contribution = {}
    for sign, fact in signed:
        for key, counters in contribution(table, fact).items():
            row = out.setdefault(key, dict.fromkeys(COUNTERS[table], 0))
            for name, n in counters.items():
                row[name] += sign * n
    return {k: c for k, c in out.items() if any(c.values())}


def delta(table: str, old: dict | None, new: dict | None) -> Contribution:
    """What the rollup gains when a fact changes from `old` to `new` (rows summing to
    zero left out)."""
    return _summed(table, [(1, new), (-1, old)])


def deltas(table: str, pairs: list[tuple[dict | None, dict | None]]) -> Contribution:
    """The sum of several facts' changes (old, new)."""
    return _summed(table, [(s, f) for old, new in pairs for s, f in ((1, new), (-1, old))])


def summed(table: str, facts: list[dict]) -> Contribution:
    """The reference: a rollup as the sum of the facts' contributions."""
    return _summed(table, [(1, f) for f in facts])


def rows(table: str, change: Contribution) -> list[tuple]:
    """(key..., counters...) rows in key order, as the store adds them (groups as a
    list: an array)."""
    return [(*(list(v) if isinstance(v, tuple) else v for v in key),
             *(change[key][c] for c in COUNTERS[table])) for key in sorted(change)]


# -- the figures as read (R2) --------------------------------------------------------------
OFFER_DIMENSIONS = {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind"}
OFFER_COLUMNS = ("offered", "rated", "rating_rate")


def offer_figures(s: dict) -> list:
    """offered, rated and the share of offered calls rated, per cent (the survey's
    rated_share; null: none offered)."""
    return [s["offered"], s["rated"], percent(s["rated"], s["offered"])]


CAMPAIGN_DIMENSIONS = ("agent",)
CAMPAIGN_COLUMNS = ("total", "called", "invited", "accepted", "came", "with_outcome",
                    "satisfied", "gift_taken", "coupon_taken", "invitation_rate",
                    "acceptance_rate", "attendance_rate", "satisfaction_rate")


def campaign_figures(c: dict) -> list:
    """The counts and the survey's rates (services/survey/domain/campaigns.py `figures`,
    per cent, null with nothing behind): invited / total, accepted / invited, came /
    accepted, satisfied / with an outcome."""
    return [*(int(c[k] or 0) for k in CAMPAIGN_COUNTERS),
            percent(c["invited"], c["total"]), percent(c["accepted"], c["invited"]),
            percent(c["came"], c["accepted"]), percent(c["satisfied"], c["with_outcome"])]


def campaign_table(found: list[dict], by_agent: bool) -> dict:
    """{columns, rows}: each campaign (by start day, then id) and, by agent, each agent
    of it with something counted, with its figures."""
    fields = ["campaign_id", "campaign_day", *(["agent_id"] if by_agent else [])]
    return {"columns": [*fields, *CAMPAIGN_COLUMNS],
            "rows": [[r["campaign_id"], r["campaign_day"].isoformat(),
                      *([r["agent_id"]] if by_agent else []), *campaign_figures(r)]
                     for r in found]}


# -- the check against the owner (R4) ------------------------------------------------------
OFFER_KIND = "ivr_offers"
OFFER_CHECKED = OFFER_COUNTERS
CAMPAIGN_CHECKED = ("total", "called", "invited", "accepted", "came", "with_outcome",
                    "satisfied")


def offer_differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (day, measure) where our offered / rated and the survey's differ."""
    return differences(OFFER_KIND, OFFER_CHECKED, ours, owner)


def campaign_kind(campaign_id: str) -> str:
    return f"campaign {campaign_id}"


def _as_day(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def campaign_differences(ours: list[dict], owner: list[dict]) -> list[dict]:
    """Each (campaign, measure) where our counts and the survey's differ (a missing
    campaign counts 0), on the campaign's start day, kind 'campaign <id>'."""
    mine = {(_as_day(r["day"]), r["campaign_id"]): r for r in ours}
    theirs = {(_as_day(r["day"]), r["campaign_id"]): r for r in owner}
    out = []
    for d, campaign_id in sorted(set(mine) | set(theirs)):
        a, b = mine.get((d, campaign_id), {}), theirs.get((d, campaign_id), {})
        for measure in CAMPAIGN_CHECKED:
            if (a.get(measure) or 0) != (b.get(measure) or 0):
                out.append({"day": d, "kind": campaign_kind(campaign_id),
                            "measure": measure, "ours": a.get(measure) or 0,
                            "owner": b.get(measure) or 0})
    return out
