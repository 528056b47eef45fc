"""Ids from callers: every id is a UUID, and anything else names nothing."""
import uuid

from services.common.errors import NotFound


def parse_id(value, what: str) -> str:
    """The canonical text of a UUID; NotFound("no such <what>") for anything else
    (never a 500, and the same answer as a well-formed id that does not exist)."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"no such {what}") from None
