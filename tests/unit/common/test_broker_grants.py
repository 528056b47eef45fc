"""Each service's broker user may do only what its code needs (issue 9, finding 3).

The rights are derived from the service itself (services.common.broker.grants): its RPC
queue and reply queues, its event handlers' queues and their retry queues, the
exchanges it publishes on and binds to, and — topic permissions — the routing keys it
may publish (its contract's events) and bind (the events it handles).  RabbitMQ matches
a permission as an unanchored regular expression (re.search here, as Erlang's re:run).
"""
import importlib
import re
import uuid

import pytest
from nameko.containers import ServiceContainer
from nameko.rpc import RpcProxy

from services.common import broker, registry
from services.common.events import ReliableEventHandler

CONFIG = {"AMQP_URI": "memory://", "DB_URI": "", "serializer": "json"}
NAMES = registry.NAMES
REPLY = f"rpc.reply-{{}}-{uuid.uuid4()}"


def service(name):
    return importlib.import_module(f"services.{name}.service").SERVICE


def contract(name):
    return importlib.import_module(f"services.{name}.contract").CONTRACT


def grants(name) -> broker.Grants:
    return broker.grants(service(name), contract(name))


def handlers(name) -> list[ReliableEventHandler]:
    container = ServiceContainer(service(name), CONFIG)
    return [ep for ep in container.entrypoints if isinstance(ep, ReliableEventHandler)]


def event_queues(name) -> list[str]:
    return [f"evt-{h.source_service}-{h.event_type}--{name}.{h.method_name}{retry}"
            for h in handlers(name) for retry in ("", ".retry.1", ".retry.3")]


def targets(name) -> set[str]:
    container = ServiceContainer(service(name), CONFIG)
    return {target for dep in container.dependencies for target in (
        [dep.target_service] if isinstance(dep, RpcProxy) else getattr(dep, "rpc_targets", ()))}


def allows(pattern: str, resource: str) -> bool:
    return re.search(pattern, resource) is not None


def topic(g: broker.Grants, exchange: str) -> broker.TopicGrant:
    [found] = [t for t in g.topics if t.exchange == exchange]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_finding3_each_service_has_its_own_user(name):
    assert grants(name).user == registry.entry(name).broker_user
    assert len({grants(n).user for n in NAMES}) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_finding3_a_service_owns_its_queues_and_nobody_elses(name):
    """Issue 9 finding 3: configure, write and read cover its RPC queue, its reply
    queues (when it calls others), its event queues and their retry queues — and no
    queue of another service."""
    g = grants(name)
    own = [f"rpc-{name}", *event_queues(name)]
    if targets(name):
        own.append(REPLY.format(name))
    for queue in own:
        for right in (g.configure, g.write, g.read):
            assert allows(right, queue), (right, queue)
    for other in NAMES:
        if other == name:
            continue
        for queue in [f"rpc-{other}", REPLY.format(other), *event_queues(other)]:
            for right in (g.configure, g.write, g.read):
                assert not allows(right, queue), (name, right, queue)


@pytest.mark.parametrize("name", NAMES)
def test_finding3_a_service_writes_only_on_its_own_events_exchange(name):
    """Issue 9 finding 3: before, every service was the one administrator (.* .* .*):
    any of them could publish any service's events."""
    g = grants(name)
    assert allows(g.write, f"{name}.events") and allows(g.configure, f"{name}.events")
    assert allows(g.write, "nameko-rpc")
    for other in NAMES:
        if other != name:
            assert not allows(g.write, f"{other}.events"), (name, other)
            assert not allows(g.configure, f"{other}.events"), (name, other)
    # its retries go through the default exchange; a service that handles no event has no use for it
    assert allows(g.write, "amq.default") == bool(handlers(name))


@pytest.mark.parametrize("name", NAMES)
def test_finding3_a_service_reads_only_the_exchanges_of_the_events_it_handles(name):
    g = grants(name)
    sources = {h.source_service for h in handlers(name)}
    for other in NAMES:
        assert allows(g.read, f"{other}.events") == (other in sources), (name, other)
    assert allows(g.read, "nameko-rpc")


@pytest.mark.parametrize("name", NAMES)
def test_finding3_topic_permissions_publish_its_own_events_and_bind_what_it_handles(name):
    """Issue 9 finding 3: on every service's events exchange, a user may publish only
    the routing keys of its own contract's events (none on another's exchange) and bind
    only the event types it handles."""
    g = grants(name)
    published = {event.type for event in contract(name).events}
    handled = {(h.source_service, h.event_type) for h in handlers(name)}
    every_type = {event.type for n in NAMES for event in contract(n).events}
    for other in NAMES:
        t = topic(g, f"{other}.events")
        for event_type in every_type | {"#", "*", ""}:
            assert allows(t.write, event_type) == (other == name and event_type in published), \
                (name, other, event_type)
            assert allows(t.read, event_type) == ((other, event_type) in handled), \
                (name, other, event_type)


@pytest.mark.parametrize("name", NAMES)
def test_finding3_on_the_rpc_exchange_a_service_binds_only_its_own_requests(name):
    """A user may bind on nameko-rpc only its own requests (`<svc>.*`) and its replies
    (a uuid): binding `#` or another service's key would copy others' requests, tokens
    included.  It may send requests only to the services it calls, and replies."""
    t = topic(grants(name), "nameko-rpc")
    assert allows(t.read, f"{name}.*") and allows(t.read, str(uuid.uuid4()))
    for key in ("#", "*.*", "*", f"{name}.#", ""):
        assert not allows(t.read, key), (name, key)
    for other in NAMES:
        if other != name:
            assert not allows(t.read, f"{other}.*"), (name, other)
        assert allows(t.write, f"{other}.health") == (other in targets(name)), (name, other)
    assert allows(t.write, str(uuid.uuid4()))  # its replies
    assert not allows(t.write, "#")


def test_finding3_the_notify_user_cannot_publish_customer_events():
    """The S3 scenario: the notify service's user is not the customer service's."""
    g = grants("notify")
    assert not allows(g.write, "customer.events")
    assert not allows(topic(g, "customer.events").write, "customer_destroyed")
