"""The workbench 工作台: the agent-state bar, the incoming-call panel with the live screen
pop, my queue with counts, and the inbox.  Each part is asked in parallel under a
deadline: a part whose service is slow or down shows 暂不可用 and the rest still works."""
from werkzeug.wrappers import Response

from services.common.errors import Invalid, NotFound
from services.common.rpc import gather_settled
from services.gateway.handlers import screen_pop
from services.gateway.pages import live
from services.gateway.pages.web import Visit, html, redirect

PART_SECONDS = 2.0
MY_TICKETS = 10
PARTS = {"counts": "队列计数", "mine": "我的工单", "inbox": "消息", "duty": "座席状态"}


def settle(visit: Visit, parts: dict) -> tuple[dict, list]:
    """{name: reply or None} for {name: (service, operation, args)}, and the names of
    the parts that failed or were late."""
    names = list(parts)
    replies = gather_settled(
        [(getattr(getattr(visit.service, service), operation), args, {})
         for service, operation, args in parts.values()], PART_SECONDS)
    shown: dict = {}
    missing: list = []
    for name, reply in zip(names, replies, strict=True):
        if isinstance(reply, Exception):
            shown[name] = None
            missing.append(name)
        else:
            shown[name] = reply
    return shown, missing


def _duty(visit: Visit, groups) -> bool | None:
    for group in groups or ():
        for member in group.get("members", ()):
            if member.get("staff_id") == visit.person.id:
                return bool(member.get("on_duty"))
    return None


def show(visit: Visit, request) -> Response:
    """工作台"""
    first_group = sorted(visit.person.groups)[:1]
    parts = {
        "counts": ("ticket", "queue_counts", ()),
        "mine": ("ticket", "list_tickets", ({"view": "mine", "limit": MY_TICKETS},)),
        "inbox": ("notify", "inbox", (20, False)),
    }
    if first_group:
        parts["duty"] = ("ticket", "group_duty", (first_group[0],))
    shown, missing = settle(visit, parts)
    inbox = (shown["inbox"] or {}).get("items") or []
    missing = [PARTS.get(name, name) for name in missing]
    return visit.render(
        "workbench.html", counts=shown["counts"], mine=(shown["mine"] or {}).get("tickets"),
        inbox=inbox, unread=sum(1 for item in inbox if not item.get("read_at")),
        on_duty=_duty(visit, [shown.get("duty")] if shown.get("duty") else ()),
        missing=missing)


def state(visit: Visit, request) -> Response:
    """置闲 / 置忙: on duty takes new tickets by rotation, busy does not."""
    on_duty = request.form.get("state") == "idle"
    visit.ask("ticket", "set_duty", {"on_duty": on_duty})
    return redirect("/", visit.htmx)


def inbox(visit: Visit, request) -> Response:
    """The inbox list and the bell's count (a fragment, refreshed every few seconds)."""
    shown, missing = settle(visit, {"inbox": ("notify", "inbox", (20, False))})
    items = (shown["inbox"] or {}).get("items") or []
    unread = sum(1 for item in items if not item.get("read_at"))
    if request.args.get("part") == "bell":
        return html(str(unread) if unread else "")
    return visit.render("inbox.html", inbox=items, missing=missing, unread=unread)


def read_notice(visit: Visit, request, item_id) -> Response:
    visit.ask("notify", "mark_read", item_id[:64])
    return inbox(visit, request)


def events(visit: Visit, request) -> Response:
    """The console's event stream (SSE): an incoming call for this person."""
    request.environ["eventlet.minimum_write_chunk_size"] = 0  # each push leaves at once
    body = live.stream(visit.service.live, visit.keys)
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def pop(visit: Visit, request, call_id) -> Response:
    """来电弹屏: the caller as the customer service finds them — none (a new-customer
    form with the number), one (the 360° card) or several (a list to choose from)."""
    call = visit.service.live.call_for(call_id[:100], visit.keys)
    if call is None:
        raise NotFound("no such call offered to you")
    found, error = None, ""
    if call["caller"]:
        try:
            found = screen_pop.screen_pop(visit.service.customer, visit.service.ticket,
                                          {"phone": call["caller"]}, visit.service.deadline)
        except Invalid:
            error = "号码无法识别"
    matches = (found or {}).get("matches") or []
    return visit.render("pop.html", call=call, matches=matches,
                        view=(found or {}).get("view"), error=error)
