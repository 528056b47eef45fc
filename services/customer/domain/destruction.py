"""Destruction 销毁 (C6): who may request it, and the ordered three-step approval.

A front-line staff member asks, with a reason; then, in this order, the
customer-information supervisor (客户信息主管), the customer-service manager
(客服经理) and the general manager (总经理) approve — three different people,
none of them the requester, each cleared for the record's effective level.
Any of them may reject at their own step, which ends the request.  After the
third approval the personal data is erased and a tombstone stays.  No I/O.
"""
from dataclasses import dataclass

from services.common.errors import Conflict, Forbidden, NotFound
from services.common.identity import Principal
from services.customer.contract import DESTRUCTION_APPROVERS, DESTRUCTION_REQUESTERS
from services.vocabulary import AUDITOR, GENERAL_MANAGER, MANAGER, SUPERVISOR

PENDING, REJECTED, DESTROYED = "pending", "rejected", "destroyed"
STATUSES = (PENDING, REJECTED, DESTROYED)
APPROVE, REJECT = "approve", "reject"
REDACTED = "[已销毁]"


@dataclass(frozen=True)
class Step:
    number: int
    role: str
    title: str


STEPS = (
    Step(1, SUPERVISOR, "客户信息主管"),
    Step(2, MANAGER, "客服经理"),
    Step(3, GENERAL_MANAGER, "总经理"),
)
# Who may ask for a destruction: any front-line staff member (the contract index).
REQUESTERS = DESTRUCTION_REQUESTERS
# Who may decide at some step: the roles of STEPS (the step itself is checked by
# `check_decision`).
APPROVERS = DESTRUCTION_APPROVERS
# Who sees every request within their clearance (others see only their own).
OVERSEERS = APPROVERS | {AUDITOR}


def no_such_request() -> NotFound:
    return NotFound("no such destruction request")


def check_cleared(principal: Principal, effective_level: int, not_found: NotFound) -> None:
    """Above the caller's clearance the record does not exist for them (404)."""
    if not principal.is_system and effective_level > principal.clearance:
        raise not_found


def check_requestable(principal: Principal, customer: dict | None, pending: bool) -> dict:
    """The customer, when this principal may ask to destroy it now.

    NotFound when there is no such customer for the caller (absent, above their
    clearance, merged into another, already destroyed); Conflict when a request
    for it is already waiting.
    """
    missing = NotFound("no such customer")
    if customer is None or customer.get("destroyed_at") is not None or customer.get(
            "merged_into"):
        raise missing
    check_cleared(principal, customer["effective_level"], missing)
    if not principal.has_any(REQUESTERS):
        raise Forbidden("your role may not request a destruction")
    if pending:
        raise Conflict("a destruction request for this customer is already pending",
                       {"customer_id": ["already has a pending destruction request"]})
    return customer


def awaited_step(approvals: list[dict]) -> Step | None:
    """The step whose decision is awaited: the one after the last approval."""
    done = len([a for a in approvals if a["decision"] == APPROVE])
    return STEPS[done] if done < len(STEPS) else None


def check_decision(principal: Principal, request: dict, approvals: list[dict]) -> Step:
    """The step this principal decides now; refuses what the rules forbid.

    Conflict (409) when the request is no longer pending or when it is not
    this principal's step yet / any more (out of order); Forbidden (403) for
    the requester and for someone who already approved an earlier step.
    """
    if request["status"] != PENDING:
        raise Conflict(f"the request is already {request['status']}")
    step = awaited_step(approvals)
    if step is None:  # cannot happen for a pending request; refuse rather than guess
        raise Conflict("every step has already approved")
    if principal.id == request["requester_id"]:
        raise Forbidden("the requester may not approve or reject their own request")
    for earlier in approvals:
        if earlier["approver_id"] == principal.id:
            raise Forbidden(f"you already approved step {earlier['step']}; "
                            "each step needs a different person")
    if step.role not in principal.roles:
        raise Conflict(_out_of_order(principal, step))
    return step


def _out_of_order(principal: Principal, step: Step) -> str:
    awaited = f"step {step.number} ({step.title}, role {step.role})"
    mine = [s for s in STEPS if s.role in principal.roles]
    if mine and all(s.number > step.number for s in mine):
        return f"out of order: {awaited} must decide first"
    if mine and all(s.number < step.number for s in mine):
        return f"out of order: your step is done; waiting for {awaited}"
    return f"out of order: waiting for {awaited}"


def outcome(step: Step, decision: str) -> tuple[str, bool]:
    """(new status, erase now?) after this step's decision."""
    if decision == REJECT:
        return REJECTED, False
    if step.number == STEPS[-1].number:
        return DESTROYED, True
    return PENDING, False


def may_see_all(principal: Principal) -> bool:
    """Approvers, auditors (and the system) see every request; others only their own."""
    return principal.is_system or principal.has_any(OVERSEERS)


def check_visible(principal: Principal, request: dict | None) -> dict:
    """The request, when the caller may see it: 404 for someone else's, or for a
    record above their clearance."""
    if request is None:
        raise no_such_request()
    if not may_see_all(principal) and request["requester_id"] != principal.id:
        raise no_such_request()
    check_cleared(principal, request["effective_level"], no_such_request())
    return request


def present(request: dict, approvals: list[dict]) -> dict:
    """A request with its decisions so far and the step it waits for."""
    step = awaited_step(approvals) if request["status"] == PENDING else None
    return {
        **request,
        "destroyed": request.get("destroyed_at") is not None,
        "awaiting_step": step.number if step else None,
        "awaiting_role": step.role if step else None,
        "awaiting_title": step.title if step else None,
        "approvals": sorted(approvals, key=lambda a: a["step"]),
    }
