"""Campaigns 市场活动 (V5): how a frozen list is spread over agents, what reaches whom,
what an invitation call and a check-in do, check-in codes, and the rates.  No I/O.

Spread: the agents in a stable order (by id), the customers in the segment's order;
the customer at position p goes to agent p mod n — round-robin, so two agents' lists
differ by at most one, and freezing again gives the same lists.

Scope (in every statement's WHERE, by the store): an agent reaches the invitations on
their own list, a supervisor also those of their groups' agents, managers up and admins
every one; an invitation above the reader's clearance does not exist for them.
"""
import datetime
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Iterable

from services.common.errors import Conflict, Invalid, NotFound
from services.common.identity import Principal
from services.common.zone import CHINA
from services.survey.contract.campaigns import CALL_AGAIN
from services.survey.domain.satisfaction import percent
from services.survey.domain.tasks import ERASED, check_key
from services.vocabulary import ADMINS, MANAGERS_UP, SUPERVISORS_UP

CODE_DIGITS = 6
CODE_TRIES = 50
CHECKIN_GUESS_LIMIT = 10          # wrong codes per campaign, caller and window
CHECKIN_GUESS_WINDOW_SECONDS = 600
FREEZE_TRIES = 8                  # troubles in a row (with back-off) before the list fails
MAX_CAMPAIGN_LIST = 200_000       # customers a list may hold (config MAX_CAMPAIGN_LIST)
EVENT_NAMESPACE = uuid.UUID("5b0c3f3e-6a53-4c0e-9d5e-3a4f1c2b7d10")
COUNTED = ("total", "called", "invited", "accepted", "came", "with_outcome", "satisfied",
           "gift_taken", "coupon_taken")
__all__ = ["ERASED"]


# -- creating --------------------------------------------------------------------------

