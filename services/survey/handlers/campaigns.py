"""Use cases of campaigns 市场活动 (V5): create one (its list frozen right after by a
timer, from the customer service's segment, as the survey's system identity), read
campaigns and call lists, record invitation calls (an acceptance makes the check-in code
once and tells notify through the outbox), check in at the door, record the visit's
outcome, the rates; what a customer's lifecycle does to invitations."""
import datetime
import logging
import time

import eventlet

from services.common.errors import (
    DeadlineExceeded,
    Invalid,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from services.common.identity import Principal
from services.common.paging import decode_cursor, encode_cursor, moment, number, row_id
from services.common.rpc import BROKER_DOWN, expiring
from services.survey.contract.events import CampaignInvitationAccepted
from services.survey.domain import campaigns as rules
from services.survey.domain import links
from services.survey.domain.tasks import check_key
from services.survey.handlers.report_feed import tell_invitations, tell_listed
from services.survey.store import campaigns as store

log = logging.getLogger(__name__)
ACCEPTED = CampaignInvitationAccepted()
SEGMENT_PAGE = 1000       # customers per segment_contacts page (its most)
SEGMENT_TIMEOUT = 30.0
FREEZE_SECONDS = 60.0     # one freezing tick works at most this long before the next
INVITATION_CURSOR = (moment, number, row_id)


# -- creating and freezing --------------------------------------------------------------

def create_campaign(tx, principal: Principal, data: dict, idempotency_key: str | None
                    ) -> dict:
    """The campaign, its list to be frozen (list_state freezing); a repeated key (or the
    same request again) answers the first."""
    key = rules.request_key(principal, idempotency_key, data)
    campaign_id = store.by_key(tx.cur, key)
    if campaign_id is None:
        rules.check_agents(data["agent_ids"], store.active_agents(tx.cur, data["agent_ids"]))
        campaign_id = _insert(tx, principal, key, data)
    return _with_figures(tx, principal, [rules.found(store.get(
        tx.cur, campaign_id, {"all": True, "staff_id": principal.id}), "campaign")])[0]


def _insert(tx, principal: Principal, key: str, data: dict) -> str:
    created_at = store.now(tx.cur)
    segment = _plain(rules.frozen_query(data["segment"], created_at))
    campaign_id, _made = store.insert(tx.cur, {
        "request_key": key, "theme": data["theme"], "description": data["description"],
        "starts_at": data["starts_at"], "ends_at": data["ends_at"], "venue": data["venue"],
        "place": data["place"], "capacity": data["capacity"], "segment": segment,
        "agent_ids": rules.agent_order(data["agent_ids"]),
        "created_by": principal.id, "created_at": created_at})
    return campaign_id


def _plain(value):
    """JSON-ready: dates and moments as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def freeze(db, customers, tries: int = rules.FREEZE_TRIES,
           most: int = rules.MAX_CAMPAIGN_LIST) -> int:
    """Freeze the lists waiting (the timer, the survey's system identity): how many
    were frozen.  Each list is frozen whole in one transaction — every page of the
    segment streamed from the customer service, every customer one invitation dealt to
    the next agent in turn — or not at all: a failed try is rolled back to a savepoint
    and recorded, backed off, in the same transaction (the campaign still locked, so no
    other replica retries it at once); a segment the customer service refuses, or one
    of more than `most` customers, fails the list at once."""
    deadline = time.monotonic() + FREEZE_SECONDS
    frozen = 0
    while time.monotonic() < deadline:
        picked: dict = {}
        try:
            done = _freeze_one(db, customers, picked, tries, most)
        except Exception as exc:  # noqa: BLE001 — the connection itself failed: retried
            if "id" not in picked:
                raise
            log.warning("campaign %s: its list could not be frozen: %r", picked["id"], exc)
            with db.transaction() as tx:
                _trouble(tx, picked["id"], exc, tries)
            continue
        if done is None:
            break
        frozen += done
    return frozen


def _trouble(tx, campaign_id: str, exc: Exception, tries: int) -> None:
    if isinstance(exc, Invalid):  # the segment itself: nothing will change that
        store.set_failed(tx.cur, campaign_id, f"名单冻结失败：{exc.message} {exc.fields}"[:500])
    else:
        store.freeze_trouble(tx.cur, campaign_id, f"名单冻结出错：{exc}"[:500], tries)


def _freeze_one(db, customers, picked: dict, tries: int, most: int) -> bool | None:
    """One list frozen (True), or its try failed and recorded (False); None: no list
    waits."""
    with db.transaction() as tx:
        campaign = store.claim_freezing(tx.cur)
        if campaign is None:
            return None
        picked["id"] = campaign["id"]
        store.savepoint(tx.cur)
        try:
            position, seconds = _fill(tx, customers, campaign, most)
        except Exception as exc:  # noqa: BLE001 — any trouble: undone, counted, retried
            store.back_to_savepoint(tx.cur)
            log.warning("campaign %s: its list could not be frozen: %r", campaign["id"], exc)
            _trouble(tx, campaign["id"], exc, tries)
            return False
        store.set_frozen(tx.cur, campaign["id"])
        log.info("campaign %s: %d invitations frozen over %d agents in %.1f s",
                 campaign["id"], position, len(campaign["agent_ids"]), seconds)
        return True


def _fill(tx, customers, campaign: dict, most: int) -> tuple[int, float]:
    """The campaign's invitations, page by page of its segment: how many, how long."""
    agents = rules.agent_order(campaign["agent_ids"])
    groups = store.groups_of(tx.cur, agents)
    query = {**campaign["segment"], "limit": SEGMENT_PAGE,
             "purpose": f"市场活动邀约名单 {campaign['id']}"}
    position, started = 0, time.monotonic()
    asked = _ask(customers, query)
    while asked is not None:
        page = _answer(asked)
        asked = None
        rules.check_list_size(position + len(page["customers"]), most)
        if page["cursor"] is not None:  # the next page comes while this one goes in
            asked = _ask(customers, {**query, "cursor": page["cursor"]})
        added = store.insert_invitations(tx.cur, rules.invitations(
            campaign["id"], agents, groups, page["customers"], position))
        tell_listed(tx, campaign["id"], position, position + added)  # the report's count
        position += added
    return position, time.monotonic() - started


def _ask(customers, query: dict):
    """A page of the segment asked for (segment_contacts), not waited for."""
    try:
        return expiring(customers.segment_contacts, SEGMENT_TIMEOUT).call_async(query)
    except BROKER_DOWN as exc:
        raise Unavailable("message broker unavailable") from exc


def _answer(asked) -> dict:
    with eventlet.Timeout(SEGMENT_TIMEOUT, DeadlineExceeded(
            f"no segment page within {SEGMENT_TIMEOUT:g}s")):
        return asked.result()


# -- reading ------------------------------------------------------------------------------

def _with_figures(tx, principal: Principal, campaigns: list[dict]) -> list[dict]:
    """The campaigns with the figures of their lists up to the reader's clearance."""
    found = store.counts(tx.cur, [c["id"] for c in campaigns], principal.clearance) \
        if campaigns else {}
    return [{**c, "figures": rules.figures(found.get(c["id"]) or rules.empty_counts())}
            for c in campaigns]


def _campaign(tx, principal: Principal, campaign_id: str, lock: bool = False) -> dict:
    return rules.found(store.get(tx.cur, campaign_id, rules.campaign_scope(principal),
                                 lock), "campaign")


def campaigns(tx, principal: Principal, query: dict) -> dict:
    """Campaigns newest first (an agent: those they call for), of one state if asked."""
    rows = store.page(tx.cur, rules.campaign_scope(principal), query["state"],
                      decode_cursor(query["cursor"]), query["limit"])
    following = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) \
        if len(rows) == query["limit"] else None
    return {"campaigns": _with_figures(tx, principal, rows), "next": following}


def get_campaign(tx, principal: Principal, campaign_id: str) -> dict:
    return _with_figures(tx, principal, [_campaign(tx, principal, campaign_id)])[0]


def _invitations(tx, principal: Principal, where: dict, query: dict) -> dict:
    after = decode_cursor(query["cursor"], parts=INVITATION_CURSOR)
    rows = store.invitations_page(tx.cur, {**rules.scope(principal), **where,
                                           "status": query["status"]},
                                  after, query["limit"])
    following = encode_cursor(rows[-1]["created_at"], rows[-1]["position"], rows[-1]["id"]) \
        if len(rows) == query["limit"] else None
    return {"invitations": [rules.shown(r) for r in rows], "next": following}


def my_invitations(tx, principal: Principal, query: dict) -> dict:
    """The caller's own call list (of one campaign, of one status, if asked)."""
    campaign_id = str(query["campaign_id"]) if query["campaign_id"] else None
    return _invitations(tx, principal, {"mine": True, "campaign_id": campaign_id}, query)


def campaign_invitations(tx, principal: Principal, campaign_id: str, query: dict) -> dict:
    """One campaign's list in the caller's scope (of one agent, one status if asked)."""
    _campaign(tx, principal, campaign_id)
    return _invitations(tx, principal, {"campaign_id": campaign_id,
                                        "agent_id": query["agent_id"]}, query)


def _invitation(tx, principal: Principal, invitation_id: str, lock: bool = False) -> dict:
    return rules.found(store.get_invitation(tx.cur, invitation_id, rules.scope(principal),
                                            lock))


# -- the invitation call ------------------------------------------------------------------

def record_invitation(tx, principal: Principal, invitation_id: str, data: dict,
                      idempotency_key: str | None = None) -> dict:
    """The call on an invitation of the caller's scope, until the campaign ends
    (Conflict naming ends_at).  Accepting takes a place (the campaign locked:
    acceptances queue up; past capacity, Conflict naming capacity), makes the check-in
    code at the first acceptance and publishes campaign_invitation_accepted then —
    once: a retry keeps the code and tells nobody again.  A retry with the same
    Idempotency-Key answers the invitation again and counts no second call."""
    check_key(idempotency_key)
    invitation = _invitation(tx, principal, invitation_id)
    if idempotency_key and _called(tx, principal, idempotency_key, invitation_id):
        return rules.shown(invitation)
    campaign = rules.found(store.get(tx.cur, invitation["campaign_id"], {"all": True,
                                     "staff_id": principal.id}, lock=True), "campaign")
    invitation = _invitation(tx, principal, invitation_id, lock=True)  # after the campaign
    if idempotency_key and (_called(tx, principal, idempotency_key, invitation_id)
                            or not store.remember_call(tx.cur, principal.id,
                                                       idempotency_key, invitation_id)):
        return rules.shown(invitation)  # the same call, just recorded by its twin
    rules.check_callable(invitation, campaign["list_state"])
    rules.check_not_ended(campaign, store.now(tx.cur))
    code = None
    if rules.newly_accepted(invitation, data):
        rules.check_capacity(store.accepted_count(tx.cur, campaign["id"]),
                             campaign["capacity"])
        if invitation["checkin_code"] is None:
            code = rules.new_code(lambda c: store.code_taken(tx.cur, campaign["id"], c))
    store.record_call(tx.cur, invitation["id"], principal.id,
                      rules.call_effect(invitation, data), code)
    recorded = _invitation(tx, principal, invitation_id)
    tell_invitations(tx, [recorded["id"]])
    if code is not None:
        tx.emit("campaign_invitation_accepted", ACCEPTED.dump({
            "event_id": rules.accepted_event_id(recorded["id"]),
            "campaign_id": campaign["id"], "invitation_id": recorded["id"],
            "customer_id": recorded["customer_id"], "level": recorded["level"],
            "theme": campaign["theme"], "starts_at": campaign["starts_at"],
            "place": campaign["place"], "checkin_code": code}))
    return rules.shown(recorded)


def _called(tx, principal: Principal, key: str, invitation_id: str) -> bool:
    """Whether the call with this key was recorded (on this invitation; a key used on
    another one is Invalid)."""
    earlier = store.call_by_key(tx.cur, principal.id, key)
    if earlier is not None and earlier != invitation_id:
        raise Invalid("this Idempotency-Key was used for another invitation",
                      {"idempotency_key": ["used for another invitation"]})
    return earlier is not None


# -- at the door --------------------------------------------------------------------------

def check_in(db, principal: Principal, campaign_id: str, data: dict,
             limits: tuple[int, int]) -> dict:
    """A customer at the door, by their code (any operator) or by the invitation's id
    (in the caller's scope): came, once — on the campaign's day(s) only (Conflict
    naming starts_at or ends_at).  A wrong code or id (or one of a destroyed customer)
    is NotFound and counted against the caller in this campaign; past the limit every
    try is TooManyRequests until the window ends.  The count is the gate: its row is
    locked by every try of the caller, so parallel tries queue up and each sees the
    ones before it.  Out of the caller's scope the answer says only what the door
    needs (rules.at_the_door)."""
    limit, window = limits
    refusal = None
    with db.transaction() as tx:
        campaign = _campaign_for_door(tx, principal, campaign_id)
        now = store.now(tx.cur)
        start = links.window_start(now, window)
        if links.blocked(store.lock_bad_codes(tx.cur, campaign_id, principal.id, start),
                         limit):
            raise TooManyRequests("too many wrong check-in codes; try again later")
        rules.check_door_open(campaign, now)
        if "code" in data:
            invitation = store.by_code(tx.cur, campaign_id, data["code"])
        else:
            invitation = store.get_invitation(tx.cur, str(data["invitation_id"]),
                                              rules.scope(principal), lock=True)
            if invitation is not None and (invitation["campaign_id"] != campaign_id
                                           or not invitation["accepted"]
                                           or invitation["erased_at"] is not None):
                invitation = None
        if invitation is None:
            store.count_bad_code(tx.cur, campaign_id, principal.id, start)
            refusal = NotFound("no accepted invitation with this code", {
                "code" if "code" in data else "invitation_id": ["not found"]})
        else:
            first = store.check_in(tx.cur, invitation["id"], principal.id)
            if first:
                tell_invitations(tx, [invitation["id"]])
            shown = rules.at_the_door(principal, store.checked_in(tx.cur, invitation["id"]))
            return {"invitation": shown, "already_checked_in": not first}
    raise refusal


def _campaign_for_door(tx, principal: Principal, campaign_id: str) -> dict:
    campaign = rules.found(store.get(tx.cur, campaign_id, {"all": True,
                                     "staff_id": principal.id}), "campaign")
    if campaign["list_state"] != "frozen":
        raise NotFound("no such campaign")
    return campaign


def record_visit_outcome(tx, principal: Principal, invitation_id: str, data: dict) -> dict:
    """Gift, coupon, satisfaction and why, for an invitation of the caller's scope — or
    one the caller checked in at the door — whose customer came (Conflict otherwise).
    Door staff out of the scope are answered what the door needs only."""
    invitation = rules.found(store.get_invitation(
        tx.cur, invitation_id, rules.scope(principal), lock=True, door=True))
    rules.check_outcome_allowed(invitation)
    store.record_outcome(tx.cur, invitation["id"], principal.id, data)
    tell_invitations(tx, [invitation["id"]])
    return rules.at_the_door(principal, store.checked_in(tx.cur, invitation["id"]))


# -- rates --------------------------------------------------------------------------------

def campaign_rates(tx, principal: Principal, campaign_id: str) -> dict:
    """The figures and each agent's, with the counts behind each, over the reader's
    scope: managers up and admins every agent, a supervisor their groups' agents (and
    the totals over them); never above the reader's clearance."""
    campaign = _campaign(tx, principal, campaign_id)
    by_agent = store.counts_by_agent(tx.cur, campaign_id, rules.scope(principal))
    agents = sorted(set(campaign["agent_ids"]) | set(by_agent))
    agents = rules.rate_scope(principal, agents, store.groups_of(tx.cur, agents))
    by_agent = {a: c for a, c in by_agent.items() if a in set(agents)}
    return {"campaign_id": campaign_id, "theme": campaign["theme"],
            "figures": rules.figures(rules.total(by_agent)),
            "agents": rules.per_agent(agents, by_agent)}


# -- a customer's lifecycle (C4, C6, C8) ------------------------------------------------

def customer_level(tx, customer_id: str) -> int:
    """C4: the customer's invitations take the level the survey keeps for them."""
    store.wait_for_freezing(tx.cur)
    changed = store.follow_level(tx.cur, customer_id)
    tell_invitations(tx, changed)  # the report counts by level
    return len(changed)


def customer_destroyed(tx, customer_id: str) -> int:
    """C6: the notes and reasons of the customer's invitations become '[已销毁]'; they
    leave the call lists."""
    store.wait_for_freezing(tx.cur)
    return store.erase_customer(tx.cur, customer_id, rules.ERASED)


def customer_merged(tx, merged_id: str, survivor_id: str) -> int:
    """C8: the merged-away customer's invitations now belong to the survivor (two in
    one campaign: the more advanced stays, the other is closed)."""
    store.wait_for_freezing(tx.cur)
    closed: list[str] = []
    moved = store.repoint_customer(tx.cur, merged_id, survivor_id, closed)
    tell_invitations(tx, closed)  # a closed invitation counts nowhere
    return moved


def list_limit(config: dict) -> int:
    """The most customers a campaign's list may hold (MAX_CAMPAIGN_LIST)."""
    return int(config.get("MAX_CAMPAIGN_LIST") or rules.MAX_CAMPAIGN_LIST)


def settings(config: dict) -> tuple[int, int]:
    """Wrong check-in codes a caller may send per campaign and window (10 per 600 s)."""
    return (int(config.get("CHECKIN_GUESS_LIMIT") or rules.CHECKIN_GUESS_LIMIT),
            int(config.get("CHECKIN_GUESS_WINDOW_SECONDS")
                or rules.CHECKIN_GUESS_WINDOW_SECONDS))
