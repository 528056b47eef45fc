"""The shape of a service's contract index (services/<svc>/contract/__init__.py).

A contract index is one screen that says what a service offers:

    CONTRACT = Contract("notify", operations=[
        #         name         roles  input       output     errors
        Operation("inbox",     STAFF, InboxQuery, Inbox),
        Operation("mark_read", STAFF, None,       InboxItem, (NotFound,)),
    ], events=[...], consumes=[...])

The service's `@rpc` takes each operation's roles from here (services.common.rpc),
so an operation cannot exist without its line; the gateway takes schemas and roles
from here instead of declaring them again; a unit test checks index and service
agree.  Every service also answers `health` (public).
"""
from dataclasses import dataclass, field
from typing import Any

from services.common.errors import KefuError


@dataclass(frozen=True)
class Operation:
    """One RPC: who may call it (None: anyone), the schema of its main input and of
    its reply, and the errors it answers besides Unauthenticated/Forbidden."""

    name: str
    roles: frozenset | None
    input: Any = None
    output: Any = None
    errors: tuple[type[KefuError], ...] = ()

    @property
    def public(self) -> bool:
        return self.roles is None


@dataclass(frozen=True)
class Event:
    """An event the service publishes: its routing key and the schema of its `data`."""

    type: str
    payload: Any


@dataclass(frozen=True)
class Consumes:
    """An event of another service this one handles."""

    source: str
    type: str


HEALTH = Operation("health", None)


@dataclass
class Contract:
    service: str
    operations: list[Operation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    consumes: list[Consumes] = field(default_factory=list)

    def __post_init__(self):
        self._by_name = {op.name: op for op in [*self.operations, HEALTH]}
        if len(self._by_name) != len(self.operations) + 1:
            raise ValueError(f"{self.service}: an operation is listed twice")
        self._events = {event.type: event for event in self.events}

    def operation(self, name: str) -> Operation:
        try:
            return self._by_name[name]
        except KeyError:
            raise LookupError(f"{name} is not in the {self.service} contract index "
                              f"(services/{self.service}/contract/__init__.py)") from None

    def __getattr__(self, name: str) -> Operation:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.operation(name)

    def event(self, event_type: str) -> Event:
        return self._events[event_type]

    @property
    def names(self) -> set[str]:
        return set(self._by_name)
