"""A customer's messages 消息记录 on the customer card (issue 11, N3/N4): what was sent to
them and how it went, and their opt-outs with buttons to opt out or back in.

A part of its own, loaded by the card after it is drawn (htmx): the notify service being
slow or down shows 暂不可用 there and never holds up the card.  The messages and the
opt-outs are asked in parallel under the workbench's part deadline.
"""
from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.message_templates import said
from services.gateway.pages.web import Visit, redirect
from services.gateway.pages.workbench import settle
from services.notify.contract.preferences import CUSTOMER_CHANNELS, SCOPES
from services.vocabulary import AUDITOR, FRONT_LINE

READERS = FRONT_LINE | {AUDITOR}  # the contract's MESSAGE_READERS
SETTERS = FRONT_LINE  # set_preference
PAGE = 20
MAX_NOTE = 500


def _part(visit: Visit, request, customer_id: str, message: str = "",
          error: str = "") -> Response:
    query: dict = {"customer_id": customer_id, "limit": PAGE}
    before = request.args.get("before", "")[:200]
    if before:
        query["before"] = before
    shown, missing = settle(visit, {
        "messages": ("notify", "messages", (query,)),
        "preferences": ("notify", "preferences", (customer_id,))})
    messages = shown["messages"] or {}
    opt_outs = (shown["preferences"] or {}).get("opt_outs") or []
    return visit.render(
        "customer_messages.html", customer_id=customer_id,
        messages=messages.get("messages") or [], next=messages.get("next"), before=before,
        opt_outs=opt_outs, opted={o.get("channel") for o in opt_outs}, missing=missing,
        channels=CUSTOMER_CHANNELS, scopes=SCOPES, setters=sorted(SETTERS),
        message=message, error=error)


def part(visit: Visit, request, customer_id) -> Response:
    """消息记录: the customer's messages, newest first (?before=<next>), and opt-outs."""
    return _part(visit, request, customer_id[:64])


def set_preference(visit: Visit, request, customer_id) -> Response:
    """Opt the customer out of a channel's marketing or all of it, or back in (scope
    empty); the part again (htmx) or the card."""
    customer_id = customer_id[:64]
    form = request.form
    scope = form.get("scope", "")[:20] or None
    data = {"channel": form.get("channel", "")[:20], "scope": scope,
            "note": form.get("note", "")[:MAX_NOTE].strip()}
    try:
        visit.ask("notify", "set_preference", customer_id, data)
    except KefuError as exc:
        if not visit.htmx:
            raise  # a whole page: the console's error page says why
        return _part(visit, request, customer_id, error=said(exc))
    if not visit.htmx:
        return redirect(f"/customers/{customer_id}#customer-messages")
    return _part(visit, request, customer_id, "已恢复接收" if scope is None else "已退订")
