"""Bulk send 群发 (issue 11, N3; supervisors up): a template to a customer segment, the
batch's progress refreshing itself until every message is done, the recent batches.

The form carries an Idempotency-Key made when it was drawn (a hidden field): a second
submit of the same form — a double click, a retry after a slow answer — is the same
batch, not another one.  A refused form keeps its key (nothing was made).  A segment
with no filter at all is every customer: it must be asked for in so many words.
"""
import re
import uuid

from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError
from services.customer.contract.records import KINDS, LIFECYCLES
from services.gateway.pages.admin import whole
from services.gateway.pages.message_templates import params_from_lines, refused, said
from services.gateway.pages.web import Visit, redirect
from services.vocabulary import SUPERVISORS_UP

SENDERS = SUPERVISORS_UP  # the contract's BULK_SENDERS
CUSTOMER_CHANNELS = ("sms", "email")
RECENT = 20
STATUSES = ("queued", "sending", "sent", "delivered", "failed", "skipped")
_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_TAGS = re.compile(r"[,，、]+")


def new_key() -> str:
    return uuid.uuid4().hex


def segment_of(form) -> dict:
    """The customer filters of the form as the customer service's SegmentQuery takes
    them (an empty filter left out)."""
    segment: dict = {}
    kind = form.get("kind", "")[:20]
    if kind:
        segment["kind"] = kind
    lifecycle = [v[:20] for v in form.getlist("lifecycle") if v][:len(LIFECYCLES) + 1]
    if lifecycle:
        segment["lifecycle"] = lifecycle
    for name, limit in (("region", 200), ("product", 200)):
        text = form.get(name, "")[:limit + 1].strip()
        if text:
            segment[name] = text
    tags = [t.strip()[:51] for t in _TAGS.split(form.get("tags_any", "")[:2000]) if t.strip()]
    if tags:
        segment["tags_any"] = tags[:21]
    months = form.get("no_contact_months", "")[:10].strip()
    if months:
        segment["no_contact_months"] = whole(months)
    return segment


def posted(form) -> dict:
    """The batch as the notify service's BatchIn takes it; Invalid for what the page
    itself refuses: parameter lines, a segment without a filter not asked for."""
    channel, _, name = form.get("template", "")[:80].partition(":")
    data = {"template": name.strip(), "channel": channel.strip(),
            "title": form.get("title", "")[:201].strip(), "segment": segment_of(form)}
    errors: dict = {}
    try:
        data["params"] = params_from_lines(form.get("params", ""))
    except Invalid as exc:
        errors.update(exc.fields)
    if not data["segment"]:
        if form.get("everyone") == "yes":
            data["all_customers"] = True
        else:
            errors["segment"] = ["请至少填写一个筛选条件，或勾选“发送给全部客户”"]
    if not data["template"]:
        errors["template"] = ["请选择模板"]
    if errors:
        raise Invalid("invalid input", errors)
    return data


def form_key(form) -> str:
    """The form's Idempotency-Key (a fresh one when it has none that could be one)."""
    key = form.get("idempotency_key", "")[:64]
    return key if _KEY.match(key) else new_key()


def _form_values(form) -> dict:
    """What the form showed, to show it again."""
    return {"template": form.get("template", "")[:80], "title": form.get("title", "")[:201],
            "kind": form.get("kind", "")[:20], "lifecycle": form.getlist("lifecycle")[:5],
            "region": form.get("region", "")[:201], "tags_any": form.get("tags_any", "")[:2000],
            "product": form.get("product", "")[:201],
            "no_contact_months": form.get("no_contact_months", "")[:10],
            "params": form.get("params", "")[:20000], "everyone": form.get("everyone") == "yes"}


def _page(visit: Visit, values: dict, errors: dict, key: str) -> Response:
    error = ""
    try:
        found = visit.ask("notify", "templates", {}).get("templates", [])
    except KefuError as exc:
        found, error = [], said(exc)
    templates = [t for t in found if t.get("channel") in CUSTOMER_CHANNELS]
    try:
        recent = visit.ask("notify", "batches", {"limit": RECENT}).get("batches", [])
    except KefuError as exc:
        recent, error = [], error or said(exc)
    return visit.render("bulk_send.html", templates=templates, batches=recent, values=values,
                        errors=errors, key=key, kinds=KINDS, lifecycles=LIFECYCLES,
                        error=error)


def index(visit: Visit, request) -> Response:
    """群发: the form (?template=<channel>:<name> chosen), and the recent batches."""
    chosen = request.args.get("template", "")[:80]
    return _page(visit, {"template": chosen, "params": ""}, {}, new_key())


def create(visit: Visit, request) -> Response:
    """The batch made (or the one this form made already), then its page; refused, the
    form again with each reason beside its field."""
    form = request.form
    key = form_key(form)
    try:
        batch = visit.ask("notify", "create_batch", posted(form), key)
    except KefuError as exc:
        return _page(visit, _form_values(form), refused(exc), key)
    return redirect(f"/notify/bulk/{batch['id']}", visit.htmx)


def _view(batch: dict) -> dict:
    """The batch with what its progress bar draws."""
    progress = {s: int((batch.get("progress") or {}).get(s, 0)) for s in STATUSES}
    total = max(int(batch.get("total") or 0), sum(progress.values()))
    finished = progress["delivered"] + progress["failed"] + progress["skipped"] \
        + progress["sent"]
    return {**batch, "progress": progress, "total": total, "finished": finished,
            "out": progress["sent"] + progress["delivered"], "bar_max": max(total, 1)}


def batch(visit: Visit, request, batch_id) -> Response:
    """A batch: what it sends to whom, its progress refreshing every 2 s until done."""
    shown = _view(visit.ask("notify", "get_batch", batch_id[:64]))
    return visit.render("bulk_batch.html", batch=shown, statuses=STATUSES)


def progress(visit: Visit, request, batch_id) -> Response:
    """The progress part (htmx, every 2 s; it stops asking once the batch is done)."""
    shown = _view(visit.ask("notify", "get_batch", batch_id[:64]))
    return visit.render("bulk_progress.html", batch=shown, statuses=STATUSES)