def request_key(principal: Principal, key: str | None, data: dict) -> str:
    """The campaign's key: the caller's Idempotency-Key, or (none given) the request
    itself — the same request retried by the same caller is the same campaign."""
    check_key(key)
    if key is None:
        key = "sha256:" + hashlib.sha256(json.dumps(
            data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
    return f"{principal.id}:{key}"


def agent_order(agent_ids: Iterable[str]) -> list[str]:
    """The stable order invitations are dealt in."""
    return sorted(set(agent_ids))


def check_agents(agent_ids: list[str], active: set[str]) -> None:
    """Every agent named is an active agent (the staff read model), else Invalid."""
    unknown = [a for a in agent_ids if a not in active]
    if unknown:
        raise Invalid("not active agents", {"agent_ids": [
            "not an active agent: " + ", ".join(unknown[:10])
            + (f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else "")]})


def dealt_to(agents: list[str], position: int) -> str:
    """The agent the customer at `position` (0-based, in segment order) goes to.
    The unit of dealing is the agent alone: the staff read model knows no clearance, so
    a customer above an agent's clearance is dealt to them all the same (and is not
    listed for them — scope() hides it)."""
    return agents[position % len(agents)]


def frozen_query(segment: dict, created_at: datetime.datetime) -> dict:
    """The segment (as loaded) to freeze: only customers created before the campaign
    (a customer added later is not in its list, however long the freeze takes)."""
    before = segment.get("created_before")
    if before is None or before > created_at:
        before = created_at
    return {**segment, "created_before": before}


def check_list_size(size: int, most: int) -> None:
    """A list holds at most `most` customers (MAX_CAMPAIGN_LIST): past it, the segment
    is refused (the freeze fails, saying so)."""
    if size > most:
        raise Invalid("the segment selects too many customers", {"segment": [
            f"more than {most} customers (MAX_CAMPAIGN_LIST); narrow the segment"]})


def invitations(campaign_id: str, agents: list[str], groups: dict[str, list[str]],
                customers: list[dict], first_position: int) -> list[dict]:
    """The invitation rows of one page of the segment ({id, level} each), dealt from
    `first_position` on."""
    rows = []
    for i, customer in enumerate(customers):
        position = first_position + i
        agent = dealt_to(agents, position)
        rows.append({"campaign_id": campaign_id, "position": position,
                     "customer_id": str(customer["id"]),
                     "level": int(customer.get("level") or 0),
                     "agent_id": agent, "groups": groups.get(agent, [])})
    return rows


# -- reading ---------------------------------------------------------------------------

def scope(principal: Principal) -> dict:
    """The invitations a caller reaches, as the store renders it."""
    everything = principal.is_system or principal.has_any(MANAGERS_UP | ADMINS)
    groups = sorted(principal.groups) if principal.has_any(SUPERVISORS_UP) else []
    return {"all": everything, "staff_id": principal.id, "groups": groups,
            "clearance": principal.clearance}


def campaign_scope(principal: Principal) -> dict:
    """The campaigns a caller reaches: supervisors up and admins every one, an agent
    those they call for."""
    every = principal.is_system or principal.has_any(SUPERVISORS_UP | ADMINS)
    return {"all": every, "staff_id": principal.id}


def in_scope(principal: Principal, invitation: dict) -> bool:
    """Whether the invitation is in the caller's scope (the reference of store.SCOPE)."""
    reach = scope(principal)
    return invitation["level"] <= reach["clearance"] and (
        reach["all"] or invitation["agent_id"] == principal.id
        or bool(set(invitation.get("groups") or ()) & set(reach["groups"])))


def found(row: dict | None, what: str = "invitation") -> dict:
    if row is None:
        raise NotFound(f"no such {what}")
    return row


def status(invitation: dict) -> str:
    """to_call / not_invited / declined / accepted / came."""
    if invitation["came"]:
        return "came"
    if invitation["accepted"]:
        return "accepted"
    if invitation["invited"]:
        return "declined"
    if invitation["invited"] is False:
        return "not_invited"
    return "to_call"


def in_filter(invitation: dict, wanted: str) -> bool:
    """Whether an invitation is in a list filter (the reference of the store's SQL)."""
    if wanted == "to_call":
        return invitation.get("erased_at") is None and (
            invitation["invited"] is None
            or (invitation["invited"] is False and invitation["reason"] in CALL_AGAIN))
    if wanted == "invited":
        return bool(invitation["invited"])
    return status(invitation) == wanted or (wanted == "accepted" and invitation["came"])


def shown(invitation: dict) -> dict:
    return {**invitation, "status": status(invitation),
            "erased": invitation.get("erased_at") is not None}


DOOR_FIELDS = ("id", "campaign_id", "theme", "starts_at", "status", "came",
               "checked_in_at")


def at_the_door(principal: Principal, invitation: dict) -> dict:
    """The invitation a door check-in (or the outcome its door staff records) answers:
    in the caller's scope all of it; out of it only what the door needs — which
    invitation, of which campaign, its status and when it checked in; not who, not the
    notes, not who called."""
    shown_ = shown(invitation)
    if in_scope(principal, invitation):
        return shown_
    return {k: shown_[k] for k in DOOR_FIELDS if k in shown_}


# -- the invitation call ----------------------------------------------------------------

def check_not_ended(campaign: dict, now: datetime.datetime) -> None:
    """Calls, acceptances and check-ins end with the campaign: Conflict naming its end."""
    if now >= campaign["ends_at"]:
        raise Conflict("the campaign has ended", {"ends_at": [
            "the campaign ended at " + campaign["ends_at"].astimezone(CHINA).isoformat()]})


def door_opens(campaign: dict) -> datetime.datetime:
    """The door opens on the campaign's first day in China (00:00 of starts_at's day)."""
    day = campaign["starts_at"].astimezone(CHINA).date()
    return datetime.datetime.combine(day, datetime.time(), CHINA)


def check_door_open(campaign: dict, now: datetime.datetime) -> None:
    """Check-in on the day(s) of the campaign only: from its first day in China through
    its end (Conflict naming starts_at or ends_at)."""
    check_not_ended(campaign, now)
    if now < door_opens(campaign):
        raise Conflict("the campaign has not begun", {"starts_at": [
            "check-in opens on " + door_opens(campaign).date().isoformat()]})


def check_callable(invitation: dict, list_state: str) -> None:
    if list_state != "frozen":
        raise Conflict("the campaign's list is not frozen")
    if invitation.get("erased_at") is not None:
        raise Conflict("the customer's record was destroyed")
    if invitation["came"]:
        raise Conflict("the customer already came")


def call_effect(invitation: dict, call: dict) -> dict:
    """The columns an invitation call sets (the code is the handler's, made once)."""
    return {"invited": call["invited"],
            "reason": None if call["invited"] else call["reason"],
            "note": call["note"],
            "accepted": bool(call["accepted"]) if call["invited"] else None}


def newly_accepted(invitation: dict, call: dict) -> bool:
    """An acceptance that takes a place (one already accepted holds its place)."""
    return bool(call["invited"] and call["accepted"] and not invitation["accepted"])


def check_capacity(accepted: int, capacity: int) -> None:
    if accepted >= capacity:
        raise Conflict("the campaign is full", {"capacity": [
            f"{accepted} of {capacity} places taken"]})


def new_code(taken: Callable[[str], bool]) -> str:
    """A 6-digit check-in code (from `secrets`) not taken in the campaign."""
    for _ in range(CODE_TRIES):
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if not taken(code):
            return code
    raise Conflict("no free check-in code; try again")


def accepted_event_id(invitation_id: str) -> str:
    """The acceptance event's id: one per invitation, the same whenever asked."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"accepted:{invitation_id}"))


def check_outcome_allowed(invitation: dict) -> None:
    if not invitation["came"]:
        raise Conflict("only a customer who came has a visit outcome", {
            "invitation_id": ["not checked in"]})
    if invitation.get("erased_at") is not None:
        raise Conflict("the customer's record was destroyed")


# -- rates -----------------------------------------------------------------------------

def empty_counts() -> dict:
    return dict.fromkeys(COUNTED, 0)


def counts(invitations_: Iterable[dict]) -> dict:
    """The counts of a list (the reference the store's one aggregate must equal)."""
    c = empty_counts()
    for i in invitations_:
        c["total"] += 1
        c["called"] += i["invited"] is not None
        c["invited"] += bool(i["invited"])
        c["accepted"] += bool(i["accepted"])
        c["came"] += bool(i["came"])
        c["with_outcome"] += i["satisfaction"] is not None
        c["satisfied"] += i["satisfaction"] == "satisfied"
        c["gift_taken"] += bool(i["gift_taken"])
        c["coupon_taken"] += bool(i["coupon_taken"])
    return c


def figures(c: dict) -> dict:
    """The counts and the rates from them, in per cent (null with nothing behind)."""
    return {**{k: int(c.get(k) or 0) for k in COUNTED},
            "invitation_rate": percent(c["invited"], c["total"]),
            "acceptance_rate": percent(c["accepted"], c["invited"]),
            "attendance_rate": percent(c["came"], c["accepted"]),
            "satisfaction_rate": percent(c["satisfied"], c["with_outcome"])}


def rate_scope(principal: Principal, agents: list[str],
               groups: dict[str, list[str]]) -> list[str]:
    """The agents whose rates a reader sees: managers up and admins every agent of the
    campaign, a supervisor those in their groups (the staff read model), anyone else
    themselves only."""
    reach = scope(principal)
    if reach["all"]:
        return list(agents)
    mine = set(reach["groups"])
    return [a for a in agents if a == principal.id or set(groups.get(a) or ()) & mine]


def total(by_agent: dict[str, dict]) -> dict:
    """The sum of agents' counts."""
    c = empty_counts()
    for counted in by_agent.values():
        for k in COUNTED:
            c[k] += int(counted.get(k) or 0)
    return c


def per_agent(agents: list[str], by_agent: dict[str, dict]) -> list[dict]:
    """Each agent of the campaign with their figures (an agent with no invitation:
    zeros), by agent id."""
    return [{"agent_id": a, **figures(by_agent.get(a) or empty_counts())}
            for a in agent_order(agents)]
