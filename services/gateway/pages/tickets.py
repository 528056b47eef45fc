"""Tickets 工单: the queues, a new ticket (from a call or not), the detail page with the
actions the workflow allows this person."""
import datetime

from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError, NotFound
from services.common.rpc import gather_settled
from services.gateway.handlers import console
from services.gateway.pages import forms
from services.gateway.pages.web import Visit, invalid_fields, redirect
from services.gateway.pages.words import refusal

VIEWS = ("mine", "group_unassigned", "all")
FILTERS = ("view", "status", "kind", "urgency", "text", "cursor", "group")
MAX_FILTER = 200
PART_SECONDS = 2.0  # a part of a page waits this long; later, it shows as unavailable
MOVES = {"in_progress", "waiting", "resolved", "closed", "cancelled", "reopen"}


def index(visit: Visit, request) -> Response:
    """工单: a queue with its filters and counts, a page at a time (keyset)."""
    query = {name: request.args.get(name, "")[:MAX_FILTER] for name in FILTERS
             if request.args.get(name)}
    query.setdefault("view", "mine")
    query["limit"] = 50
    replies = gather_settled([(visit.service.ticket.list_tickets, (query,), {}),
                              (visit.service.ticket.queue_counts, (), {})], PART_SECONDS)
    page, counts = (None if isinstance(r, Exception) else r for r in replies)
    error = refusal(replies[0], 400) if isinstance(replies[0], Invalid | NotFound) else ""
    return visit.render("tickets.html", page=page or {"tickets": []}, query=query,
                        counts=counts, error=error, views=VIEWS,
                        unavailable=page is None and not error)


def _categories(visit: Visit) -> list[dict]:
    return visit.ask("ticket", "list_categories", {}).get("categories", [])


def new(visit: Visit, request, values=None, errors=None, status=200,
        categories=None) -> Response:
    """新建工单: kind, category and its form, the content with knowledge-base suggestions."""
    source = values or request.args
    customer_id = source.get("customer_id", "")[:64]
    card = visit.ask("customer", "get_card", customer_id) if customer_id else None
    categories = categories if categories is not None else _categories(visit)
    chosen = next((c for c in categories if c["id"] == source.get("category_id")), None)
    fields = forms.inputs(chosen["form"] if chosen else [],
                          (values or {}).get("form"), errors)
    return visit.render("ticket_new.html", status, card=card, categories=categories,
                        chosen=chosen, fields=fields, values=values or {},
                        call_id=source.get("call_id", "")[:100], errors=errors or {})


def form_fields(visit: Visit, request) -> Response:
    """The chosen category's fields (a fragment the new-ticket page swaps in)."""
    chosen = next((c for c in _categories(visit)
                   if c["id"] == request.args.get("category_id")), None)
    return visit.render("form_fields.html", fields=forms.inputs(chosen["form"] if chosen
                                                                 else []))


def suggest(visit: Visit, request) -> Response:
    """Knowledge-base articles for what is being typed (a fragment)."""
    text = request.args.get("content", "")[:2000].strip()
    articles = []
    if len(text) >= 2:
        try:
            articles = visit.ask("ticket", "kb_suggest", text, None,
                                 request.args.get("category_id") or None, 5)["articles"]
        except KefuError:
            articles = []
    return visit.render("suggestions.html", articles=articles)


def create(visit: Visit, request) -> Response:
    """Save a new ticket; from a call, its contact log entry is linked to it."""
    form = request.form
    categories = _categories(visit)
    chosen = next((c for c in categories if c["id"] == form.get("category_id")), None)
    data = {"customer_id": form.get("customer_id", "")[:64],
            "content": form.get("content", "")[:10001],
            "channel": form.get("channel") or "phone", "urgency": form.get("urgency") or "medium",
            "kind": chosen["kind"] if chosen else form.get("kind", "")[:32],
            "category_id": chosen["id"] if chosen else None,
            "subject": form.get("subject", "")[:201] or None,
            "form": forms.posted(chosen["form"], form) if chosen else {}}
    try:
        ticket = visit.ask("ticket", "create_ticket", data)
    except KefuError as exc:
        values = {**data, "call_id": form.get("call_id", ""), "category_id": form.get(
            "category_id", "")}
        return new(visit, request, values=values, errors=invalid_fields(exc),
                   categories=categories)
    call_id = form.get("call_id", "")[:100]
    if call_id:
        call = visit.service.live.call_for(call_id, visit.keys)
        visit.ask("ticket", "log_contact", {
            "channel": "phone", "direction": "in", "customer_id": data["customer_id"],
            "ticket_id": ticket["id"], "call_id": call_id, "agent_id": visit.person.id,
            "ivr_path": (call or {}).get("ivr_path", [])[:30], "note": "来电建单"})
    return redirect(f"/tickets/{ticket['id']}", visit.htmx)


