"""The shapes every list of the ticket service shares: the answer {<items>: [...],
"next": cursor or null} and the paging parameters a list takes (keyset cursors,
services.common.paging; a cursor is opaque to callers)."""
from marshmallow import Schema, fields, validate


def list_of(item: type[Schema], key: str, name: str, cursor: str | None = None,
            **nested) -> type[Schema]:
    """The schema of a list answer: {key: [item]} (`nested`: only/exclude of the item),
    and {cursor: the next page's cursor or null} when the list pages."""
    shape: dict[str, fields.Field] = {key: fields.List(fields.Nested(item, **nested))}
    if cursor:
        shape[cursor] = fields.String(allow_none=True)
    return Schema.from_dict(shape, name=name)


def page_size(default: int, most: int) -> fields.Integer:
    """How many rows a page holds: `default` when not given, 1 to `most`."""
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=most))


def page_cursor(most: int = 200) -> fields.String:
    """The cursor of the page to continue from (a previous answer's `next`)."""
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=most))
