"""Knowledge base 知识库: search, read, the most asked, and — for editors — write with
versions (an edit names the version it started from; someone else's edit meanwhile is a
refusal, not a lost change)."""
import datetime
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages.web import Visit, invalid_fields, redirect
from services.gateway.pages.words import refusal
from services.vocabulary import ADMINS, SUPERVISORS_UP

EDITORS = SUPERVISORS_UP | ADMINS
CHINA = ZoneInfo("Asia/Shanghai")
RANKING_DAYS = 30
MAX_TAGS = 20


def index(visit: Visit, request) -> Response:
    """知识库: search (or the newest), and the most asked topics of the last 30 days."""
    query = {"q": request.args.get("q", "")[:200].strip(), "limit": 20}
    if request.args.get("before"):
        query["before"] = request.args["before"][:100]
    if request.args.get("status") and visit.may(EDITORS):
        query["status"] = request.args["status"][:20]
    error = ""
    found: dict = {"articles": []}
    try:
        found = visit.ask("ticket", "kb_search", query)
    except KefuError as exc:
        error = refusal(exc, 400)
    today = datetime.datetime.now(CHINA).date()
    try:
        ranking = visit.ask("ticket", "kb_ranking", {
            "from": (today - datetime.timedelta(days=RANKING_DAYS - 1)).isoformat(),
            "to": today.isoformat(), "limit": 10}, timeout=2.0)
    except KefuError:
        ranking = None
    return visit.render("kb.html", query=query, found=found, ranking=ranking, error=error,
                        editor=visit.may(EDITORS), shown_status=query.get("status", ""))


def article(visit: Visit, request, article_id) -> Response:
    """An article to read; editors see its versions and may edit it."""
    article_id = article_id[:64]
    shown = visit.ask("ticket", "kb_article", article_id)
    versions = visit.ask("ticket", "kb_versions", article_id)["versions"] \
        if visit.may(EDITORS) else []
    number = request.args.get("version", "")
    old = visit.ask("ticket", "kb_version", article_id, int(number)) \
        if number.isdigit() and visit.may(EDITORS) else None
    return visit.render("kb_article.html", article=shown, versions=versions, old=old,
                        editor=visit.may(EDITORS))


def _posted(form) -> dict:
    tags = [t.strip()[:50] for t in form.get("tags", "").replace("，", ",").split(",")
            if t.strip()][:MAX_TAGS]
    return {"title": form.get("title", "")[:201].strip(), "body": form.get("body", "")[:50001],
            "tags": tags}


def editor(visit: Visit, request, article_id=None) -> Response:
    """The edit form (a new article without an id)."""
    shown = visit.ask("ticket", "kb_article", article_id[:64]) if article_id else {}
    return visit.render("kb_edit.html", article=shown, values=shown, errors={})


def save(visit: Visit, request, article_id=None) -> Response:
    """Save a new article (a draft) or the next version of one; publish when asked."""
    data = _posted(request.form)
    try:
        if article_id:
            base = request.form.get("base_version", "")
            if base.isdigit():
                data["base_version"] = int(base)
            saved = visit.ask("ticket", "kb_update_article", article_id[:64], data)
        else:
            saved = visit.ask("ticket", "kb_create_article", data)
        if request.form.get("publish") == "yes":
            saved = visit.ask("ticket", "kb_publish", saved["id"])
    except KefuError as exc:
        shown = {"id": article_id, "version": request.form.get("base_version")} \
            if article_id else {}
        return visit.render("kb_edit.html", article=shown, values=data,
                            errors=invalid_fields(exc))
    return redirect(f"/kb/{saved['id']}", visit.htmx)
