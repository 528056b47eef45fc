"""Campaigns 市场活动 (issue 12, V5): the campaigns and a new one (its target list a
customer segment, taken as the bulk-send page takes it, frozen at creation and spread
over the agents picked — by group or by username); a campaign's page with its rates per
agent and its list; an agent's invitation call list (我的邀约) with the selected
customer's outcome form below it (invited or why not, accepted; at the campaign: gift,
coupon, satisfaction); and the door's check-in page (the SMS code typed into one big
input, the result shown large, the visit's outcome recorded there).

The new-campaign form carries an Idempotency-Key made when it was drawn, like the bulk
send's: a second submit is the same campaign.
"""
import datetime
import re
from urllib.parse import parse_qs, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError, NotFound
from services.common.zone import CHINA
from services.customer.contract.records import KINDS, LIFECYCLES
from services.gateway.handlers import console
from services.gateway.pages import followups
from services.gateway.pages.admin import whole
from services.gateway.pages.bulk_send import form_key, new_key, segment_of
from services.gateway.pages.message_templates import refused, said
from services.gateway.pages.web import Visit, redirect
from services.survey import contract as survey_contract
from services.survey.contract.campaigns import (
    FILTERS,
    NOT_INVITED,
    SATISFACTION,
    STATES,
    VENUES,
)
from services.vocabulary import OPERATORS

MAKERS = survey_contract.CAMPAIGN_MAKERS  # new campaigns, whole lists, rates
READERS = survey_contract.CAMPAIGN_READERS  # the campaigns one reaches
INVITERS = survey_contract.INVITERS  # 我的邀约
DOOR = OPERATORS  # check_in at the door, and the visit's outcome
PAGE = 50
# where a form goes back to: a page of ours, by a local path of plain characters only
# (no scheme, no host, no CR/LF)
BACK = re.compile(r"/campaigns[\w/?=&%.-]{0,300}", re.ASCII)
INVITATIONS = "/campaigns/invitations"


def _names(visit: Visit, invitations: list[dict]) -> dict[str, str]:
    """{customer id: name}, the cards read a few at a time (followups.customer_names)."""
    return followups.customer_names(visit, [i.get("customer_id") for i in invitations])


def back_of(form, default: str = INVITATIONS) -> str:
    """The page a form goes back to: `back` when it is a local path of ours, else the
    default."""
    back = form.get("back", "")
    return back if len(back) <= 310 and BACK.fullmatch(back) else default


def _done(target: str, code: str) -> str:
    return f"{target}{'&' if '?' in target else '?'}done={code}"


def china_time(text: str) -> str:
    """A datetime-local value (China time) as an aware ISO time."""
    text = text[:16]
    return text + ":00+08:00" if len(text) == 16 else text


# -- the campaigns --------------------------------------------------------------------------
def index(visit: Visit, request) -> Response:
    """市场活动: the campaigns newest first (an agent: those they call for)."""
    state = request.args.get("state", "")[:20]
    query: dict = {"limit": PAGE}
    if state in STATES:
        query["state"] = state
    cursor = request.args.get("cursor", "")[:200]
    if cursor:
        query["cursor"] = cursor
    error = ""
    try:
        found = visit.ask("survey", "campaigns", query)
    except KefuError as exc:
        found, error = {"campaigns": [], "next": None}, said(exc)
    return visit.render("campaigns.html", campaigns=found.get("campaigns", []),
                        next=found.get("next"), state=state, states=STATES, error=error,
                        makes=visit.may(MAKERS))


def _new_page(visit: Visit, values: dict, errors: dict, key: str, status=200) -> Response:
    return visit.render("campaign_new.html", status, values=values, errors=errors, key=key,
                        kinds=KINDS, lifecycles=LIFECYCLES, venues=VENUES,
                        groups=console.group_labels(visit.service.db))


def new(visit: Visit, request) -> Response:
    """新建活动: theme, dates, place, capacity, the segment, the callers."""
    starts, ends = default_window()
    return _new_page(visit, {"venue": "onsite", "capacity": "50", "starts_at": starts,
                             "ends_at": ends}, {}, new_key())


