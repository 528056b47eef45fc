"""Reading what SMS providers push to us (receipts, uplink): shared, forgiving helpers.

A callback body of the wrong shape (not JSON, not the array or object expected) is a
ValueError; inside it, an item with a missing or unreadable field is skipped by the
adapter, never an exception.
"""
import json
from datetime import UTC, datetime
from typing import Any

from services.common import phones
from services.common.zone import CHINA

MAX_BODY = 1 << 20         # bytes of a callback body read at most


def header(headers: Any, name: str) -> str | None:
    """A header's value, whatever the case of its name (a dict or a headers object)."""
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is not None and not isinstance(headers, dict):
        value = getter(name)         # werkzeug / requests headers: case-insensitive
        return value if isinstance(value, str) else None
    wanted = name.lower()
    for key, value in dict(headers).items():
        if isinstance(key, str) and key.lower() == wanted:
            return value if isinstance(value, str) else None
    return None


def json_body(body: bytes, shape: type) -> Any:
    """The body parsed as JSON of `shape` (list or dict); ValueError otherwise."""
    if not isinstance(body, bytes | bytearray):
        raise ValueError("callback body: bytes expected")
    if len(body) > MAX_BODY:
        raise ValueError(f"callback body over {MAX_BODY} bytes")
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError("callback body: not UTF-8 JSON") from e
    if not isinstance(value, shape):
        raise ValueError(f"callback body: a JSON {'array' if shape is list else 'object'} "
                         "expected")
    return value


def text(item: dict, key: str, limit: int = 1000) -> str | None:
    """A string field (numbers are taken as their text), None when absent or too long."""
    value = item.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        return None
    return value


def e164(raw: Any, calling_code: Any = None) -> str | None:
    """A phone of a callback in E.164 (mainland China by default), None if not one.
    `calling_code` (Tencent's nationcode, e.g. "86") is put before a national number."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        return None
    if calling_code not in (None, "") and not raw.strip().startswith("+"):
        code = str(calling_code).strip().lstrip("+")
        if not code.isdigit() or len(code) > 4:
            return None
        raw = f"+{code}{raw.strip()}"
    try:
        number, ext = phones.normalize(raw)
    except phones.BadPhone:
        return None
    return number if ext is None else None


def moment(value: Any) -> datetime | None:
    """A callback's time: `2017-05-11 11:58:00` (China time, as the providers write it),
    ISO 8601 with an offset, or unix seconds; None when none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            seconds = float(value)
            return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 1e11 else None
        except (ValueError, OverflowError, OSError):
            return None
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=CHINA) if parsed.tzinfo is None else parsed
