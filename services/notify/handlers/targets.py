"""Use cases of group robots and outgoing webhooks (administrators)."""
from urllib.parse import urlsplit, urlunsplit

from services.common.errors import Conflict
from services.notify.store import targets as store


def _shown(row: dict) -> dict:
    """The URL without its query string (robot tokens live there) or path token."""
    parts = urlsplit(row["url"])
    path = parts.path
    if "/hook/" in path:
        path = path[: path.index("/hook/") + 6] + "***"
    return {**row, "url": urlunsplit((parts.scheme, parts.netloc, path,
                                      "***" if parts.query else "", ""))}


def targets(db) -> dict:
    with db.transaction() as tx:
        return {"targets": [_shown(r) for r in store.listing(tx.cur)]}


def save_target(db, data: dict) -> dict:
    with db.transaction() as tx:
        row = store.save(tx.cur, data)
    if row is None:
        raise Conflict("a target of the other kind has this name", {"name": ["taken"]})
    return _shown(row)
