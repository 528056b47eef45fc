"""The customer archive's desk work 客户档案管理: change history, records due for review,
borrowing requests and their approval, import (column mapping, dry run, the bad rows,
upload progress) and export."""
from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError
from services.customer import contract as customer_contract
from services.customer.contract.imports import LABELS as IMPORT_FIELDS
from services.gateway.http import download, export_query, import_upload
from services.gateway.pages.web import Visit, invalid_fields, redirect
from services.gateway.pages.words import refusal
from services.vocabulary import MANAGERS_UP

LOG_READERS = customer_contract.LOG_READERS
IMPORTERS = customer_contract.IMPORTERS
MAX_MAPPED = 256


def history(visit: Visit, request, customer_id) -> Response:
    """变更历史"""
    customer_id = customer_id[:64]
    card = visit.ask("customer", "get_card", customer_id)
    entries = visit.ask("customer", "history", customer_id, 200)["entries"]
    return visit.render("customer_history.html", customer=card, entries=entries)


def review_due(visit: Visit, request) -> Response:
    """待复核: records not reviewed for three months, oldest first."""
    months = request.args.get("months", "3")
    found = visit.ask("customer", "review_due", int(months) if months.isdigit() else 3, 200)
    return visit.render("customer_review.html", customers=found["customers"],
                        months=months if months.isdigit() else "3")


def mark_reviewed(visit: Visit, request, customer_id) -> Response:
    visit.ask("customer", "mark_reviewed", customer_id[:64])
    return redirect("/customers/review", visit.htmx)


def access_requests(visit: Visit, request, message: str = "") -> Response:
    """借阅申请: requests to borrow a top-secret archive, to approve or reject."""
    status = request.args.get("status", "pending")[:20]
    listed = visit.ask("customer", "access_requests", status if status != "all" else None, 200)
    return visit.render("access_requests.html", requests=listed["requests"], status=status,
                        message=message, may_decide=visit.may(MANAGERS_UP))


def request_access(visit: Visit, request, customer_id) -> Response:
    """A manager asks to borrow an archive for some hours, saying why."""
    hours = request.form.get("hours", "")
    try:
        visit.ask("customer", "request_access", {
            "customer_id": customer_id[:64], "reason": request.form.get("reason", "")[:500],
            "hours": int(hours) if hours.isdigit() else hours[:8]})
    except KefuError as exc:
        return access_requests(visit, request, refusal(exc, 400))
    return redirect("/customers/access-requests", visit.htmx)


def decide(visit: Visit, request, request_id) -> Response:
    decision = "approve" if request.form.get("decision") == "approve" else "reject"
    try:
        visit.ask("customer", "decide_access_request", request_id[:64], {"decision": decision})
    except KefuError as exc:
        return access_requests(visit, request, refusal(exc, 409))
    return redirect("/customers/access-requests", visit.htmx)


def import_form(visit: Visit, request) -> Response:
    """导入客户: choose a file, check it (a dry run), map its columns, import."""
    return visit.render("customer_import.html", result=None, errors={})


def mapping(form) -> dict:
    """{column header: field or None} from the mapping selects (`map.<header>`)."""
    chosen: dict = {}
    for key in list(form.keys())[:MAX_MAPPED * 2]:
        if key.startswith("map.") and len(chosen) < MAX_MAPPED:
            chosen[key[4:][:200]] = form.get(key)[:50] or None
    return chosen


def upload(visit: Visit, request) -> Response:
    """The dry run's or the import's result, as a fragment under the form (which keeps
    the chosen file, so mapping and importing need no second choosing)."""
    try:
        data = import_upload(request)
        data["mapping"] = mapping(request.form) or data["mapping"]
        data["dry_run"] = request.form.get("action") != "import"
        result = visit.ask("customer", "import_customers", data, timeout=120.0)
    except KefuError as exc:
        errors = invalid_fields(exc)
        return visit.render("import_result.html", result=None, errors=errors,
                            message=refusal(exc, 400))
    return visit.render("import_result.html", result=result, errors={}, message="",
                        fields=IMPORT_FIELDS)


def export_form(visit: Visit, request) -> Response:
    """导出客户: a segment as CSV or XLSX."""
    return visit.render("customer_export.html", errors={})


def export(visit: Visit, request) -> Response:
    try:
        query = export_query(request)
        return download(visit.ask("customer", "export_customers",
                                  {k: v for k, v in query.items() if v}, timeout=120.0))
    except (KefuError, Invalid) as exc:
        return visit.render("customer_export.html", errors=invalid_fields(exc))

