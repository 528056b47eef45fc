"""Keyset paging cursors: opaque to clients, (moment, id) of the last row returned.

Lists order by (a timestamp, id) and continue strictly after the cursor's pair —
stable under inserts, and never OFFSET."""
import base64
import binascii
import datetime
import json
import uuid

from services.common.errors import Invalid


def encode_cursor(at: datetime.datetime, row_id) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, name: str = "cursor") -> tuple[datetime.datetime, str] | None:
    """(moment, id) from a cursor; Invalid naming the parameter when it was not made
    by encode_cursor."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        moment = datetime.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment, str(uuid.UUID(row_id))
    except (ValueError, TypeError, binascii.Error, UnicodeError, AttributeError) as exc:
        raise Invalid("malformed cursor", {name: ["not a cursor from a previous page"]}) \
            from exc
