"""R1, R2, R4: field work 外勤 — a job's fact from its two events, its contribution to
field_day, duplicates and out-of-order delivery changing nothing, the figures' rows and
scope, the biggest customers' bounds, the check's differences (domain/field.py)."""
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.common.errors import Invalid, NotFound
from services.report.contract import CONTRACT
from services.report.contract.field import FieldFiguresQuery, TopCustomersQuery
from services.report.domain import field as rules

UTC = datetime.UTC
T0 = datetime.datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 23:30 in China: Dec 1


def dispatched(dispatch_id="d1", staff="f1", at=T0, category="c1", level=0,
               window_hours=2):
    return {"dispatch_id": dispatch_id, "ticket_id": "t-" + dispatch_id, "staff_id": staff,
            "customer_id": "k1", "level": level, "dispatched_at": at,
            "window_end": at + datetime.timedelta(hours=window_hours),
            "snapshot": {"category_id": category, "customer_id": "k1"}}


def handled(dispatch_id="d1", staff="f1", at=T0 + datetime.timedelta(hours=1),
            minutes=45, parts=3, fee="120.50", paid=True, category="c2", level=0):
    return {"dispatch_id": dispatch_id, "ticket_id": "t-" + dispatch_id, "staff_id": staff,
            "customer_id": "k1", "level": level, "at": at, "category_id": category,
            "arrived_at": at - datetime.timedelta(minutes=minutes, seconds=30),
            "finished_at": at, "parts": parts, "fee": Decimal(fee), "paid": paid}


def apply(rollup: dict, facts: dict, part: dict) -> None:
    """What the live handler does: merge, keep, add the delta."""
    old = facts.get(part["dispatch_id"])
    new = rules.merge(old, part)
    facts[part["dispatch_id"]] = new
    for key, counters in rules.delta(old, new).items():
        row = rollup.setdefault(key, dict.fromkeys(rules.COUNTERS, 0))
        for name, n in counters.items():
            row[name] += n


def nonzero(rollup: dict) -> dict:
    return {k: c for k, c in rollup.items() if any(c.values())}


class TestR1Contribution:
    def test_r1_a_job_counts_dispatched_on_its_china_day_and_handled_on_its_finish_day(self):
        fact = rules.merge(rules.dispatched_part(dispatched(), T0),
                           rules.handled_part(handled()))
        got = rules.contribution(fact)
        dec1, dec2 = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)
        assert got[(dec1, "f1", "c1")]["dispatched"] == 1
        assert got[(dec2, "f1", "c1")] == {
            "dispatched": 0, "handled": 1, "minutes": 45, "timed": 1, "parts": 3,
            "fee_fen": 12050, "paid_fen": 12050, "late": 0}

    def test_r1_fees_are_exact_integer_fen(self):
        assert rules.fen(Decimal("0.29")) == 29 and rules.fen("1234567.01") == 123456701
        assert rules.fen(Decimal("0.10")) + rules.fen(Decimal("0.20")) == 30

    def test_r1_an_unpaid_fee_is_charged_not_collected_and_a_late_finish_is_late(self):
        late = T0 + datetime.timedelta(hours=5)
        fact = rules.merge(rules.dispatched_part(dispatched(), T0),
                           rules.handled_part(handled(at=late, paid=False)))
        [row] = [c for c in rules.contribution(fact).values() if c["handled"]]
        assert (row["fee_fen"], row["paid_fen"], row["late"]) == (12050, 0, 1)

    def test_r1_minutes_need_both_times_in_order(self):
        assert rules.minutes_on_site(None, T0) is None
        assert rules.minutes_on_site(T0, T0 - datetime.timedelta(minutes=1)) is None
        assert rules.minutes_on_site(T0, T0 + datetime.timedelta(seconds=119)) == 1

    def test_r1_the_category_is_the_dispatched_sides_in_either_order(self):
        d, h = rules.dispatched_part(dispatched(), T0), rules.handled_part(handled())
        assert rules.merge(rules.merge(None, h), d) == rules.merge(rules.merge(None, d), h)
        assert {k[2] for k in rules.contribution(rules.merge(None, h))} == {"c2"}
        assert {k[2] for k in rules.contribution(rules.merge(rules.merge(None, h), d))} \
            == {"c1"}

    def test_r4_a_record_of_the_owner_is_the_same_fact_as_its_two_events(self):
        d, h = dispatched(), handled()
        record = {"dispatch_id": "d1", "ticket_id": "t-d1", "staff_id": "f1",
                  "customer_id": "k1", "category_id": "c1", "level": 0,
                  "dispatched_at": T0, "window_end": d["window_end"],
                  "handled_at": h["at"], "arrived_at": h["arrived_at"],
                  "finished_at": h["finished_at"], "parts": 3, "fee": Decimal("120.50"),
                  "paid": True}
        live = rules.merge(rules.dispatched_part(d, T0), rules.handled_part(h))
        assert rules.contribution(rules.record_fact(record)) == rules.contribution(live)

    def test_r4_a_page_read_before_the_handling_keeps_the_handled_side_a_live_event_brought(
            self):
        live = rules.merge(rules.dispatched_part(dispatched(), T0),
                           rules.handled_part(handled()))
        stale = {"dispatch_id": "d1", "ticket_id": "t-d1", "staff_id": "f1",
                 "dispatched_at": T0, "window_end": live["window_end"], "category_id": "c1",
                 "handled_at": None}
        kept = rules.merge_record(live, rules.record_fact(stale))
        assert rules.contribution(kept) == rules.contribution(live)
        assert rules.merge_record(None, rules.record_fact(stale))["handled_at"] is None

    def test_r4_a_record_not_handled_counts_only_its_dispatch(self):
        record = {"dispatch_id": "d1", "ticket_id": "t", "staff_id": "f1",
                  "dispatched_at": T0, "handled_at": None, "parts": None, "fee": None}
        got = rules.contribution(rules.record_fact(record))
        assert [c["dispatched"] for c in got.values()] == [1]
        assert all(c["handled"] == 0 for c in got.values())


