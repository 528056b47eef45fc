"""RPC: the authenticated entrypoint every service offers, and calling others under a deadline.

    rpc = rpc_entrypoints(contract.CONTRACT)   # in service.py

    @rpc
    def create_ticket(self, data, idempotency_key=None): ...

Deny by default: the roles allowed to call an operation come from the service's
contract index (services/<svc>/contract/__init__.py); an operation missing from
the index cannot be declared.  The caller's token is verified before any worker
runs.  A system identity (a timer's or an event handler's, `system:<svc>`) is allowed
only on the operations whose line names its service (issue 9, finding 4): it holds no
role, so no role set lets it in.

Before any worker runs, the request's arguments are checked (no NUL character, no deep
nesting: services.common.inputs) and a redelivered request has its deliveries counted
(services.common.deliveries): a request that keeps ending the service's process is
answered `RequestParked` and parked instead of being redelivered for ever.

nameko's in-service RpcProxy waits forever; a caller that must answer a person
wraps its calls in `call`/`gather`, and an expired deadline becomes
`DeadlineExceeded` (the gateway turns it into HTTP 504).  Those requests are published
with an AMQP expiration equal to the deadline (issue 9, finding 9): a request still
queued when its caller has given up is dropped by the broker, so a hung service's
backlog is not run late, long after its callers were answered 504.  A request the
broker had already handed to a process that then stalled (paused, swapping) is beyond
the broker's expiry: it also carries its deadline (DEADLINE_HEADER, epoch seconds; the
hosts' clocks are kept in step) and the entrypoint refuses it, unrun, once it passed.
"""
import inspect
import logging
import time

import amqp.exceptions
import eventlet
import kombu.exceptions
from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.rpc import Responder, Rpc, RpcProxy

from services.common.deliveries import DeliveryCount
from services.common.errors import (
    EXPECTED,
    DeadlineExceeded,
    Forbidden,
    KefuError,
    Unavailable,
    invalid_from_marshmallow,
)
from services.common.identity import CONTEXT_KEY, Callers, Principal
from services.common.inputs import check_arguments

log = logging.getLogger(__name__)
DEADLINE_HEADER = "x-kefu-deadline"
BROKER_DOWN = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError,
               ConnectionError)


class AuthenticatedRpc(Rpc):
    """An RPC entrypoint that verifies its caller before a worker runs.

    Unauthenticated or unauthorised calls are answered with the error at once;
    marshmallow validation errors leave as `Invalid` with per-field reasons.
    """

    serves_callers = True
    callers = Callers()
    deliveries = DeliveryCount()

    def __init__(self, allow=None, public=False, system=(), **kwargs):
        if not public and not allow and not system:
            raise ValueError("@rpc needs allow=<roles>, system=<services> or public=True "
                             "(deny by default)")
        self.allow = frozenset(allow or ())
        self.public = public
        self.system = frozenset(system)
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        if not self.public:
            try:
                context = self.unpack_message_headers(message)
                principal = self.callers.verify(context.get(CONTEXT_KEY))
                if not self.allows(principal):
                    raise Forbidden(f"not allowed to call {self.method_name}")
            except KefuError as exc:
                refusal = (type(exc), exc, None)
                self._reply(lambda: self.rpc_consumer.handle_result(message, None, refusal))
                return
        try:
            self.check_request(body, message)
        except KefuError as exc:
            self._refuse(message, exc)
            return
        super().handle_message(body, message)

    def allows(self, principal: Principal) -> bool:
        """A system identity: when its service is declared; anyone else: by role."""
        if principal.is_system:
            return principal.service in self.system
        return principal.has_any(self.allow)

    def setup(self):
        super().setup()
        method = getattr(self.container.service_cls, self.method_name)
        self.parameter_names = [name for name in inspect.signature(method).parameters][1:]

    def check_request(self, body, message) -> None:
        """Before any worker: a request past its caller's deadline is not run; hostile
        arguments are Invalid naming the field; a redelivered request is counted, and
        refused past RPC_MAX_DELIVERIES."""
        deadline = (message.headers or {}).get(DEADLINE_HEADER)
        if isinstance(deadline, (int, float)) and time.time() > deadline:
            raise DeadlineExceeded("the caller's deadline passed before this request ran")
        if isinstance(body, dict):
            check_arguments(self.parameter_names, body.get("args") or (),
                            body.get("kwargs") or {})
        if message.delivery_info.get("redelivered"):
            self.deliveries.admit(self.method_name, body, message, self._caller_id(message))

    def _caller_id(self, message) -> str | None:
        try:
            token = self.unpack_message_headers(message).get(CONTEXT_KEY)
            return self.callers.verify(token).id if token else None
        except KefuError:
            return None

    def _refuse(self, message, exc: KefuError) -> None:
        refusal = (type(exc), exc, None)
        self._reply(lambda: self.rpc_consumer.handle_result(message, None, refusal))

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
        for attempt in (1, 2):
            try:
                return send()
            except UndeliverableMessage:
                # Requests and replies go without confirms (ReplyPublisher, proxy()), so
                # the broker's return of an earlier unroutable message — a request to a
                # service that is down, a reply to a caller that left — is read on the
                # pooled channel's next publish, this one, which was not sent: once more.
                if attempt == 2:
                    log.warning("reply to %s dropped: its caller is gone", self.method_name)
                    return None
            except (OperationalError, OSError, AMQPError) as exc:
                log.warning("reply to %s lost, the broker is unreachable: %s",
                            self.method_name, exc)
                return None
        return None


def rpc_entrypoints(contract):
    """The `@rpc` decorator of a service: each operation's roles come from its contract."""
    def rpc(method):
        operation = contract.operation(method.__name__)
        return AuthenticatedRpc.decorator(allow=operation.roles, public=operation.public,
                                          system=operation.system)(method)
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


def expiring(method, timeout: float):
    """The proxy method, its requests expiring in the broker after `timeout` seconds and
    carrying their deadline (a proxy method is made per attribute access, so this is one
    call's)."""
    publisher = getattr(method, "publisher", None)
    if publisher is not None:
        publisher.expiration = timeout
        publisher.publish_kwargs["headers"] = {
            **publisher.publish_kwargs.get("headers", {}), DEADLINE_HEADER: time.time() + timeout}
    return method


def gather(calls: list, timeout: float) -> list:
    """Run [(proxy_method, args, kwargs), ...] in parallel; results in order."""
    try:
        with eventlet.Timeout(timeout, DeadlineExceeded(f"no answer within {timeout:g}s")):
            replies = [expiring(method, timeout).call_async(*args, **kwargs)
                       for method, args, kwargs in calls]
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
        replies = [expiring(method, timeout).call_async(*args, **kwargs)
                   for method, args, kwargs in calls]
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
