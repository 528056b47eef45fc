"""Customers 客户: search (name, pinyin, initials, part of a phone, number), the card and
— for those cleared, with the reason the borrowing log keeps — the archive; a new
customer from a call nobody matched."""
from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.web import Visit, invalid_fields, redirect
from services.gateway.pages.words import refusal


def index(visit: Visit, request) -> Response:
    """客户查询"""
    text = request.args.get("q", "")[:100].strip()
    found, error = None, ""
    if text:
        try:
            found = visit.ask("customer", "search_customers", {"q": text, "limit": 50})
        except KefuError as exc:
            error = refusal(exc, 400)
    return visit.render("customers.html", q=text, found=found, error=error)


def card(visit: Visit, request, customer_id) -> Response:
    """The customer: card, archive (cleared readers, with a reason), tickets and contacts."""
    customer_id = customer_id[:64]
    reason = request.args.get("reason", "")[:500].strip()
    customer = visit.ask("customer", "get_customer", customer_id, reason)
    overview, missing = None, []
    try:
        overview = visit.ask("ticket", "customer_overview", customer_id, 10, timeout=2.0)
    except KefuError:
        missing.append("tickets")
    template = "customer_card.html" if visit.htmx else "customer.html"
    return visit.render(template, customer=customer, overview=overview, missing=missing,
                        reason=reason)


def create(visit: Visit, request) -> Response:
    """A new customer (from the pop: the caller's number filled in), then a ticket."""
    form = request.form
    data = {"kind": "person", "name": form.get("name", "")[:201].strip(),
            "phones": [p[:50] for p in form.getlist("phone") if p.strip()][:10],
            "region": form.get("region", "")[:200].strip()}
    if not data["region"]:
        del data["region"]
    call_id = form.get("call_id", "")[:100]
    try:
        customer = visit.ask("customer", "create_customer", data)
    except KefuError as exc:
        return visit.render("customer_new.html", values=data, errors=invalid_fields(exc),
                            call_id=call_id)
    target = f"/tickets/new?customer_id={customer['id']}"
    return redirect(target + (f"&call_id={call_id}" if call_id else ""), visit.htmx)