def posted(form, db) -> dict:
    """The campaign as the survey's CampaignIn takes it; Invalid for what the page
    itself refuses (no callers)."""
    data: dict = {"theme": form.get("theme", "")[:101].strip(),
                  "description": form.get("description", "")[:2001].strip(),
                  "starts_at": china_time(form.get("starts_at", "")),
                  "ends_at": china_time(form.get("ends_at", "")),
                  "venue": form.get("venue", "")[:20], "place": form.get("place", "")[:201]
                  .strip(), "capacity": whole(form.get("capacity", "")[:10]),
                  "segment": segment_of(form)}
    if not data["segment"] and form.get("everyone") == "yes":
        data["all_customers"] = True
    agents: list[str] = []
    group = form.get("agent_group", "")[:64]
    if group:
        agents += console.agents_of(db, group)
    typed = [n.strip() for n in form.get("agents", "")[:4000].replace("，", ",").split(",")
             if n.strip()][:200]
    agents += [console.staff_id(db, n) for n in typed]
    data["agent_ids"] = list(dict.fromkeys(agents))
    if not data["agent_ids"]:
        raise Invalid("no callers", {"agent_ids": ["请选择组或填写座席用户名"]})
    return data


def _values(form) -> dict:
    return {name: form.get(name, "")[:2001] for name in (
        "theme", "description", "starts_at", "ends_at", "venue", "place", "capacity",
        "kind", "region", "tags_any", "product", "no_contact_months", "agent_group",
        "agents")} | {"lifecycle": form.getlist("lifecycle")[:5],
                      "everyone": form.get("everyone") == "yes"}


def create(visit: Visit, request) -> Response:
    """The campaign made (its list freezing), then its page; refused, the form again."""
    form = request.form
    key = form_key(form)
    try:
        made = visit.ask("survey", "create_campaign", posted(form, visit.service.db), key)
    except KefuError as exc:
        return _new_page(visit, _values(form), refused(exc), key)
    return redirect(f"/campaigns/{made['id']}", visit.htmx)


def detail(visit: Visit, request, campaign_id) -> Response:
    """A campaign: what, when, where, its figures; for makers the rates per agent and the
    whole list (of one status), for an agent their part of it."""
    campaign_id = campaign_id[:64]
    campaign = visit.ask("survey", "get_campaign", campaign_id)
    status = request.args.get("status", "")[:20]
    query: dict = {"limit": PAGE}
    if status in FILTERS:
        query["status"] = status
    cursor = request.args.get("cursor", "")[:200]
    if cursor:
        query["cursor"] = cursor
    rates, error = None, ""
    try:
        if visit.may(MAKERS):
            found = visit.ask("survey", "campaign_invitations", campaign_id, query)
            rates = visit.ask("survey", "campaign_rates", campaign_id)
        else:
            found = visit.ask("survey", "my_invitations", {**query, "campaign_id": campaign_id})
    except KefuError as exc:
        found, error = {"invitations": [], "next": None}, said(exc)
    invitations = found.get("invitations", [])
    people = console.staff_names(visit.service.db, [
        *campaign.get("agent_ids", []), *(i.get("agent_id") for i in invitations)])
    return visit.render("campaign.html", campaign=campaign, rates=rates,
                        invitations=invitations, names=_names(visit, invitations),
                        people=people, status=status, filters=FILTERS,
                        next=found.get("next"), error=error)


# -- 我的邀约: the call list and the outcome form -----------------------------------------------
def invitations(visit: Visit, request, message: str = "", errors=None,
                values=None, selected_id: str = "", where=None) -> Response:
    """我的邀约: my call list (of one campaign, one status), the selected customer's
    form below it.  A refused form is drawn on the page it was sent from (`where`:
    the arguments of its `back`), the invitation selected; when it is on that page
    no longer, the refusal is said above the list."""
    args = request.args if where is None else where
    query: dict = {"limit": PAGE}
    status = args.get("status", "to_call")[:20]
    if status in FILTERS:
        query["status"] = status
    campaign_id = args.get("campaign_id", "")[:64]
    if campaign_id:
        query["campaign_id"] = campaign_id
    cursor = args.get("cursor", "")[:200]
    if cursor:
        query["cursor"] = cursor
    error = ""
    try:
        found = visit.ask("survey", "my_invitations", query)
    except KefuError as exc:
        found, error = {"invitations": [], "next": None}, said(exc)
    rows = found.get("invitations", [])
    selected_id = selected_id or args.get("selected", "")[:64]
    selected = next((i for i in rows if i["id"] == selected_id), None)
    if selected is None and rows and not errors:
        selected = rows[0] if status == "to_call" else None
    if errors and selected is None:  # the refused one is not on this page: say it here
        error = "；".join(r for reasons in errors.values() for r in reasons) or error
    return visit.render("invitations.html", invitations=rows, names=_names(visit, rows),
                        selected=selected, status=status, campaign_id=campaign_id,
                        cursor=cursor, filters=FILTERS, next=found.get("next"), error=error,
                        message=message or _DONE.get(request.args.get("done", ""), ""),
                        errors=errors or {}, values=values or {}, not_invited=NOT_INVITED,
                        levels=SATISFACTION)


