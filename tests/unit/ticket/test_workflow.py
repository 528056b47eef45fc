"""T4 workflow rules and T5 queue rules, without I/O: the transition table pair by
pair, routing, and the cursor.  Who may act on a ticket at all is the data scope
(domain.access, tests/unit/ticket/test_access.py)."""
import datetime
import itertools

import pytest

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.identity import Principal
from services.common.paging import encode_cursor
from services.ticket.contract import tickets as contract
from services.ticket.domain import workflow as wf

NOW = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC)

# The documented graph, written out independently of the module's table.
ALLOWED = {
    ("new", "assigned"), ("new", "in_progress"), ("new", "cancelled"),
    ("assigned", "new"), ("assigned", "in_progress"), ("assigned", "cancelled"),
    ("in_progress", "new"), ("in_progress", "assigned"), ("in_progress", "waiting"),
    ("in_progress", "resolved"), ("in_progress", "cancelled"),
    ("waiting", "new"), ("waiting", "assigned"), ("waiting", "in_progress"),
    ("waiting", "resolved"), ("waiting", "cancelled"),
    ("resolved", "closed"), ("resolved", "in_progress"), ("resolved", "assigned"),
    ("closed", "in_progress"),
}
PAIRS = list(itertools.product(contract.STATUSES, contract.STATUSES))


def who(roles=("agent",), groups=("hotline",), staff_id="me") -> Principal:
    return Principal(id=staff_id, username=staff_id, roles=frozenset(roles),
                     groups=frozenset(groups), clearance=0)


def ticket(status="in_progress", assignee="me", group="hotline", acceptor="someone",
           closed_at=None) -> dict:
    return {"id": "t", "status": status, "assignee_id": assignee, "group_name": group,
            "acceptor_id": acceptor, "resolved_at": None, "closed_at": closed_at}


class TestTransitionTable:
    def test_statuses_are_the_contracts(self):
        assert wf.STATUSES == contract.STATUSES
        assert set(wf.TRANSITIONS) == set(contract.STATUSES)

    @pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
    def test_every_pair_is_allowed_or_refused(self, from_status, to_status):
        assert wf.allowed(from_status, to_status) == ((from_status, to_status) in ALLOWED)
        if (from_status, to_status) in ALLOWED:
            wf.check_move(from_status, to_status)
        else:
            with pytest.raises(Conflict) as refused:
                wf.check_move(from_status, to_status)
            assert from_status in refused.value.message and to_status in refused.value.message

    @pytest.mark.parametrize("to_status", contract.STATUSES)
    def test_cancelled_is_final(self, to_status):
        with pytest.raises(Conflict):
            wf.check_move("cancelled", to_status)

    def test_unknown_target_is_invalid(self):
        with pytest.raises(Invalid) as bad:
            wf.check_move("new", "reopened")
        assert "to" in bad.value.fields


class TestPlanTransition:
    @pytest.mark.parametrize(("from_status", "to_status"), [
        p for p in sorted(ALLOWED) if p[1] != "new" and (p[1] != "assigned" or p[0] == "resolved")])
    def test_explicit_moves_are_planned(self, from_status, to_status):
        waiting_on = "customer" if to_status == "waiting" else None
        plan = wf.plan_transition(ticket(from_status, closed_at=NOW), to_status, waiting_on,
                                  "me", NOW)
        assert plan["status"] == to_status
        assert plan["waiting_on"] == waiting_on

    @pytest.mark.parametrize(("from_status", "to_status"), sorted(set(PAIRS) - ALLOWED))
    def test_refused_moves_are_conflicts(self, from_status, to_status):
        waiting_on = "parts" if to_status == "waiting" else None
        with pytest.raises((Conflict, Invalid)):
            wf.plan_transition(ticket(from_status), to_status, waiting_on, "me", NOW)

    def test_back_to_new_goes_by_routing(self):
        with pytest.raises(Invalid, match="transfer"):
            wf.plan_transition(ticket("in_progress"), "new", None, "me", NOW)

    def test_assigning_goes_by_transfer(self):
        with pytest.raises(Invalid, match="transfer"):
            wf.plan_transition(ticket("new", assignee=None), "assigned", None, "me", NOW)

    def test_waiting_needs_what_it_waits_on(self):
        with pytest.raises(Invalid) as bad:
            wf.plan_transition(ticket(), "waiting", None, "me", NOW)
        assert "waiting_on" in bad.value.fields
        with pytest.raises(Invalid):
            wf.plan_transition(ticket(), "resolved", "customer", "me", NOW)

    def test_resolve_and_close_stamp_times_and_reopen_clears_them(self):
        resolved = wf.plan_transition(ticket(), "resolved", None, "me", NOW)
        assert resolved["resolved_at"] == NOW
        closed = wf.plan_transition({**ticket("resolved"), "resolved_at": NOW}, "closed", None,
                                    "me", NOW)
        assert closed["closed_at"] == NOW and closed["resolved_at"] == NOW
        reopened = wf.plan_transition({**ticket("closed", closed_at=NOW), "resolved_at": NOW},
                                      "in_progress", None, "me", NOW)
        assert reopened["action"] == "reopened"
        assert reopened["resolved_at"] is None and reopened["closed_at"] is None

    def test_closed_reopens_only_within_the_policy(self):
        edge = NOW - datetime.timedelta(days=wf.REOPEN_CLOSED_DAYS)
        wf.plan_transition(ticket("closed", closed_at=edge), "in_progress", None, "me", NOW)
        late = edge - datetime.timedelta(seconds=1)
        with pytest.raises(Conflict, match="days"):
            wf.plan_transition(ticket("closed", closed_at=late), "in_progress", None, "me", NOW)

    def test_starting_an_unassigned_ticket_takes_it(self):
        plan = wf.plan_transition(ticket("new", assignee=None), "in_progress", None, "me", NOW)
        assert plan["assignee_id"] == "me"