def china_time(text: str) -> str:
    """A datetime-local input's value (China time, no offset) as an aware ISO time."""
    text = text[:16]
    return text + ":00+08:00" if len(text) == 16 else text


def detail(visit: Visit, request, ticket_id, message: str = "", status: int = 200) -> Response:
    """工单详情: the record, the whole trail and the allowed actions."""
    shown = visit.ask("ticket", "get_ticket", ticket_id[:64])
    return visit.render("ticket.html", status, detail=shown, ticket=shown["ticket"],
                        actions=shown.get("actions", []), message=message)


def act(visit: Visit, request, ticket_id, action) -> Response:
    """One action of the detail page; a refusal is shown on the page, in Chinese."""
    ticket_id, note = ticket_id[:64], request.form.get("note", "")[:2000]
    try:
        if action == "accept":
            visit.ask("ticket", "accept_ticket", ticket_id)
        elif action in MOVES:
            move = {"to": "in_progress" if action == "reopen" else action, "note": note}
            if action == "waiting":
                move["waiting_on"] = request.form.get("waiting_on") or "customer"
            visit.ask("ticket", "transition_ticket", ticket_id, move)
        elif action == "transfer":
            target = request.form.get("target", "")
            whom = request.form.get("whom", "")[:100].strip()
            order = {"note": note}
            if target == "person":
                whom = console.staff_id(visit.service.db, whom)
            order[{"person": "staff_id", "group": "group"}.get(target, "any_on_duty_of")] = whom
            visit.ask("ticket", "transfer_ticket", ticket_id, order)
        elif action == "dispatch":
            visit.ask("ticket", "dispatch_ticket", ticket_id, {
                "staff_id": console.staff_id(visit.service.db,
                                             request.form.get("staff_id", "")[:100]),
                "address": request.form.get("address", "")[:500].strip() or None,
                "window_start": china_time(request.form.get("window_start", "")),
                "window_end": china_time(request.form.get("window_end", "")),
                "note": note})
        elif action == "remind":
            visit.ask("ticket", "remind", ticket_id, {
                "in_minutes": int(request.form.get("in_minutes") or 30), "note": note})
        else:
            return detail(visit, request, ticket_id, "不支持的操作", 400)
    except (KefuError, ValueError) as exc:
        return detail(visit, request, ticket_id, refusal(exc, 409), 409)
    return redirect(f"/tickets/{ticket_id}", visit.htmx)



def repeats(visit: Visit, request) -> Response:
    """The repeat warning before saving: this customer's tickets of the kind within the
    kind's repeat window (the rules an admin sets), newest first (a fragment)."""
    customer_id = request.args.get("customer_id", "")[:64]
    kind = request.args.get("kind", "")[:32]
    category_id = request.args.get("category_id", "")[:64]
    if category_id:
        chosen = next((c for c in _categories(visit) if c["id"] == category_id), None)
        kind = chosen["kind"] if chosen else kind
    rules = {r["kind"]: r for r in visit.ask("ticket", "repeat_rules").get("rules", [])}
    days = rules.get(kind, {}).get("window_days", 0)
    earlier: list = []
    if customer_id and days:
        since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
        try:
            earlier = visit.ask("ticket", "list_tickets", {
                "view": "all", "customer_id": customer_id, "kind": kind,
                "accepted_from": since.isoformat(), "limit": 10})["tickets"]
        except KefuError:
            earlier = []
    return visit.render("repeat_warning.html", earlier=earlier, days=days, kind=kind)
