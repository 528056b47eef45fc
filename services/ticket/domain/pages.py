"""Keyset pages of the service's lists, in the one cursor format (services.common.paging):
the cursor is the (moment, id) of the last row shown; a list continues strictly after it.

A list knows another page follows in one of two ways: it read one row more than it
shows (`page`), or it read a full page, which may be followed by more (`after_full`;
the next page can then be empty)."""
from services.common.paging import encode_cursor


def cursor_after(row: dict | None, key: str) -> str | None:
    """The cursor continuing after `row`, ordered by its `key` moment; None for no row."""
    return encode_cursor(row[key], row["id"]) if row else None


def page(rows: list[dict], limit: int, key: str) -> tuple[list[dict], str | None]:
    """Rows read with limit + 1: the page and the cursor of the next one (None: last)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_after(rows[-1], key)


def after_full(rows: list[dict], limit: int, key: str) -> str | None:
    """Rows read with limit: the cursor of the next page when this one is full."""
    return cursor_after(rows[-1] if len(rows) == limit else None, key)