class TestRouting:
    def test_accept_refuses_someone_elses_and_started(self):
        with pytest.raises(Conflict):
            wf.check_accept(who(("supervisor",)), ticket("assigned", assignee="x"))
        with pytest.raises(Conflict):
            wf.check_accept(who(), ticket("in_progress", assignee="me"))
        wf.check_accept(who(), ticket("assigned", assignee="me"))
        wf.check_accept(who(), ticket("new", assignee=None))

    @pytest.mark.parametrize("status", ["resolved", "closed", "cancelled"])
    def test_finished_tickets_are_not_routed(self, status):
        with pytest.raises(Conflict):
            wf.check_routable(ticket(status), "transferred")

    def test_hand_back_needs_a_note_the_assignee_and_a_group(self):
        with pytest.raises(Invalid):
            wf.check_hand_back(who(), ticket(), "  ")
        with pytest.raises(Forbidden):
            wf.check_hand_back(who(), ticket(assignee="x"), "busy")
        with pytest.raises(Conflict):
            wf.check_hand_back(who(), ticket(group=None), "busy")
        wf.check_hand_back(who(), ticket(), "busy")

    def test_transfer_to_a_person_moves_the_group_only_when_they_are_elsewhere(self):
        assert wf.person_group("hotline", ["hotline", "vip"]) == "hotline"
        assert wf.person_group("hotline", ["field-service"]) == "field-service"
        assert wf.person_group("hotline", []) == "hotline"
        assert wf.transfer_status(True) == "assigned" and wf.transfer_status(False) == "new"


class TestQueueRules:
    def test_cursor_round_trips_and_garbage_is_invalid(self):
        cursor = encode_cursor(NOW, "6f1c1b9e-8d0e-4a57-9f0e-1d2c3b4a5968")
        assert wf.decode_cursor(cursor) == (NOW, "6f1c1b9e-8d0e-4a57-9f0e-1d2c3b4a5968")
        with pytest.raises(Invalid) as bad:
            wf.decode_cursor("not-a-cursor")
        assert "cursor" in bad.value.fields

    def test_mine_is_open_tickets(self):
        assert wf.queue_scope(who(), {"view": "mine"}) == {"view": "mine", "assignee_id": "me"}
        with pytest.raises(Invalid):
            wf.queue_scope(who(), {"view": "mine", "status": ["closed"]})

    def test_group_unassigned_is_my_groups_or_any_for_managers(self):
        me = who(groups=("b", "a"))
        assert wf.queue_scope(me, {"view": "group_unassigned"})["groups"] == ["a", "b"]
        with pytest.raises(NotFound):
            wf.queue_scope(me, {"view": "group_unassigned", "group": "c"})
        with pytest.raises(NotFound):  # issue 9 finding 8: supervisors oversee their groups
            wf.queue_scope(who(("supervisor",)), {"view": "group_unassigned", "group": "c"})
        assert wf.queue_scope(who(("manager",)), {"view": "group_unassigned",
                                                  "group": "c"})["groups"] == ["c"]

    def test_all_is_for_supervisors_or_lookups(self):
        assert wf.queue_scope(who(("manager",)), {"view": "all"}) == {"view": "all"}
        with pytest.raises(Forbidden):
            wf.queue_scope(who(), {"view": "all"})
        assert wf.queue_scope(who(), {"view": "all", "text": "空调"}) == {"view": "all"}
        with pytest.raises(Forbidden):
            wf.queue_scope(who(("field",)), {"view": "all", "text": "空调"})

    def test_finding11_text_is_two_characters_after_trimming(self):
        """Issue 9 finding 11: a text search reads the bigram index, which needs two
        characters; spaces around them do not count."""
        with pytest.raises(Invalid) as bad:
            wf.queue_filters(who(("manager",)), {"view": "all", "text": " x "})
        assert "text" in bad.value.fields
        read = wf.queue_filters(who(("manager",)), {"view": "all", "text": " 漏水 "})
        assert (read["text"], read["pattern"], read["serial"]) == ("漏水", "%漏水%", None)

    def test_serials_are_recognised(self):
        assert wf.looks_like_serial("SH-20261122-0001")
        assert wf.looks_like_serial("sh-20261122-0001")
        assert not wf.looks_like_serial("空调不制冷")

    def test_counts_view_sums_and_fills_zeros(self):
        rows = [{"scope": "assignee", "key": "me", "status": "in_progress", "n": 2},
                {"scope": "assignee", "key": "me", "status": "closed", "n": 9},
                {"scope": "group", "key": "a", "status": "new", "n": 3}]
        view = wf.counts_view(rows, "me", ["a", "b"])
        assert view["mine"]["in_progress"] == 2 and view["mine_total"] == 2
        assert view["groups"][0] == {"group": "a", "unassigned": {
            "new": 3, "assigned": 0, "in_progress": 0, "waiting": 0, "resolved": 0},
            "total": 3}
        assert view["groups"][1]["total"] == 0


