"""RPC: the authenticated entrypoint every service offers, and calling others under a deadline.

    rpc = rpc_entrypoints(contract.CONTRACT)   # in service.py

    @rpc
    def create_ticket(self, data, idempotency_key=None): ...

Deny by default: the roles allowed to call an operation come from the service's
contract index (services/<svc>/contract/__init__.py); an operation missing from
the index cannot be declared.  The caller's token is verified before any worker
runs.

nameko's in-service RpcProxy waits forever; a caller that must answer a person
wraps its calls in `call`/`gather`, and an expired deadline becomes
`DeadlineExceeded` (the gateway turns it into HTTP 504).
"""
import logging

import amqp.exceptions
import eventlet
import kombu.exceptions
from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.rpc import Responder, Rpc, RpcProxy

from services.common.errors import (
    EXPECTED,
    DeadlineExceeded,
    Forbidden,
    KefuError,
    Unavailable,
    invalid_from_marshmallow,
)
from services.common.identity import CONTEXT_KEY, SYSTEM, Callers

log = logging.getLogger(__name__)
BROKER_DOWN = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError)


class AuthenticatedRpc(Rpc):
    """An RPC entrypoint that verifies its caller before a worker runs.

    Unauthenticated or unauthorised calls are answered with the error at once;
    marshmallow validation errors leave as `Invalid` with per-field reasons.
    """

    serves_callers = True
    callers = Callers()

    def __init__(self, allow=None, public=False, **kwargs):
        if not public and not allow:
            raise ValueError("@rpc needs allow=<roles> or public=True (deny by default)")
        self.allow = frozenset(allow or ())
        self.public = public
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        if not self.public:
            try:
                context = self.unpack_message_headers(message)
                principal = self.callers.verify(context.get(CONTEXT_KEY))
                if not principal.has_any(self.allow | {SYSTEM}):
                    raise Forbidden(f"not allowed to call {self.method_name}")
            except KefuError as exc:
                refusal = (type(exc), exc, None)
                self._reply(lambda: self.rpc_consumer.handle_result(message, None, refusal))
                return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ValidationError):
            err = invalid_from_marshmallow(exc_info[1])
            exc_info = (type(err), err, exc_info[2])
        sent = self._reply(lambda: super(AuthenticatedRpc, self).handle_result(
            message, worker_ctx, result, exc_info))
        return sent or (result, exc_info)

    def _reply(self, send):
        """Send a reply; when the broker is gone, the reply is lost, not the service.

        nameko kills the whole container when a reply cannot be published.  The
        request stays unacknowledged, so the broker redelivers it once the
        connection is back; callers that must not apply twice send an idempotency key.
        """
        try:
            return send()
        except (OperationalError, OSError, AMQPError) as exc:
            log.warning("reply to %s lost, the broker is unreachable: %s", self.method_name, exc)
            return None


def rpc_entrypoints(contract):
    """The `@rpc` decorator of a service: each operation's roles come from its contract."""
    def rpc(method):
        operation = contract.operation(method.__name__)
        return AuthenticatedRpc.decorator(allow=operation.roles,
                                          public=operation.public)(method)
    return rpc


public_rpc = AuthenticatedRpc.decorator(public=True)


class ReplyPublisher(Publisher):
    """RPC replies go without publisher confirms: a reply is transient (its queue is the
    caller's, auto-deleted), a lost one surfaces as the caller's deadline, and waiting
    for the broker's confirm doubled the cost of every call.  Events keep confirms
    (outbox relay, retries)."""

    use_confirms = False


def reply_without_confirms() -> None:
    """Make every RPC reply of this process go without confirms (see ReplyPublisher).
    Called once by the process's entry (runner, test entry, bench), never at import."""
    Responder.publisher_cls = ReplyPublisher


def proxy(service_name: str) -> RpcProxy:
    """An in-service RPC proxy publishing requests without confirms; the caller's
    deadline covers a lost request."""
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
