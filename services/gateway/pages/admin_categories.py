"""Ticket categories and their forms 工单类别与表单 (系统设置, for admins): the list, a new
category, a category's name, subtype, activity and form.

The form editor needs no script: a table with one row per field (name, label, type,
required, choices as comma-separated text — one a line when a choice holds a comma —,
min, max, order, a "remove" box) and a few
empty rows for new fields; a row left empty is no field.  Saved, the page comes back
with the rows in their new order and more empty rows."""
import re

from werkzeug.wrappers import Response

from services.common.errors import KefuError
from services.gateway.pages import words
from services.gateway.pages.admin import decimal, done, refused
from services.gateway.pages.web import Visit, redirect
from services.ticket.contract.forms import CHOICE_TYPES, FIELD_TYPES, MAX_FIELDS
from services.ticket.contract.tickets import AFTER_SALES_TYPES, KINDS

BLANK_ROWS = 3
MAX_ROWS = MAX_FIELDS + BLANK_ROWS
MAX_CHOICES_TEXT = 20000
CHOICE_SEPARATORS = re.compile(r"[,，]")
SUBTYPE = {"delivery": "送货", "installation": "安装", "repair": "维修", "maintenance": "保养",
           "return": "退货", "exchange": "换货"}
COLUMNS = ("name", "label", "type", "required", "choices", "min", "max")


def _choices(text: str) -> list[str]:
    """Choices typed comma-separated (, or ，), or one a line when any holds a comma."""
    text = text[:MAX_CHOICES_TEXT]
    parts = text.splitlines() if "\n" in text else CHOICE_SEPARATORS.split(text)
    return [c.strip() for c in parts if c.strip()]


def _choices_text(choices) -> str:
    choices = [str(c) for c in choices or ()]
    together = any(CHOICE_SEPARATORS.search(c) for c in choices)
    return ("\n" if together else "，").join(choices)


def posted_definitions(form) -> list[dict]:
    """The field definitions the editor posts, in their order (the 序号 column, then the
    rows' own): a row without name, label and choices, or marked remove, is none; a
    number typed is sent as one, anything else as typed, for the service to refuse."""
    count = form.get("rows", "")[:4]
    rows = []
    for i in range(min(int(count) if count.isdecimal() else 0, MAX_ROWS)):
        def get(column: str, i: int = i) -> str:
            return form.get(f"f{i}.{column}", "")[:200].strip()
        name, label = get("name"), get("label")[:101]
        choices = form.get(f"f{i}.choices", "")[:MAX_CHOICES_TEXT]
        if form.get(f"f{i}.remove") == "on" or not (name or label or choices.strip()):
            continue
        definition: dict = {"name": name, "label": label, "type": get("type") or "text",
                            "required": form.get(f"f{i}.required") == "on"}
        if choices.strip():
            definition["choices"] = _choices(choices)
        for bound in ("min", "max"):
            if get(bound):
                definition[bound] = decimal(get(bound))
        order = get("order")
        rows.append((int(order) if order.isdecimal() else MAX_ROWS + i, i, definition))
    return [definition for _, _, definition in sorted(rows, key=lambda row: row[:2])]


def editor_rows(definitions: list[dict], errors: dict | None = None,
                blank: int = BLANK_ROWS) -> list[dict]:
    """What the editor draws: a row per definition (its reasons beside each cell, from
    the service's `form.<i>.<column>`), then `blank` empty rows."""
    errors = errors or {}
    rows = []
    for i, definition in enumerate([*definitions, *({} for _ in range(blank))]):
        bounds = {b: definition.get(b) for b in ("min", "max")}
        rows.append({
            "index": i, "order": i + 1, "name": definition.get("name", ""),
            "label": definition.get("label", ""), "type": definition.get("type", "text"),
            "required": bool(definition.get("required")),
            "choices": _choices_text(definition.get("choices")),
            **{b: "" if v is None else v for b, v in bounds.items()},
            "errors": {column: errors.get(f"form.{i}.{column}", []) for column in
                       (*COLUMNS, "_schema")},
        })
    return rows


def index(visit: Visit, request) -> Response:
    """工单类别: every category (inactive ones too) by kind, with its form's size."""
    categories = visit.ask("ticket", "list_categories", {"include_inactive": True})
    return visit.render("admin_categories.html", categories=categories.get("categories", []),
                        kinds=KINDS, subtypes=SUBTYPE, done=done(request))


def _editor(visit: Visit, category: dict | None, values: dict, errors: dict,
            request) -> Response:
    return visit.render("admin_category.html", category=category, values=values,
                        rows=editor_rows(values.get("form") or [], errors),
                        errors=errors, kinds=KINDS, subtypes=SUBTYPE, choice_types=CHOICE_TYPES,
                        field_types={t: words.FIELD_TYPE.get(t, t) for t in FIELD_TYPES},
                        after_sales=AFTER_SALES_TYPES, done=done(request))


def new(visit: Visit, request) -> Response:
    """新建类别: kind, subtype (after-sales), name, and its form."""
    kind = request.args.get("kind", "")
    return _editor(visit, None, {"kind": kind if kind in KINDS else KINDS[0], "active": True,
                                 "form": []}, {}, request)


def _posted(request) -> dict:
    form = request.form
    return {"name": form.get("name", "")[:101].strip(),
            "subtype": form.get("subtype", "")[:32] or None,
            "active": form.get("active") == "on",
            "form": posted_definitions(form)}


def create(visit: Visit, request) -> Response:
    """A new category with its form; refused, the editor again with the reasons."""
    data = {"kind": request.form.get("kind", "")[:32], **_posted(request)}
    try:
        visit.ask("ticket", "create_category", data)
    except KefuError as exc:
        return _editor(visit, None, data, refused(exc), request)
    return redirect("/admin/categories?done=created", visit.htmx)


def edit(visit: Visit, request, category_id) -> Response:
    """A category: its name, subtype, activity and form (the kind stays)."""
    category = visit.ask("ticket", "get_category", category_id[:64])
    return _editor(visit, category, category, {}, request)


def update(visit: Visit, request, category_id) -> Response:
    """The category with its new form (for new tickets and updates; accepted tickets keep
    their values); refused, the editor again with the reasons."""
    category = visit.ask("ticket", "get_category", category_id[:64])
    data = _posted(request)
    try:
        visit.ask("ticket", "update_category", category["id"], data)
    except KefuError as exc:
        return _editor(visit, category, {**category, **data}, refused(exc), request)
    return redirect(f"/admin/categories/{category['id']}?done=saved", visit.htmx)
