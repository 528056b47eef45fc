"""Calling other services under a deadline.

nameko's in-service RpcProxy waits forever; a caller that must answer a person
wraps its calls here, and an expired deadline becomes `Unavailable` (the
gateway turns its own deadline into HTTP 504).
"""
import amqp.exceptions
import eventlet
import kombu.exceptions
from nameko.rpc import RpcProxy

from services.common.errors import DeadlineExceeded, Unavailable

BROKER_DOWN = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError)


def proxy(service_name: str) -> RpcProxy:
    """An in-service RPC proxy publishing requests without confirms (see
    identity.ReplyPublisher); the caller's deadline covers a lost request."""
    return RpcProxy(service_name, use_confirms=False)


def gather(calls: list, timeout: float) -> list:
    """Run [(proxy_method, args, kwargs), ...] in parallel; results in order."""
    try:
        with eventlet.Timeout(timeout, DeadlineExceeded(f"no answer within {timeout:g}s")):
            replies = [method.call_async(*args, **kwargs) for method, args, kwargs in calls]
            return [reply.result() for reply in replies]
    except BROKER_DOWN as exc:
        raise Unavailable("message broker unavailable") from exc


def call(method, *args, timeout: float = 5.0, **kwargs):
    return gather([(method, args, kwargs)], timeout)[0]


def gather_settled(calls: list, timeout: float) -> list:
    """Like gather, but one slow or failing call does not sink the others: each
    result is the reply, or the exception that call ended with (DeadlineExceeded
    when it had not answered by the deadline).  For views composed of parts, such
    as the screen pop, where a person waits and a partial answer beats none."""
    try:
        replies = [method.call_async(*args, **kwargs) for method, args, kwargs in calls]
    except BROKER_DOWN as exc:
        raise Unavailable("message broker unavailable") from exc
    results: list = [DeadlineExceeded(f"no answer within {timeout:g}s")] * len(replies)
    with eventlet.Timeout(timeout, False):
        for i, reply in enumerate(replies):
            try:
                results[i] = reply.result()
            except Exception as exc:  # noqa: BLE001 — handed back to the caller
                results[i] = exc
    return results
