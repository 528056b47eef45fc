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

System identities (issue 9, finding 4): a timer or an event handler calls as its
service's system identity (`system:<svc>`, services.common.identity), which is
allowed only on the operations whose line names that service:

    Operation("get_card", STAFF, None, Card, (NotFound,), system=("ticket",)),

Every service also handles the gateway's staff_created and staff_updated (the
platform's revocation handlers, services.common.health): they are in every
contract's `consumes` without a line (PLATFORM_CONSUMES).
"""
from dataclasses import dataclass, field
from typing import Any

from services.common.errors import KefuError


@dataclass(frozen=True)
class Operation:
    """One RPC: who may call it (None: anyone), the schema of its main input and of
    its reply, the errors it answers besides Unauthenticated/Forbidden, and the
    services whose system identities may call it (none unless named)."""

    name: str
    roles: frozenset | None
    input: Any = None
    output: Any = None
    errors: tuple[type[KefuError], ...] = ()
    system: frozenset[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "system", frozenset(self.system))

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
# Revocation: every service keeps the newest version of each staff account
# (services.common.accounts; the handlers are on services.common.health.HealthCheck).
PLATFORM_CONSUMES = (Consumes("gateway", "staff_created"), Consumes("gateway", "staff_updated"))


@dataclass
class Contract:
    service: str
    operations: list[Operation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    consumes: list[Consumes] = field(default_factory=list)

    def __post_init__(self):
        self.consumes = [*self.consumes, *(c for c in PLATFORM_CONSUMES if c not in self.consumes)]
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
