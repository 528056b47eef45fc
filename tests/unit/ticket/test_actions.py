"""The actions a ticket's detail page offers (issue 10): only what the workflow allows
this person now."""
from services.common.identity import Principal
from services.ticket.domain.workflow import actions_for

ME = Principal("me", "wang", frozenset({"agent"}), frozenset({"g"}), 0)


def ticket(status, assignee=None, kind="consultation"):
    return {"status": status, "assignee_id": assignee, "kind": kind}


def test_a_new_unassigned_ticket_can_be_accepted_transferred_or_cancelled():
    assert actions_for(ME, ticket("new"), True) == ["accept", "cancelled", "transfer", "remind"]


def test_someone_elses_ticket_is_not_mine_to_accept():
    assert "accept" not in actions_for(ME, ticket("assigned", "other"), True)


def test_my_started_ticket_waits_resolves_or_cancels_not_accepts_again():
    assert actions_for(ME, ticket("in_progress", "me"), False) == [
        "waiting", "resolved", "cancelled", "transfer", "remind"]


def test_a_waiting_ticket_resumes():
    assert actions_for(ME, ticket("waiting", "me"), False)[:2] == ["in_progress", "resolved"]


def test_a_resolved_ticket_closes_or_reopens_and_is_no_longer_routed():
    assert actions_for(ME, ticket("resolved", "me"), True) == ["reopen", "closed", "remind"]


def test_a_closed_ticket_only_reopens_and_a_cancelled_one_offers_nothing():
    assert actions_for(ME, ticket("closed", "me"), True) == ["reopen"]
    assert actions_for(ME, ticket("cancelled", "me"), True) == []


def test_dispatch_is_offered_on_after_sales_jobs_to_those_who_may():
    assert "dispatch" in actions_for(ME, ticket("assigned", kind="after_sales"), True)
    assert "dispatch" not in actions_for(ME, ticket("assigned", kind="after_sales"), False)
    assert "dispatch" not in actions_for(ME, ticket("assigned"), True)
