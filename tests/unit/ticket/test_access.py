"""Who reaches which tickets and who reads their content (issue 9, findings 7 and 8): the
data scope per role, acting on a ticket, the content rule a classified customer's
tickets inherit, what is shown in its place, masked contact phones, and the seam where
the customer service decides (and logs) a cleared reader's opening — here with a test
double standing in for the customer service."""
import pytest

from services.common.identity import SYSTEM, Principal
from services.ticket.contract import events
from services.ticket.domain import access
from services.ticket.handlers import reading


def who(*roles, groups=("g",), clearance=0, staff_id="me"):
    return Principal(staff_id, staff_id, frozenset(roles or ("agent",)), frozenset(groups),
                     clearance)


class TestDataScope:
    """Finding 8: 全部 / 本组 / 本人 by role, deny by default."""

    @pytest.mark.parametrize("roles", [("manager",), ("general_manager",), ("auditor",),
                                       (SYSTEM,)])
    def test_finding8_managers_auditors_and_the_system_reach_every_ticket(self, roles):
        assert access.read_scope(who(*roles))["all"] is True

    @pytest.mark.parametrize("roles", [("agent",), ("supervisor",), ("admin",),
                                       ("agent", "field")])
    def test_finding8_agents_and_supervisors_reach_their_own_and_their_groups(self, roles):
        scope = access.read_scope(who(*roles, groups=("b", "a")))
        assert scope == {"all": False, "staff_id": "me", "groups": ["a", "b"],
                         "acceptor": True, "unassigned_only": False}

    def test_finding8_field_staff_reach_what_is_assigned_to_them(self):
        scope = access.read_scope(who("field", groups=("field-service",)))
        assert scope == {"all": False, "staff_id": "me", "groups": [], "acceptor": False,
                         "unassigned_only": False}

    @pytest.mark.parametrize("roles", [("telephony",), ("someone-new",)])
    def test_finding8_any_other_role_reaches_nothing(self, roles):
        assert access.read_scope(who(*roles)) == access.NOTHING

    def test_finding8_supervisors_act_on_their_scope_not_everywhere(self):
        scope = access.act_scope(who("supervisor", groups=("g",)))
        assert scope == access.read_scope(who("supervisor", groups=("g",)))
        assert scope["all"] is False
        assert access.act_scope(who("manager"))["all"] is True

    def test_finding8_the_front_line_acts_while_unassigned_and_never_on_no_ones(self):
        """An agent acts on what is assigned to them, and while a ticket is unassigned
        on those of their groups or that they accepted; an unassigned ticket of no group
        is no longer open to every agent."""
        assert access.act_scope(who("agent", groups=("g",))) == {
            "all": False, "staff_id": "me", "groups": ["g"], "acceptor": True,
            "unassigned_only": True}

    def test_finding8_field_staff_and_auditors_act_only_on_what_is_theirs(self):
        for roles in (("field",), ("auditor",)):
            assert access.act_scope(who(*roles)) == {
                "all": False, "staff_id": "me", "groups": [], "acceptor": False,
                "unassigned_only": False}

    def test_finding8_out_of_scope_is_not_found(self):
        from services.common.errors import NotFound
        with pytest.raises(NotFound):
            access.found(None)
        assert access.found({"id": "t"}) == {"id": "t"}


