"""Field staff 上门服务: my jobs and the handling record, on a phone."""
from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.web import Visit, invalid_fields, redirect

MAX_PARTS = 20


def index(visit: Visit, request, errors=None, failed_id: str = "", status: int = 200) -> Response:
    """我的任务"""
    jobs = visit.ask("ticket", "my_jobs", 50)
    return visit.render("jobs.html", status, jobs=jobs.get("dispatches", []),
                        errors=errors or {}, failed_id=failed_id)


def record(visit: Visit, request, dispatch_id) -> Response:
    """The handling record of one job: done or not (why), parts, fee, paid, a note."""
    form = request.form
    parts = []
    for name, quantity, price in zip(form.getlist("part_name")[:MAX_PARTS],
                                     form.getlist("part_quantity")[:MAX_PARTS],
                                     form.getlist("part_price")[:MAX_PARTS], strict=False):
        if not name.strip():
            continue
        part = {"name": name[:200].strip(), "quantity": quantity[:12].strip() or "1"}
        if price.strip():
            part["price"] = price[:20].strip()
        parts.append(part)
    data = {"done": form.get("done") == "yes", "reason": form.get("reason", "")[:1000],
            "note": form.get("note", "")[:2000], "fee": form.get("fee", "").strip()[:20] or "0",
            "paid": form.get("paid") == "on", "parts": parts}
    try:
        visit.ask("ticket", "record_handling", dispatch_id[:64], data)
    except KefuError as exc:
        return index(visit, request, invalid_fields(exc), dispatch_id[:64])
    return redirect("/jobs", visit.htmx)
