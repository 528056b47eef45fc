"""Error classes shared by every service.

Each is registered with nameko's `deserialize_to_instance`, so an error raised
in one service arrives in its caller as the same class (not a RemoteError),
and the gateway maps it to HTTP in one table.  `args` stay JSON-friendly:
(message,) or (message, fields).
"""
from nameko.exceptions import deserialize_to_instance


class KefuError(Exception):
    """Base class: `code` is the stable machine-readable error name."""

    code = "error"

    def __init__(self, message: str = "", fields: dict | None = None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self):
        return self.message


@deserialize_to_instance
class NotFound(KefuError):
    code = "not_found"


@deserialize_to_instance
class Invalid(KefuError):
    """Bad input; `fields` maps each field name to a list of reasons."""

    code = "invalid"


@deserialize_to_instance
class Unauthenticated(KefuError):
    code = "unauthenticated"


@deserialize_to_instance
class Forbidden(KefuError):
    code = "forbidden"


@deserialize_to_instance
class Conflict(KefuError):
    code = "conflict"


@deserialize_to_instance
class Unavailable(KefuError):
    """A dependency (database, broker, another service) cannot answer now."""

    code = "unavailable"


@deserialize_to_instance
class DeadlineExceeded(Unavailable):
    """A called service did not answer within the caller's deadline."""

    code = "deadline_exceeded"


@deserialize_to_instance
class TooManyRequests(KefuError):
    code = "too_many_requests"


@deserialize_to_instance
class RequestParked(KefuError):
    """The request was delivered more times than RPC_MAX_DELIVERIES (each earlier
    delivery ended with the service's process): it was not run again but parked
    (services.common.deliveries).  Sending it again will not help."""

    code = "request_parked"


EXPECTED = (NotFound, Invalid, Unauthenticated, Forbidden, Conflict, TooManyRequests,
            RequestParked)
"""Errors that are the caller's fault: logged quietly, not as failures."""


def invalid_from_marshmallow(err) -> Invalid:
    """Turn a marshmallow ValidationError into Invalid with per-field reasons."""
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    return Invalid("invalid input", _flatten(messages))


def _flatten(messages: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return out
