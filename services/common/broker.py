"""Each service's broker user and what it may do (issue 9, finding 3).

Every service logs in to RabbitMQ as its own user: the registry's `broker_user` (the
name of its database, e.g. kefu_ticket), with a password deploy/local/stack.sh makes in
var/secrets/rabbitmq-<user> and a URI deploy/local/env.sh exports as
KEFU_<NAME>_AMQP_URI.  What that user may do is derived here from the service's own
code — its entrypoints, its RPC proxies (and any dependency's `rpc_targets`), its event
handlers, its contract's events — so a new handler, call or event needs no script
change; `python -m services.manage <svc> declare`, which the operator (the administrator
user) runs at migrate time, sets it on the vhost it declares in:

  configure  its queues — rpc-<svc>; rpc.reply-<svc>-<uuid> when it calls another
             service; evt-<source>-<type>--<svc>.<method> and their .retry.N delay
             queues — its own exchange <svc>.events (its outbox relay declares it) and
             nameko-rpc (nameko's RPC consumer and reply listener declare it)
  write      the same queues (a binding needs it), <svc>.events, nameko-rpc, and
             amq.default when it handles events (its retries go through the default
             exchange into its delay queues)
  read       the same queues, nameko-rpc, and the events exchanges of the services whose
             events it handles
  topics     on every service's <x>.events exchange: publish only its contract's event
             types on its own, nothing on another's; bind only the types it handles.
             On nameko-rpc: publish requests only to the services it calls
             (`<target>.<method>`) and replies (a uuid); bind only `<svc>.*` (its
             requests) and uuids (its replies) — not `#`, which would copy every call.

Another service's exchange is neither written nor configured (its consumers do not
declare the exchanges they bind to: DECLARE_EVENT_EXCHANGES is false and `declare`
declares them), so it can be neither forged on nor deleted.  RabbitMQ matches each right
as an unanchored regular expression: every pattern here is anchored.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import requests
from nameko.containers import ServiceContainer
from nameko.events import EventHandler
from nameko.rpc import Rpc, RpcProxy

from services.common import registry

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")  # service names and event types: no regex in them
WORD = "[a-z0-9_]+"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTHING = "(?!)"  # matches no name, not even the empty routing key
RPC_EXCHANGE = "nameko-rpc"
DEFAULT_EXCHANGE = "amq.default"


@dataclass(frozen=True)
class TopicGrant:
    """Routing keys a user may publish (write) and bind (read) on one topic exchange."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Grants:
    user: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicGrant, ...]


def grants(service_cls, contract, services: Iterable[str] = registry.NAMES) -> Grants:
    """The rights of `service_cls`'s broker user, from what the service declares."""
    name = _name(service_cls.name)
    container = ServiceContainer(service_cls, {"AMQP_URI": "memory://"})
    handled = {(_name(ep.source_service), _name(ep.event_type))
               for ep in container.entrypoints if isinstance(ep, EventHandler)}
    targets = {_name(target) for dep in container.dependencies for target in _targets(dep)}
    serves = any(isinstance(ep, Rpc) for ep in container.entrypoints)
    published = {_name(event.type) for event in contract.events}

    queues = [f"rpc-{name}"] if serves else []
    if targets:
        queues.append(rf"rpc\.reply-{name}-{UUID}")
    if handled:
        queues.append(rf"evt-{WORD}-{WORD}--{name}\.{WORD}(\.retry\.[0-9]+)?")
    own = [rf"{name}\.events", RPC_EXCHANGE]
    sources = {source for source, _ in handled}
    topics = [TopicGrant(f"{other}.events",
                         write=one_of(published) if other == name else NOTHING,
                         read=one_of(t for source, t in handled if source == other))
              for other in sorted({*services, *sources, name})]
    topics.append(TopicGrant(RPC_EXCHANGE,
                             write=one_of([*(rf"{t}\.{WORD}" for t in targets), UUID]),
                             read=one_of([rf"{name}\.\*", UUID])))
    return Grants(
        user=registry.entry(name).broker_user,
        configure=one_of([*queues, *own]),
        write=one_of([*queues, *own, *([r"amq\.default"] if handled else [])]),
        read=one_of([*queues, RPC_EXCHANGE, *(rf"{source}\.events" for source in sources)]),
        topics=tuple(topics))


def _targets(dependency) -> list[str]:
    """The services a dependency calls: an RpcProxy's target, or the `rpc_targets` a
    dependency of our own declares (the gateway's Peers asks every service's health)."""
    if isinstance(dependency, RpcProxy):
        return [dependency.target_service]
    return list(getattr(dependency, "rpc_targets", ()))


def one_of(patterns: Iterable[str]) -> str:
    """An anchored alternation; NOTHING when there is none."""
    items = sorted(set(patterns))
    return f"^({'|'.join(items)})$" if items else NOTHING


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(f"{value!r} cannot name a broker resource (expected {NAME.pattern})")
    return value


class Management:
    """The broker's management API as the operator (KEFU_RABBIT_CTL_URI, the
    administrator): sets a user's rights on a vhost."""

    def __init__(self, uri: str, timeout: float = 10.0):
        self.api = uri.rstrip("/") + "/api"
        self.timeout = timeout

    def grant(self, vhost: str, granted: Grants) -> None:
        where = f"{quote(vhost, safe='')}/{quote(granted.user, safe='')}"
        self._put(f"permissions/{where}", {"configure": granted.configure,
                                           "write": granted.write, "read": granted.read})
        for topic in granted.topics:
            self._put(f"topic-permissions/{where}",
                      {"exchange": topic.exchange, "write": topic.write, "read": topic.read})

    def _put(self, path: str, body: dict) -> None:
        reply = requests.put(f"{self.api}/{path}", json=body, timeout=self.timeout)
        if reply.status_code >= 400:
            raise RuntimeError(
                f"the broker refused PUT {path}: {reply.status_code} {reply.text[:300]} "
                "(is the user made? deploy/local/stack.sh start makes every service's)")
