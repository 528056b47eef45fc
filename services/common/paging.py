"""Keyset paging cursors, the one format of every list: opaque to clients, the sort
key of the last row returned.

Most lists order by (a timestamp, id) and continue strictly after the cursor's pair —
stable under inserts, and never OFFSET: `encode_cursor(at, id)` / `decode_cursor`.
A list ordered by another key (the borrowing log by its sequence number) uses the
same format with its own parts: `encode_cursor(seq)` / `decode_cursor(c, parts=(int,))`.
"""
import base64
import binascii
import datetime
import json
import uuid
from collections.abc import Callable

from services.common.errors import Invalid


def moment(text: str) -> datetime.datetime:
    """An aware date-time part of a cursor."""
    at = datetime.datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("naive timestamp")
    return at


def row_id(text: str) -> str:
    """A UUID part of a cursor, in its canonical text."""
    return str(uuid.UUID(text))


def number(value) -> int:
    """A whole-number part of a cursor."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


MOMENT_AND_ID = (moment, row_id)


def encode_cursor(*parts) -> str:
    """The cursor after a row whose sort key is `parts` (date-times, ids, numbers)."""
    raw = json.dumps([p.isoformat() if isinstance(p, datetime.datetime)
                      else p if isinstance(p, int) else str(p) for p in parts],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, name: str = "cursor",
                  parts: tuple[Callable, ...] = MOMENT_AND_ID) -> tuple | None:
    """The sort key from a cursor, each part read by its reader (default: moment, id);
    None for no cursor; Invalid naming the parameter when it was not made by
    encode_cursor for such a key."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != len(parts):
            raise ValueError("wrong number of parts")
        return tuple(read(value) for read, value in zip(parts, values, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeError, AttributeError) as exc:
        raise Invalid("malformed cursor", {name: ["not a cursor from a previous page"]}) \
            from exc
