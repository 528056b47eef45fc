"""A category's form (T2) in a page: its field definitions as inputs, and the values a
browser posts back as the ticket service takes them."""
from decimal import Decimal, InvalidOperation

from services.gateway.pages.words import FIELD_TYPE

INPUT = {"text": "text", "number": "number", "date": "date", "datetime": "datetime-local",
         "phone": "tel", "address": "text"}
MAX_VALUE = 2000


def inputs(definitions: list[dict], values: dict | None = None,
           errors: dict | None = None) -> list[dict]:
    """What the template draws for each field: its name as posted (`form.<name>`), label,
    input type, required, choices, the value given and the reasons it was refused."""
    values, errors = values or {}, errors or {}
    drawn = []
    for definition in definitions:
        name = definition["name"]
        kind = definition.get("type", "text")
        value = values.get(name)
        drawn.append({
            "name": f"form.{name}", "id": f"form-{name}", "label": definition.get("label")
            or name, "type": kind, "input": INPUT.get(kind, "text"),
            "type_label": FIELD_TYPE.get(kind, kind),
            "required": bool(definition.get("required")),
            "choices": list(definition.get("choices") or ()),
            "value": value if value is not None else "",
            "chosen": set(value) if isinstance(value, list) else {value},
            "min": definition.get("min"), "max": definition.get("max"),
            "errors": errors.get(f"form.{name}", []),
        })
    return drawn


def posted(definitions: list[dict], form) -> dict:
    """The form values of a posted page, as the service takes them (empty ones left out:
    the service names a missing required field)."""
    values: dict = {}
    for definition in definitions:
        name, kind = definition["name"], definition.get("type", "text")
        key = f"form.{name}"
        if kind == "multi_choice":
            chosen = [v[:MAX_VALUE] for v in form.getlist(key) if v]
            if chosen:
                values[name] = chosen
            continue
        if kind == "boolean":
            if key in form:
                values[name] = form.get(key) in ("on", "true", "1")
            continue
        text = form.get(key, "")[:MAX_VALUE].strip()
        if not text:
            continue
        if kind == "number":
            values[name] = _number(text)
        elif kind == "datetime" and len(text) == 16:  # a datetime-local input: China time
            values[name] = text + ":00+08:00"
        else:
            values[name] = text
    return values


def _number(text: str):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text  # the service says why
    return int(number) if number == number.to_integral_value() else float(number)
