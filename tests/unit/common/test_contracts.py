"""Issue 8: every service's contract index is the truth about its RPCs — each @rpc of
the service is in the index with the roles it enforces, and each index line has its
entrypoint; the events it handles are the index's `consumes`."""
import importlib

import pytest
from nameko.containers import ServiceContainer

from services.common import registry
from services.common.events import ReliableEventHandler
from services.common.rpc import AuthenticatedRpc

CONFIG = {"AMQP_URI": "memory://", "JWT_SECRET": "x" * 40, "DB_URI": "", "serializer": "json"}


def _container(name):
    module = importlib.import_module(f"services.{name}.service")
    return ServiceContainer(module.SERVICE, CONFIG)


BACKENDS = [name for name in registry.NAMES if name != "gateway"]


@pytest.mark.parametrize("name", BACKENDS)
def test_every_rpc_is_indexed_with_the_roles_it_enforces(name):
    contract = importlib.import_module(f"services.{name}.contract").CONTRACT
    container = _container(name)
    rpcs = {ep.method_name: ep for ep in container.entrypoints
            if isinstance(ep, AuthenticatedRpc)}
    assert set(rpcs) == contract.names
    for method, ep in rpcs.items():
        operation = contract.operation(method)
        assert ep.public == operation.public, method
        if not ep.public:
            assert ep.allow == operation.roles, method


@pytest.mark.parametrize("name", BACKENDS + ["gateway"])
def test_every_event_handler_is_listed_as_consumed(name):
    contract = importlib.import_module(f"services.{name}.contract").CONTRACT
    container = _container(name)
    handled = {(ep.source_service, ep.event_type) for ep in container.entrypoints
               if isinstance(ep, ReliableEventHandler)}
    assert handled == {(c.source, c.type) for c in contract.consumes}


def test_an_operation_missing_from_the_index_cannot_be_declared():
    from services.common.contracts import Contract
    from services.common.rpc import rpc_entrypoints

    rpc = rpc_entrypoints(Contract("nowhere", operations=[]))
    with pytest.raises(LookupError, match="not in the nowhere contract index"):
        @rpc
        def undeclared(self):  # pragma: no cover - never runs
            pass


def test_the_registry_names_each_service_once_with_its_own_port():
    assert len(set(registry.NAMES)) == len(registry.NAMES)
    ports = [entry.metrics_port for entry in registry.SERVICES]
    assert len(set(ports)) == len(ports)
    for entry in registry.SERVICES:
        assert importlib.import_module(f"services.{entry.name}.service").SERVICE.name == \
            entry.name