_DONE = {"called": "已记录邀约结果", "outcome": "已记录到场情况"}


def record_call(visit: Visit, request, invitation_id) -> Response:
    """The invitation call recorded; the list again with the next customer selected."""
    form = request.form
    invited = form.get("invited")
    data: dict = {"invited": invited == "yes", "note": form.get("note", "")[:501].strip()}
    if invited == "yes":
        accepted = form.get("accepted")
        data["accepted"] = None if accepted not in ("yes", "no") else accepted == "yes"
    else:
        data["reason"] = form.get("reason", "")[:20] or None
    back = back_of(form)
    target = back if back.startswith(INVITATIONS) else INVITATIONS
    try:
        if invited not in ("yes", "no"):
            raise Invalid("say whether invited", {"invited": ["请选择是否邀约"]})
        visit.ask("survey", "record_invitation", invitation_id[:64], data)
    except NotFound:
        raise
    except KefuError as exc:
        return invitations(visit, request, errors=refused(exc), values=dict(form),
                           selected_id=invitation_id[:64], where=_where(target))
    return redirect(_done(target, "called"), visit.htmx)


def _where(target: str) -> MultiDict:
    """The arguments of a page of the call list (its tab, campaign and cursor)."""
    return MultiDict(parse_qs(urlsplit(target).query))


def record_outcome(visit: Visit, request, invitation_id) -> Response:
    """At the campaign: gift, coupon, satisfaction and why, for a customer who came."""
    form = request.form
    data = {"gift_taken": form.get("gift_taken") == "yes",
            "coupon_taken": form.get("coupon_taken") == "yes",
            "satisfaction": form.get("satisfaction", "")[:20],
            "reason": form.get("reason", "")[:501].strip()}
    back = back_of(form)
    door_of = re.fullmatch(r"/campaigns/([0-9a-fA-F-]{1,64})/check-in", back)
    try:
        visit.ask("survey", "record_visit_outcome", invitation_id[:64], data)
    except NotFound:
        raise
    except KefuError as exc:
        if door_of:
            return door(visit, request, door_of.group(1), refused_outcome=refused(exc),
                        invitation_id=invitation_id[:64])
        return invitations(visit, request, errors=refused(exc), values=dict(form),
                           selected_id=invitation_id[:64],
                           where=_where(back if back.startswith(INVITATIONS) else INVITATIONS))
    return redirect(_done(back, "outcome"), visit.htmx)


# -- the door --------------------------------------------------------------------------------
def door(visit: Visit, request, campaign_id, checked=None, error: str = "",
         refused_outcome=None, invitation_id: str = "") -> Response:
    """活动签到: one big input for the code the customer got by SMS; the result large."""
    campaign_id = campaign_id[:64]
    try:
        campaign = visit.ask("survey", "get_campaign", campaign_id)
    except NotFound:
        campaign = None  # at the door: one need not call for it to check people in
    name = ""
    if checked:
        invitation = checked["invitation"]
        name = _names(visit, [invitation]).get(invitation["customer_id"], "")
    return visit.render("checkin.html", campaign=campaign, campaign_id=campaign_id,
                        checked=checked, name=name, error=error, levels=SATISFACTION,
                        errors=refused_outcome or {}, invitation_id=invitation_id,
                        done=_DONE.get(request.args.get("done", ""), ""))


def check_in(visit: Visit, request, campaign_id) -> Response:
    """The code typed at the door: the customer checked in (once), or why not."""
    code = request.form.get("code", "")[:20].strip().replace(" ", "")
    try:
        checked = visit.ask("survey", "check_in", campaign_id[:64], {"code": code})
    except KefuError as exc:
        message = "签到码不正确，或不属于本活动" if isinstance(exc, NotFound) else said(exc)
        if isinstance(exc, Invalid):
            message = "请输入短信中的 6 位签到码"
        return door(visit, request, campaign_id, error=message)
    return door(visit, request, campaign_id, checked=checked)


def default_window() -> tuple[str, str]:
    """Next Saturday 09:30–17:00 (China), as the form's datetime-local values."""
    today = datetime.datetime.now(CHINA).date()
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)
    return f"{saturday.isoformat()}T09:30", f"{saturday.isoformat()}T17:00"
