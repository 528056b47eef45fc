"""Category forms (T1): the values a ticket carries, checked against its category's
field definitions.  No I/O."""
import datetime
import math
from decimal import Decimal

from services.common import phones
from services.common.errors import Invalid

MAX_TEXT = 2000  # a text or address field's length when the form sets no max
ABSENT: tuple = (None, "", [])


def storable(form: list[dict]) -> list[dict]:
    """Field definitions as JSON: min/max from Decimal to int or float, no None bounds."""
    out = []
    for field in form:
        clean = {k: v for k, v in field.items() if v is not None}
        for bound in ("min", "max"):
            if isinstance(clean.get(bound), Decimal):
                number = clean[bound]
                clean[bound] = int(number) if number == int(number) else float(number)
        out.append(clean)
    return out


def check_category(category: dict | None, kind: str) -> dict:
    """A ticket's category must exist, be active and belong to the ticket's kind."""
    if category is None:
        raise Invalid("no such category", {"category_id": ["no such category"]})
    if not category["active"]:
        raise Invalid("category inactive", {"category_id": ["the category is inactive"]})
    if category["kind"] != kind:
        raise Invalid("category of another kind",
                      {"category_id": [f"belongs to {category['kind']}, not {kind}"]})
    return category


def check_values(definitions: list[dict], values: dict, prefix: str = "form") -> dict:
    """The clean form values of a ticket; Invalid with {"form.<name>": [reason]} for every
    unknown field, missing required field or bad value.  Absent optional values are dropped."""
    if not isinstance(values, dict):
        raise Invalid("form invalid", {prefix: ["must be an object of field values"]})
    by_name = {d["name"]: d for d in definitions}
    errors: dict[str, list[str]] = {}
    clean = {}
    for name, value in values.items():
        definition = by_name.get(name)
        if definition is None:
            errors[f"{prefix}.{name}"] = ["no such field in this category's form"]
            continue
        if value in ABSENT:
            continue
        try:
            clean[name] = _value(definition, value)
        except ValueError as exc:
            errors[f"{prefix}.{name}"] = [str(exc)]
    for name, definition in by_name.items():
        if definition.get("required") and values.get(name) in ABSENT:
            errors[f"{prefix}.{name}"] = ["required"]
    if errors:
        raise Invalid("form invalid", errors)
    return clean


def _value(d: dict, value):
    kind = d["type"]
    if kind in ("text", "address"):
        if not isinstance(value, str):
            raise ValueError("must be text")
        _length(d, len(value), "characters", default_max=MAX_TEXT)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise ValueError("must be a number")
        if d.get("min") is not None and value < d["min"]:
            raise ValueError(f"must be at least {d['min']}")
        if d.get("max") is not None and value > d["max"]:
            raise ValueError(f"must be at most {d['max']}")
        return value
    if kind == "date":
        try:
            return datetime.date.fromisoformat(_text(value)).isoformat()
        except ValueError:
            raise ValueError("must be a date like 2026-11-22") from None
    if kind == "datetime":
        try:
            moment = datetime.datetime.fromisoformat(_text(value))
        except ValueError:
            raise ValueError("must be a date and time like 2026-11-22T09:30:00+08:00") from None
        if moment.tzinfo is None:
            raise ValueError("needs a time zone offset, e.g. +08:00")
        return moment.isoformat()
    if kind == "choice":
        if value not in d["choices"]:
            raise ValueError(f"not one of {', '.join(d['choices'])}")
        return value
    if kind == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of choices")
        wrong = [v for v in value if v not in d["choices"]]
        if wrong:
            raise ValueError(f"{', '.join(wrong)} not one of {', '.join(d['choices'])}")
        if len(set(value)) != len(value):
            raise ValueError("a choice is given twice")
        _length(d, len(value), "choices")
        return value
    if kind == "phone":
        try:
            e164, ext = phones.normalize(_text(value))
        except phones.BadPhone as exc:
            raise ValueError(str(exc)) from None
        return f"{e164};ext={ext}" if ext else e164
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    raise ValueError(f"unknown field type {kind}")  # a definition from a newer version


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _length(d: dict, size: int, unit: str, default_max: int | None = None) -> None:
    low, high = d.get("min"), d.get("max", default_max)
    if low is not None and size < low:
        raise ValueError(f"at least {low} {unit}")
    if high is not None and size > high:
        raise ValueError(f"at most {high} {unit}")