@st.composite
def deliveries(draw):
    """Jobs (some dispatched only, some handled only), each side delivered one to three
    times, in any order."""
    jobs = draw(st.integers(1, 6))
    parts = []
    for i in range(jobs):
        staff = draw(st.sampled_from(["f1", "f2"]))
        sent = T0 + datetime.timedelta(hours=draw(st.integers(-30, 30)))
        done = sent + datetime.timedelta(minutes=draw(st.integers(1, 4000)))
        sides = draw(st.sampled_from(["both", "dispatched", "handled"]))
        if sides in ("both", "dispatched"):
            d = rules.dispatched_part(dispatched(f"d{i}", staff, sent,
                                                 draw(st.sampled_from(["c1", "", "c3"])),
                                                 draw(st.integers(0, 3))), sent)
            parts += [d] * draw(st.integers(1, 3))
        if sides in ("both", "handled"):
            h = rules.handled_part(handled(
                f"d{i}", staff, done, draw(st.integers(0, 600)), draw(st.integers(0, 9)),
                str(Decimal(draw(st.integers(0, 10**7))) / 100), draw(st.booleans()),
                draw(st.sampled_from(["c1", "c2"])), draw(st.integers(0, 3))))
            parts += [h] * draw(st.integers(1, 3))
    return draw(st.permutations(parts))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(deliveries())
def test_r1_duplicates_and_out_of_order_delivery_change_nothing(parts):
    rollup: dict = {}
    facts: dict = {}
    for part in parts:
        apply(rollup, facts, part)
    # the reference: each job's sides merged once, in the natural order
    once: dict = {}
    for part in sorted({id(p): p for p in parts}.values(),
                       key=lambda p: p["handled_at"] is not None):
        once[part["dispatch_id"]] = rules.merge(once.get(part["dispatch_id"]), part)
    assert facts == once
    assert nonzero(rollup) == rules.summed(list(once.values()))


