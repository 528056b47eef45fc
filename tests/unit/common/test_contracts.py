"""Issue 8: every service's contract index is the truth about its RPCs — each @rpc of
the service is in the index with the roles it enforces, and each index line has its
entrypoint; the events it handles are the index's `consumes`."""
import importlib

import pytest
from nameko.containers import ServiceContainer

from services.common import registry
from services.common.events import ReliableEventHandler
from services.common.rpc import AuthenticatedRpc

CONFIG = {"AMQP_URI": "memory://", "DB_URI": "", "serializer": "json"}


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


# Issue 9, finding 4: the RPCs a system identity calls — a timer's or an event handler's
# (services.common.identity) — each declared on its operation's line (Operation.system).
# Read from every handler the services' timers and event handlers run: notify's sender
# and event handlers read customers' contact points (issue 11); the survey's ticket-event
# handlers read a customer's card and a ticket category (issue 12); nothing else calls
# another service under its system identity.
SYSTEM_CALLERS: dict[tuple[str, str], frozenset] = {
    ("customer", "contact_points"): frozenset({"notify"}),
    # V5: a campaign's list is frozen from a segment by the survey's timer.
    ("customer", "segment_contacts"): frozenset({"notify", "survey"}),
    # V1: a follow-up task copies the customer's level, and a rule may follow up VIPs
    # or after-sales subtypes (a category's): the survey's ticket-event handlers ask.
    ("customer", "get_card"): frozenset({"survey"}),
    ("ticket", "get_category"): frozenset({"survey"}),
    # V3: notify sends a survey link, and only a system caller is answered its token.
    ("survey", "issue_survey_link"): frozenset({"notify"}),
    # R4 (issue 13): the report rebuilds its ticket facts and checks its rollups.
    ("ticket", "report_tickets"): frozenset({"report"}),
    ("ticket", "report_ticket_counts"): frozenset({"report"}),
    # ... and its call and contact facts 话务报表, and checks its call rollups.
    ("ticket", "report_calls"): frozenset({"report"}),
    ("ticket", "report_contacts"): frozenset({"report"}),
    ("ticket", "report_call_counts"): frozenset({"report"}),
    ("ticket", "report_dispatches"): frozenset({"report"}),
    ("ticket", "report_dispatch_counts"): frozenset({"report"}),
    # ... and its follow-up and answer facts (survey), and checks those rollups.
    ("survey", "report_followups"): frozenset({"report"}),
    ("survey", "report_answers"): frozenset({"report"}),
    ("survey", "report_followup_counts"): frozenset({"report"}),
    ("survey", "report_answer_counts"): frozenset({"report"}),
    # ... and its keypad-offer and invitation facts, and checks those rollups.
    ("survey", "report_ivr_offers"): frozenset({"report"}),
    ("survey", "report_invitations"): frozenset({"report"}),
    ("survey", "report_ivr_offer_counts"): frozenset({"report"}),
    ("survey", "report_invitation_counts"): frozenset({"report"}),
    ("notify", "report_notifications"): frozenset({"report"}),
    ("notify", "report_notification_counts"): frozenset({"report"}),
}


def test_finding4_system_identities_are_declared_exactly_where_they_call():
    declared = {}
    for name in registry.NAMES:
        contract = importlib.import_module(f"services.{name}.contract").CONTRACT
        for operation in contract.operations:
            assert operation.system <= set(registry.NAMES), (name, operation.name)
            if operation.system:
                declared[(name, operation.name)] = operation.system
    assert declared == SYSTEM_CALLERS


def test_finding4_a_system_identity_is_allowed_only_where_its_service_is_declared():
    from services.common.identity import SYSTEM, SYSTEM_CLEARANCE, Principal

    def system(service):
        return Principal(f"system:{service}", service, frozenset({SYSTEM}), frozenset(),
                         SYSTEM_CLEARANCE, service=service)

    entrypoint = AuthenticatedRpc(allow={"agent"}, system={"ticket"})
    assert entrypoint.allows(system("ticket"))
    assert not entrypoint.allows(system("notify"))
    assert entrypoint.allows(Principal("u1", "u1", frozenset({"agent"}), frozenset(), 0))
    assert not entrypoint.allows(Principal("u2", "u2", frozenset({"auditor"}), frozenset(), 0))
    # a role set never lets a system identity in, whatever it names
    assert not AuthenticatedRpc(allow={"agent", SYSTEM}).allows(system("ticket"))


def test_every_service_handles_the_staff_events_of_revocation():
    """Finding 5: the platform's handlers (HealthCheck) are in every service."""
    from services.common.contracts import PLATFORM_CONSUMES

    for name in registry.NAMES:
        handled = {(ep.source_service, ep.event_type, ep.method_name)
                   for ep in _container(name).entrypoints
                   if isinstance(ep, ReliableEventHandler)}
        for consumed in PLATFORM_CONSUMES:
            assert any(h[:2] == (consumed.source, consumed.type)
                       and h[2].startswith("account_") for h in handled), (name, consumed)