class TestSchemas:
    def test_transfer_takes_exactly_one_target(self):
        from marshmallow import ValidationError

        from services.ticket.contract.workflow import TransferIn
        assert TransferIn().load({"group": "g"}) == {"group": "g", "note": ""}
        for bad in ({}, {"group": "g", "staff_id": "s"}, {"group": ""}):
            with pytest.raises(ValidationError):
                TransferIn().load(bad)

    @pytest.mark.parametrize(("param", "value"), [
        ("status", "new,open"), ("urgency", "asap"), ("limit", "101"), ("view", "x"),
        ("accepted_from", "2026-11-22T10:00:00"),
    ])
    def test_queue_query_errors_name_the_parameter(self, param, value):
        from marshmallow import ValidationError

        from services.ticket.contract.workflow import QueueQuery
        with pytest.raises(ValidationError) as bad:
            QueueQuery().load({param: value})
        assert list(bad.value.messages) == [param]

    def test_queue_query_reads_http_strings(self):
        from services.ticket.contract.workflow import QueueQuery
        query = QueueQuery().load({"status": "new, waiting", "limit": "5",
                                   "accepted_from": "2026-11-01"})
        assert query["status"] == ["new", "waiting"] and query["limit"] == 5
        assert query["accepted_from"].utcoffset() == datetime.timedelta(hours=8)

    def test_issue10_from_and_to_are_the_short_names_of_the_accepted_dates(self):
        """Issue 10 (11.5): the README's `from=`/`to=` work as well as `accepted_from=` and
        `accepted_to=`."""
        from services.ticket.contract.workflow import QueueQuery
        short = QueueQuery().load({"from": "2026-11-01", "to": "2026-11-02"})
        long = QueueQuery().load({"accepted_from": "2026-11-01", "accepted_to": "2026-11-02"})
        assert short == long and set(short) >= {"accepted_from", "accepted_to"}
        assert "from" not in short and "to" not in short
        mixed = QueueQuery().load({"from": "2026-11-01", "accepted_to": "2026-11-02"})
        assert mixed["accepted_to"] == long["accepted_to"]

    @pytest.mark.parametrize(("given", "named"), [
        ({"from": "2026-11-01", "accepted_from": "2026-11-01"}, "from"),
        ({"to": "2026-11-02", "accepted_to": "2026-11-02"}, "to"),
    ])
    def test_issue10_a_date_given_by_both_names_is_refused_naming_it(self, given, named):
        from marshmallow import ValidationError

        from services.ticket.contract.workflow import QueueQuery
        with pytest.raises(ValidationError) as bad:
            QueueQuery().load(given)
        assert list(bad.value.messages) == [named]
        assert f"accepted_{named}" in str(bad.value.messages[named])

    @pytest.mark.parametrize(("param", "value"), [("from", "yesterday"), ("to", "2026-13-01")])
    def test_issue10_a_bad_short_date_is_refused_naming_the_parameter(self, param, value):
        from marshmallow import ValidationError

        from services.ticket.contract.workflow import QueueQuery
        with pytest.raises(ValidationError) as bad:
            QueueQuery().load({param: value})
        assert list(bad.value.messages) == [param]
        assert "not a date" in str(bad.value.messages[param])  # not "unknown field"
