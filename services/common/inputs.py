"""Values as callers send them, checked before any worker uses them (issue 9, finding 9).

No text and no key may hold a NUL character (PostgreSQL refuses it in text and jsonb,
and no person types one), and nothing may nest deeper than MAX_DEPTH levels.  The
gateway checks each request's JSON body, query string and path (services.gateway.http),
and every RPC entrypoint checks its arguments (services.common.rpc), so a NUL or a deep
nest is an `Invalid` naming the field whichever way it came, never a 500.  One pass,
linear in the value's size, with no recursion.
"""
from services.common.errors import Invalid

MAX_DEPTH = 32
NUL = "\x00"


def check_value(value, root: str = "", max_depth: int = MAX_DEPTH) -> None:
    """Raise Invalid naming the field (`root.a.b.0.c`; `a.b.0.c` without a root) when a
    text or key holds a NUL character or the value nests deeper than `max_depth`."""
    pending = [(value, root, 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                raise _nul(path)
            continue
        if not isinstance(item, (dict, list, tuple)):
            continue
        if depth >= max_depth:
            raise Invalid("nested too deeply",
                          {path or "_body": [f"nested deeper than {max_depth} levels"]})
        if isinstance(item, dict):
            for key, inner in item.items():
                name = str(key)
                if NUL in name:
                    raise _nul(path, "a key contains a NUL character")
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


def _nul(path: str, reason: str = "contains a NUL character") -> Invalid:
    return Invalid("text must not contain NUL characters", {path or "_body": [reason]})
