"""C6 destruction 销毁: the ordered three-step approval rules, free of I/O."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.common.errors import Conflict, Forbidden, NotFound
from services.common.identity import Principal
from services.customer.contract import destruction as schemas
from services.customer.domain import destruction as rules


def person(pid: str, *roles: str, clearance: int = 3) -> Principal:
    return Principal(id=pid, username=pid, roles=frozenset(roles), groups=frozenset(),
                     clearance=clearance)


AGENT = person("agent-1", "agent", clearance=0)
SUPERVISOR = person("sup-1", "supervisor")
MANAGER = person("mgr-1", "manager")
GM = person("gm-1", "general_manager")


def pending(requester: str = "agent-1", level: int = 0) -> dict:
    return {"id": "r", "status": "pending", "requester_id": requester, "effective_level": level,
            "destroyed_at": None}


def approved(*people: Principal) -> list[dict]:
    return [{"step": n, "role": rules.STEPS[n - 1].role, "decision": "approve",
             "approver_id": p.id} for n, p in enumerate(people, start=1)]


class TestOrder:
    def test_supervisor_then_manager_then_general_manager(self):
        request, done = pending(), []
        for who, number, role in ((SUPERVISOR, 1, "supervisor"), (MANAGER, 2, "manager"),
                                  (GM, 3, "general_manager")):
            step = rules.check_decision(who, request, done)
            assert (step.number, step.role) == (number, role)
            done = approved(*[SUPERVISOR, MANAGER, GM][:number])
        assert rules.outcome(step, rules.APPROVE) == (rules.DESTROYED, True)

    @pytest.mark.parametrize("who", [MANAGER, GM])
    def test_a_later_step_before_the_supervisor_is_out_of_order(self, who):
        with pytest.raises(Conflict) as caught:
            rules.check_decision(who, pending(), [])
        assert "out of order" in caught.value.message
        assert "step 1" in caught.value.message and "must decide first" in caught.value.message

    def test_general_manager_before_the_manager_is_out_of_order(self):
        with pytest.raises(Conflict, match="step 2"):
            rules.check_decision(GM, pending(), approved(SUPERVISOR))

    def test_supervisor_again_after_step_one_is_out_of_order(self):
        other_supervisor = person("sup-2", "supervisor")
        with pytest.raises(Conflict, match="your step is done; waiting for step 2"):
            rules.check_decision(other_supervisor, pending(), approved(SUPERVISOR))

    def test_a_request_no_longer_pending_takes_no_decision(self):
        for status in (rules.REJECTED, rules.DESTROYED):
            with pytest.raises(Conflict, match=f"already {status}"):
                rules.check_decision(SUPERVISOR, {**pending(), "status": status}, [])

    def test_first_two_approvals_keep_it_pending_and_erase_nothing(self):
        for step in rules.STEPS[:2]:
            assert rules.outcome(step, rules.APPROVE) == (rules.PENDING, False)

    @pytest.mark.parametrize("step", rules.STEPS)
    def test_a_rejection_at_any_step_ends_the_request(self, step):
        assert rules.outcome(step, rules.REJECT) == (rules.REJECTED, False)


class TestPeople:
    def test_the_requester_may_not_approve(self):
        with pytest.raises(Forbidden, match="requester"):
            rules.check_decision(SUPERVISOR, pending(requester=SUPERVISOR.id), [])

    def test_the_requester_may_not_reject_either_at_a_later_step(self):
        with pytest.raises(Forbidden, match="requester"):
            rules.check_decision(MANAGER, pending(requester=MANAGER.id), approved(SUPERVISOR))

    def test_one_person_holding_two_roles_approves_only_one_step(self):
        both = person("both", "supervisor", "manager")
        assert rules.check_decision(both, pending(), []).number == 1
        with pytest.raises(Forbidden, match="already approved step 1"):
            rules.check_decision(both, pending(), approved(both))

    def test_an_agent_holds_no_step(self):
        with pytest.raises(Conflict, match="waiting for step 1"):
            rules.check_decision(person("a", "agent"), pending(), [])

    def test_roles_of_the_three_steps(self):
        assert [(s.number, s.role) for s in rules.STEPS] == [
            (1, "supervisor"), (2, "manager"), (3, "general_manager")]
        assert rules.APPROVERS == {"supervisor", "manager", "general_manager"}
        assert "admin" not in rules.REQUESTERS and "agent" in rules.REQUESTERS


class TestClearanceAndRequesting:
    def test_an_approver_below_the_level_does_not_see_the_request(self):
        low = person("sup-low", "supervisor", clearance=1)
        with pytest.raises(NotFound):
            rules.check_visible(low, pending(level=2))
        rules.check_visible(low, pending(level=1))

    def test_others_see_only_their_own_requests(self):
        with pytest.raises(NotFound):
            rules.check_visible(person("agent-2", "agent"), pending())
        rules.check_visible(AGENT, pending())
        rules.check_visible(person("aud", "auditor"), pending())

    def test_request_needs_a_live_customer_within_clearance(self):
        live = {"effective_level": 0, "destroyed_at": None, "merged_into": None}
        rules.check_requestable(AGENT, live, pending=False)
        for gone in (None, {**live, "destroyed_at": "2024-01-01"}, {**live, "merged_into": "x"},
                     {**live, "effective_level": 1}):
            with pytest.raises(NotFound):
                rules.check_requestable(AGENT, gone, pending=False)
        with pytest.raises(Conflict):
            rules.check_requestable(AGENT, live, pending=True)
        with pytest.raises(Forbidden):
            rules.check_requestable(person("adm", "admin"), live, pending=False)

    def test_present_names_the_awaited_step(self):
        shown = rules.present(pending(), approved(SUPERVISOR))
        assert (shown["awaiting_step"], shown["awaiting_role"]) == (2, "manager")
        done = rules.present({**pending(), "status": rules.DESTROYED}, approved(
            SUPERVISOR, MANAGER, GM))
        assert done["awaiting_step"] is None and not done["destroyed"]


class TestSchemas:
    def test_reason_is_required_and_comment_optional(self):
        with pytest.raises(ValidationError) as caught:
            schemas.DestructionRequestIn().load({})
        assert "reason" in caught.value.messages
        assert schemas.ApprovalIn().load({}) == {"comment": ""}
        with pytest.raises(ValidationError) as caught:
            schemas.RejectionIn().load({})
        assert "comment" in caught.value.messages


# --- the rules against a plain reference, over random sequences of attempts -----------

PEOPLE = [person(f"p{i}", *roles) for i, roles in enumerate(
    [("agent",), ("supervisor",), ("supervisor",), ("manager",), ("manager",),
     ("general_manager",), ("general_manager",), ("supervisor", "manager"),
     ("manager", "general_manager")])]
ORDER = ("supervisor", "manager", "general_manager")


def reference(requester: str, done: list[tuple[str, str]], who: Principal) -> str:
    """'ok', 'conflict' or 'forbidden' — written from the requirement, not the code."""
    if len(done) == 3:
        return "conflict"
    if who.id == requester or who.id in {pid for pid, _ in done}:
        return "forbidden"
    return "ok" if ORDER[len(done)] in who.roles else "conflict"


@settings(max_examples=300, deadline=None)
@given(requester=st.sampled_from(PEOPLE),
       attempts=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=12))
def test_random_attempt_sequences_match_the_reference(requester, attempts):
    request = pending(requester=requester.id)
    approvals: list[dict] = []
    done: list[tuple[str, str]] = []
    for who in attempts:
        expected = reference(requester.id, done, who)
        if len(done) == 3:
            request = {**request, "status": rules.DESTROYED}
        try:
            step = rules.check_decision(who, request, approvals)
            got = "ok"
        except Conflict:
            got = "conflict"
        except Forbidden:
            got = "forbidden"
        assert got == expected, (who, done)
        if got == "ok":
            approvals.append({"step": step.number, "role": step.role, "decision": "approve",
                              "approver_id": who.id})
            done.append((who.id, step.role))
    # Whatever happened: the steps were taken in order, by distinct non-requesters.
    assert [a["role"] for a in approvals] == list(ORDER[:len(approvals)])
    ids = [a["approver_id"] for a in approvals]
    assert len(set(ids)) == len(ids) and requester.id not in ids
