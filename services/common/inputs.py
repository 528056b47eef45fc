"""Values as callers send them, checked before any worker uses them (issue 9, finding 9).

No text and no key may hold a NUL character (PostgreSQL refuses it in text and jsonb,
and no person types one) or half of a UTF-16 surrogate pair (JSON's "\\ud800" escape
alone: it has no UTF-8 form, so no database or queue could store it), and nothing may
nest deeper than MAX_DEPTH levels.  The gateway checks each request's JSON body, query
string and path (services.gateway.http), and every RPC entrypoint checks its arguments
(services.common.rpc), so such a value is an `Invalid` naming the field whichever way
it came, never a 500.  One pass, linear in the value's size, with no recursion.
"""
import re

from services.common.errors import Invalid

MAX_DEPTH = 32
NUL = "\x00"
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # one character class: linear


def check_value(value, root: str = "", max_depth: int = MAX_DEPTH) -> None:
    """Raise Invalid naming the field (`root.a.b.0.c`; `a.b.0.c` without a root) when a
    text or key holds a NUL character or the value nests deeper than `max_depth`."""
    pending = [(value, root, 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            if not item.isascii() or NUL in item:
                _check_text(item, path)
            continue
        if not isinstance(item, (dict, list, tuple)):
            continue
        if depth >= max_depth:
            raise Invalid("nested too deeply",
                          {path or "_body": [f"nested deeper than {max_depth} levels"]})
        if isinstance(item, dict):
            for key, inner in item.items():
                name = str(key)
                if not name.isascii() or NUL in name:
                    _check_text(name, path, "a key")
                pending.append((inner, f"{path}.{name}" if path else name, depth + 1))
        else:
            pending.extend((inner, f"{path}.{i}" if path else str(i), depth + 1)
                           for i, inner in enumerate(item))


def check_arguments(names: list[str], args, kwargs) -> None:
    """An RPC's arguments: a dict argument's fields are named as its schema names them
    (`contact.phone`), any other argument by its parameter name."""
    named = [(names[i] if i < len(names) else f"arg{i}", value) for i, value in enumerate(args)]
    for name, value in [*named, *kwargs.items()]:
        check_value(value, root="" if isinstance(value, dict) else str(name))


def _check_text(text: str, path: str, what: str = "") -> None:
    found = _NOT_TEXT.search(text)
    if found is None:
        return
    subject = f"{what} contains" if what else "contains"
    if found.group() == NUL:
        raise _nul(path, f"{subject} a NUL character")
    raise Invalid("text must be valid Unicode",
                  {path or "_body": [f"{subject} half of a UTF-16 surrogate pair"
                                     " (no such character)"]})


def _nul(path: str, reason: str = "contains a NUL character") -> Invalid:
    return Invalid("text must not contain NUL characters", {path or "_body": [reason]})
