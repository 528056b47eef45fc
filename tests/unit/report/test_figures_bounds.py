"""R2: the figures' edges — the "no group" line keeps its times, an answer's size is
bounded, the daily count is for those who see everything, and a scoped caller's agent
filter and rollup stay in scope (handlers/figures.py over an in-memory store)."""
import datetime
from types import SimpleNamespace
from unittest import mock

import pytest

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.report import contract
from services.report.domain import facts as f
from services.report.domain import figures as g
from services.report.handlers import figures as handler

DAY = datetime.date(2026, 3, 2)


def person(roles, groups=(), pid="p1") -> Principal:
    return Principal(id=pid, username=pid, roles=frozenset(roles), groups=frozenset(groups),
                     clearance=0)


class TestR2NoGroupTimes:
    def test_r2_the_no_group_line_has_its_times_when_grouping_by_group(self):
        # the rollups key a ticket without a group as '' — the count rows and time rows both
        counts = [{"period": DAY, "group_name": "", **dict.fromkeys(f.COUNTERS, 0),
                   "resolved": 2},
                  {"period": DAY, "group_name": "客服一组", **dict.fromkeys(f.COUNTERS, 0),
                   "resolved": 1}]
        times = [{"period": DAY, "kind": None, "group_name": "", "measure": "resolution",
                  "bucket": 1, "n": 2, "seconds": 150},
                 {"period": DAY, "kind": None, "group_name": "客服一组",
                  "measure": "resolution", "bucket": 1, "n": 1, "seconds": 90}]
        out = {p["group_name"]: p for p in g.series(counts, times, ["group"], DAY, DAY, "day")}
        assert set(out) == {None, "客服一组"}
        assert out[None]["resolution_mean"] == 75.0
        assert out["客服一组"]["resolution_mean"] == 90.0


class TestR2AnswerSize:
    @staticmethod
    def rows(keys: int) -> list[dict]:
        return [{"period": DAY, "group_name": f"g{k}", "agent_id": f"a{k}", "kind": "x"}
                for k in range(keys)]

    def test_r2_more_than_20000_points_is_invalid_naming_by(self):
        first, last = datetime.date(2025, 2, 1), datetime.date(2026, 3, 7)  # 400 days
        g.check_size(self.rows(50), ["group", "agent", "kind"], first, last, "day")  # 20,000
        with pytest.raises(Invalid) as caught:
            g.check_size(self.rows(51), ["group", "agent", "kind"], first, last, "day")
        assert "by" in caught.value.fields
        # the same keys by month are few points
        g.check_size(self.rows(1000), ["group", "agent", "kind"], first, last, "month")

    def test_r2_an_ungrouped_answer_is_one_line_and_never_too_large(self):
        g.check_size([], [], datetime.date(2025, 2, 1), datetime.date(2026, 3, 7), "day")

    def test_r2_the_handler_refuses_before_reading_times(self):
        store = SimpleNamespace(counts=lambda *a: self.rows(60),
                                times=mock.Mock(side_effect=AssertionError("read times")))
        query = {"from_day": datetime.date(2025, 2, 1), "to_day": datetime.date(2026, 3, 7),
                 "period": "day", "by": ["group", "agent", "kind"]}
        with mock.patch.object(handler, "store", store), \
                mock.patch.object(handler, "as_of", lambda tx: None):
            with pytest.raises(Invalid) as caught:
                handler.ticket_figures(SimpleNamespace(cur=None), person({"manager"}), query)
        assert "by" in caught.value.fields


class TestR2DailyCountRoles:
    def test_r2_the_daily_count_is_for_those_who_see_everything(self):
        roles = {op.name: op.roles for op in contract.CONTRACT.operations}["tickets_daily"]
        assert frozenset(roles) == g.EVERYTHING
        assert not {"agent", "supervisor"} & set(roles)


class TestR2ScopedCallers:
    QUERY = {"from_day": DAY, "to_day": DAY, "period": "day", "by": []}

    def figures(self, principal, query, agent_in_groups=False):
        seen = {}

        def counts(cur, table, *args):
            seen["table"] = table
            return []
        store = SimpleNamespace(counts=counts, times=lambda *a: [],
                                agent_in_groups=lambda cur, a, gs: agent_in_groups)
        with mock.patch.object(handler, "store", store), \
                mock.patch.object(handler, "as_of", lambda tx: None):
            handler.ticket_figures(SimpleNamespace(cur=None), principal,
                                   {**self.QUERY, **query})
        return seen["table"]

    def test_r2_a_supervisors_agent_filter_outside_their_groups_is_not_found(self):
        supervisor = person({"supervisor"}, groups={"客服一组"})
        with pytest.raises(NotFound):
            self.figures(supervisor, {"agent_id": "elsewhere"}, agent_in_groups=False)
        assert self.figures(supervisor, {"agent_id": "mine"}, agent_in_groups=True) == \
            f.DAY_STAFF

    def test_r2_a_scoped_caller_is_never_answered_from_the_day_by_kind_rollup(self):
        assert self.figures(person({"manager"}), {"by": ["kind"]}) == f.DAY
        assert self.figures(person({"manager"}), {"by": ["channel"]}) == f.DAY_KIND
        assert self.figures(person({"agent"}), {"by": ["kind"]}) == f.DAY_STAFF
        assert self.figures(person({"supervisor"}, {"g"}), {"by": ["kind"]}) == f.DAY_GROUP
        for unscoped in (f.DAY, f.DAY_KIND):
            with mock.patch.object(handler.rules, "rollup_for", lambda *a, t=unscoped: t), \
                    pytest.raises(AssertionError):
                self.figures(person({"agent"}), {"by": ["kind"]})
            with mock.patch.object(handler.rules, "rollup_for", lambda *a, t=unscoped: t), \
                    pytest.raises(AssertionError):
                self.figures(person({"supervisor"}, {"g"}), {"by": ["kind"]})