class TestContentRule:
    """Finding 7: the customer archive's rule, applied to a classified customer's
    tickets, contacts and field jobs."""

    def test_finding7_ordinary_content_is_everyones(self):
        assert access.own_rule(who(), 0).shown

    def test_finding7_the_ticket_service_refuses_those_never_cleared(self):
        assert access.own_rule(who("agent", clearance=3), 1).why == access.ONLY_MANAGERS
        assert access.own_rule(who("supervisor", clearance=3), 1).why == \
            access.ONLY_MANAGERS
        assert access.own_rule(who("manager", clearance=1), 2).why == access.ABOVE
        assert access.own_rule(who("manager", clearance=2), 2) is None  # the customer's say
        assert access.own_rule(who("manager", clearance=3), 3) is None  # a grant needed

    def test_finding7_lists_never_show_classified_content(self):
        """A list of many customers' tickets asks nobody: classified content is
        withheld there for everyone; opening the ticket is what gets decided and
        logged."""
        assert access.in_list(who("manager", clearance=3), 2).why == access.OPEN_IT
        assert access.in_list(who("agent"), 2).why == access.ONLY_MANAGERS
        assert access.in_list(who("agent"), 0).shown

    def test_finding7_opening_needs_both_walls(self):
        manager = who("manager", clearance=2)
        assert access.opened(manager, 2, {"allowed": True, "reason": "cleared"}).shown
        refused = access.opened(manager, 2, {"allowed": False, "reason": "no grant"})
        assert (refused.shown, refused.why) == (False, "no grant")
        assert access.opened(manager, 2, None).why == access.UNCHECKED
        # the customer service allowing is not enough where the ticket service refuses
        assert not access.opened(who("agent"), 2, {"allowed": True, "reason": "x"}).shown
        assert access.opened(who("agent"), 2, None).why == access.ONLY_MANAGERS
        assert access.opened(who("agent"), 0, None).shown

    def test_finding7_the_identity_stays_and_the_rest_is_withheld_saying_why(self):
        row = {"id": "t", "serial": "SH-1", "kind": "after_sales", "status": "new",
               "level": 2, "accepted_at": "x", "assignee_id": None, "group_name": "g",
               "content": "words", "subject": "s", "form": {"a": 1}, "asset_serial": "SN1",
               "contact": {"name": "王", "phone": "+8613800138000", "ext": None,
                           "relation": ""}}
        shown = access.ticket_view(row, access.Reading(False, "why"))
        assert shown == {"id": "t", "serial": "SH-1", "kind": "after_sales", "status": "new",
                         "level": 2, "accepted_at": "x", "assignee_id": None,
                         "group_name": "g", "content_withheld": "why"}
        detail = access.detail_view({"ticket": row, "trail": [{"action": "status",
                                                               "note": "客户说"}]},
                                    access.Reading(False, "why"))
        assert detail["trail"] == [{"action": "status"}]
        assert detail["ticket"]["content_withheld"] == "why"

    def test_finding7_contact_phones_are_masked_even_when_shown(self):
        row = {"content": "x", "contact": {"name": "王", "phone": "+8613800138000",
                                           "ext": "12", "relation": ""}}
        assert access.ticket_view(row, access.SHOWN)["contact"] == {
            "name": "王", "phone": "138****8000", "ext": "12", "relation": ""}
        assert access.ticket_view({"content": "x", "contact": {}}, access.SHOWN)[
            "contact"] == {}

    def test_finding7_contacts_and_jobs_withhold_notes_and_addresses(self):
        contact = access.contact_view({"id": "c", "note": "客户说", "level": 1},
                                      access.Reading(False, "why"))
        assert contact == {"id": "c", "level": 1, "content_withheld": "why"}
        job = access.dispatch_view(
            {"id": "d", "address": "文三路", "note": "王先生", "level": 1,
             "handling": {"done": False, "reason": "不在家", "note": "王先生", "fee": "0"}},
            access.Reading(False, "why"))
        assert job == {"id": "d", "level": 1, "content_withheld": "why",
                       "handling": {"done": False, "fee": "0"}}

    def test_finding7_events_of_a_classified_customer_carry_no_words(self):
        assert access.shareable(0, "王先生在家") == "王先生在家"
        assert access.shareable(1, "王先生在家") == ""
        assert access.shareable(1, "文三路", events.WITHHELD_ADDRESS) == "[保密]"


class Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class Method:
    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def call_async(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return Reply(self.answer)


class CustomerDouble:
    """Stands in for the customer service's proxy (unit tests only: the integration
    tests use the real one)."""

    def __init__(self, answer):
        self.read_archive_for = Method(answer)


class TestTheCustomerServiceDecides:
    """Finding 7: opening a classified ticket's content is decided, and logged, by the
    customer service's one rule (customer.read_archive_for), asked with the caller's
    token (the proxy carries the worker's context)."""

    def test_finding7_a_cleared_reader_is_asked_about_with_reason_and_subject(self):
        customers = CustomerDouble({"allowed": True, "reason": "cleared", "level": 2})
        got = reading.decide(who("manager", clearance=2), customers, "cust-1", 2, "投诉处理",
                             {"ticket_id": "t-1", "serial": "SH-1"})
        assert got.shown
        [(args, kwargs)] = customers.read_archive_for.calls
        assert args == ("cust-1", "投诉处理", {"service": "ticket", "ticket_id": "t-1",
                                               "serial": "SH-1"})

    def test_finding7_a_refusal_is_the_customer_services_word(self):
        customers = CustomerDouble({"allowed": False, "reason": "top secret needs an "
                                                                "approved access request"})
        got = reading.decide(who("manager", clearance=3), customers, "c", 3, "", {})
        assert (got.shown, got.why) == (False, "top secret needs an approved access request")

    def test_finding7_those_not_cleared_are_asked_about_too_so_the_denial_is_logged(self):
        customers = CustomerDouble({"allowed": False, "reason": "only managers"})
        got = reading.decide(who("agent"), customers, "c", 1, "", {})
        assert not got.shown and customers.read_archive_for.calls

    def test_finding7_ordinary_content_asks_nobody(self):
        customers = CustomerDouble(AssertionError("must not be asked"))
        assert reading.decide(who("agent"), customers, "c", 0, "", {}).shown
        assert customers.read_archive_for.calls == []

    def test_finding7_no_answer_withholds(self):
        from services.common.errors import Unavailable
        customers = CustomerDouble(Unavailable("customer service down"))
        got = reading.decide(who("manager", clearance=3), customers, "c", 2, "", {})
        assert (got.shown, got.why) == (False, access.UNCHECKED)


def test_finding8_a_dispatcher_reaches_the_groups_tickets_to_reschedule_them():
    """T7: a dispatcher of the group reschedules a field job whoever holds the ticket now;
    nobody dispatches another group's ticket."""
    agent = who("agent", groups=("g",))
    assert access.dispatch_scope(agent) == access.read_scope(agent)
    assert access.dispatch_scope(agent)["unassigned_only"] is False