class TestR2Figures:
    FIRST, LAST = datetime.date(2026, 12, 1), datetime.date(2026, 12, 3)

    def test_r2_every_period_of_every_key_is_a_row_zeros_where_none(self):
        found = [{"period": self.FIRST, "staff_id": "f2", "category_id": None,
                  **dict.fromkeys(rules.FIGURES, 1)}]
        columns, rows = rules.table(found, ("staff",), self.FIRST, self.LAST, "day")
        assert columns == ["period", "staff_id", *rules.FIGURES]
        assert rows == [["2026-12-01", "f2", *[1] * len(rules.FIGURES)],
                        ["2026-12-02", "f2", *[0] * len(rules.FIGURES)],
                        ["2026-12-03", "f2", *[0] * len(rules.FIGURES)]]

    def test_r2_ungrouped_with_nothing_found_still_answers_every_period(self):
        _, rows = rules.table([], (), self.FIRST, self.LAST, "day")
        assert [r[0] for r in rows] == ["2026-12-01", "2026-12-02", "2026-12-03"]

    def test_r2_an_answer_above_the_bound_is_invalid_naming_by(self):
        found = [{"period": self.FIRST, "staff_id": f"f{i}", **dict.fromkeys(rules.FIGURES, 1)}
                 for i in range(200)]
        with pytest.raises(Invalid) as caught:
            rules.table(found, ("staff",), self.FIRST, self.FIRST + datetime.timedelta(100),
                        "day")
        assert "by" in caught.value.fields

    def test_r2_field_staff_read_their_own_and_another_staff_member_is_not_found(self):
        own = rules.staff_scope("f1", {"field"})
        assert rules.within_scope(own, None) == "f1"
        assert rules.within_scope(own, "f1") == "f1"
        with pytest.raises(NotFound):
            rules.within_scope(own, "f2")

    @pytest.mark.parametrize("role", ["supervisor", "manager", "general_manager", "admin",
                                      "auditor"])
    def test_r2_supervisors_up_admins_and_the_auditor_read_everyone(self, role):
        assert rules.within_scope(rules.staff_scope("x", {role}), "f2") == "f2"
        assert rules.within_scope(rules.staff_scope("x", {role}), None) is None

    def test_r2_the_contract_lets_field_staff_read_field_figures_not_top_customers(self):
        ops = {op.name: op for op in CONTRACT.operations}
        assert "field" in ops["field_figures"].roles and "agent" not in ops["field_figures"].roles
        assert "field" not in ops["top_customers"].roles
        assert {"supervisor", "admin", "auditor"} <= set(ops["top_customers"].roles)

    def test_r2_bad_queries_are_invalid_naming_the_field(self):
        with pytest.raises(ValidationError) as caught:
            FieldFiguresQuery().load({"from": "2026-12-01", "to": "2026-12-02",
                                      "by": ["group"]})
        assert "by" in caught.value.messages
        with pytest.raises(ValidationError) as caught:
            FieldFiguresQuery().load({"from": "2026-12-01", "to": "2026-12-02",
                                      "staff_id": "x" * 101})
        assert "staff_id" in caught.value.messages
        with pytest.raises(ValidationError) as caught:
            TopCustomersQuery().load({"from": "2026-12-01", "to": "2026-12-02",
                                      "limit": 101})
        assert "limit" in caught.value.messages

    def test_r2_top_customers_cover_at_most_92_days_naming_to(self):
        rules.check_top(self.FIRST, self.FIRST + datetime.timedelta(days=91))
        with pytest.raises(Invalid) as caught:
            rules.check_top(self.FIRST, self.FIRST + datetime.timedelta(days=92))
        assert "to" in caught.value.fields


class TestR4Check:
    def test_r4_each_differing_day_and_measure_is_named_kind_field(self):
        day = datetime.date(2026, 12, 1)
        ours = [{"day": day, "dispatched": 2, "handled": 1, "fee_fen": 100}]
        owner = [{"day": "2026-12-01", "dispatched": 2, "handled": 2, "fee_fen": 100},
                 {"day": "2026-12-02", "dispatched": 1, "handled": 0, "fee_fen": 0}]
        assert rules.differences(ours, owner) == [
            {"day": day, "kind": "field", "measure": "handled", "ours": 1, "owner": 2},
            {"day": datetime.date(2026, 12, 2), "kind": "field", "measure": "dispatched",
             "ours": 0, "owner": 1}]


def test_r1_the_store_writes_every_field_of_a_fact_in_the_domains_order():
    from services.report.store import field as store
    assert store.FACT_COLUMNS == rules.FACT_FIELDS
