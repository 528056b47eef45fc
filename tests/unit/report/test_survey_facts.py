"""Issue 13, follow-ups 回访 and satisfaction 满意度 statistics: R1 what one task and one
answer add to the daily rollups (facts merged from the survey events, deltas) —
property-based: the rollups kept by deltas (handlers/survey.py over an in-memory store)
equal the final facts summed whatever the order and duplicates, and after a rebuild
amid live events; the CSAT/NPS definitions are the survey service's own; R2 the figures
as read (scope, zero-filled rows, rates, bound); R4 the check's differences."""
import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.report.domain import survey as rules
from services.report.handlers import survey as handler
from services.survey.domain import satisfaction as survey_satisfaction

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
START = datetime.datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 in China: days split
D1, D2, D3 = datetime.date(2026, 3, 1), datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)


def at(seconds: float) -> datetime.datetime:
    return START + datetime.timedelta(seconds=seconds)


def data(task_id="t1", groups=("售后", "售前"), assignee="a1", due=3600, **more) -> dict:
    return {"task_id": task_id, "ticket_id": "k1", "ticket_serial": "S1",
            "customer_id": "c1", "groups": list(groups), "assignee_id": assignee,
            "due_at": at(due), **more}


def fact_of(*events) -> dict | None:
    rows = [rules.event_row(name, d, moment) for name, d, moment in events]
    return rules.followup_fact("t1", rows)


class TestR1FollowupFacts:
    def test_r1_a_task_done_on_time_counts_created_due_and_done_on_their_days(self):
        fact = fact_of(("created", data(), at(0)),
                       ("completed", data(outcome="reached", completed_at=at(1800)), at(1800)))
        # created 23:30 on 1 March in China, due and done on 2 March (00:30, 00:00)
        assert rules.contribution(rules.FOLLOWUP_DAY, fact) == {
            (D1, "售后", "a1"): {**dict.fromkeys(rules.FOLLOWUP_COUNTERS, 0), "created": 1},
            (D2, "售后", "a1"): {"created": 0, "due": 1, "done": 1, "reached": 1,
                                 "unreachable": 0, "missed": 0, "on_time": 1}}

    def test_r1_a_task_of_several_groups_counts_once_in_its_first_group(self):
        fact = fact_of(("created", data(groups=("乙组", "甲组")), at(0)))
        assert fact["group_name"] == "乙组"
        assert fact_of(("created", data(groups=()), at(0)))["group_name"] == ""

    def test_r1_a_missed_task_done_later_is_missed_and_never_on_time(self):
        missed = ("missed", data(missed_at=at(4000)), at(4000))
        done = ("completed", data(due=90000, outcome="unreachable", completed_at=at(5000),
                                  was_missed=True), at(5000))
        fact = fact_of(("created", data(), at(0)), missed, done)
        assert (fact["missed_day"], fact["done_day"], fact["unreachable"], fact["on_time"]) \
            == (D2, D2, 1, 0)
        # the completion first (out of order): never on time either, by was_missed
        assert fact_of(done)["on_time"] == 0
        assert fact_of(done, missed) == fact_of(missed, done)

    def test_r1_done_after_its_due_time_is_not_on_time(self):
        fact = fact_of(("completed", data(due=100, outcome="reached", completed_at=at(101)),
                        at(101)))
        assert (fact["reached"], fact["on_time"]) == (1, 0)

    def test_r1_the_latest_kind_of_event_tells_the_key_and_due_day(self):
        created = ("created", data(assignee=None, due=60), at(0))
        done = ("completed", data(assignee="a2", due=2 * 86400, outcome="reached",
                                  completed_at=at(600)), at(600))
        fact = fact_of(done, created)
        assert (fact["agent_id"], fact["due_day"], fact["created_day"]) == ("a2", D3, D1)

    def test_r1_an_erased_outcome_is_not_done(self):
        fact = fact_of(("completed", data(outcome="erased", completed_at=at(10)), at(10)))
        assert (fact["done_day"], fact["reached"], fact["unreachable"]) == (None, 0, 0)

    def test_r1_a_task_from_the_feed_tells_the_same_events_as_live(self):
        task = {"task_id": "t1", "groups": ["售后"], "assignee_id": "a1", "due_at": at(3600),
                "created_at": at(0), "missed_at": None, "completed_at": at(1800),
                "outcome": "reached"}
        assert rules.followup_fact("t1", rules.task_events(task)) == fact_of(
            ("created", data(groups=("售后",)), at(0)),
            ("completed", data(groups=("售后",), outcome="reached", completed_at=at(1800)),
             at(1800)))

    def test_r1_a_delta_moves_a_task_by_new_minus_old(self):
        old = fact_of(("created", data(), at(0)))
        new = fact_of(("created", data(), at(0)),
                      ("missed", data(missed_at=at(4000)), at(4000)))
        assert rules.delta(rules.FOLLOWUP_DAY, old, new) == {
            (D2, "售后", "a1"): {**dict.fromkeys(rules.FOLLOWUP_COUNTERS, 0), "missed": 1}}


class TestR1Answers:
    def test_r1_the_csat_and_nps_thresholds_are_the_survey_services_own(self):
        assert rules.SATISFIED_FROM == survey_satisfaction.SATISFIED_FROM
        assert (rules.PROMOTER_FROM, rules.DETRACTOR_TO) == (
            survey_satisfaction.PROMOTER_FROM, survey_satisfaction.DETRACTOR_TO)

    @pytest.mark.parametrize("csat,nps", [(s, n) for s in (None, 1, 3, 4, 5)
                                          for n in (None, 0, 6, 7, 8, 9, 10)])
    def test_r1_an_answers_counts_make_the_survey_figure_exactly(self, csat, nps):
        answer = {"answer_id": "x", "source": "ivr", "agent_id": "a1", "group_name": "g",
                  "ticket_kind": None, "csat_score": csat, "nps_score": nps,
                  "answered_at": at(0)}
        fact = rules.answer_fact(answer)
        theirs = survey_satisfaction.figures([answer], (), "all")
        row = dict(zip(rules.ANSWER_COLUMNS, rules.answer_figures(fact), strict=True))
        if csat is None and nps is None:
            assert theirs == [] and row["answers"] == 1 and row["csat"] is None
            return
        [figure] = theirs
        for name in ("csat_answers", "satisfied", "csat", "nps_answers", "promoters",
                     "detractors", "passives", "nps"):
            assert row[name] == figure[name], name
        assert (fact["day"], fact["ticket_kind"]) == (D1, "")


# -- property: deltas over an in-memory store equal the final facts summed ------------------
class Model:
    """The store's functions over dicts (what store/survey.py does in SQL)."""

    def __init__(self):
        self.events: dict = {}
        self.tasks: dict = {}
        self.answers: dict = {}
        self.rollups: dict = {t: {} for t in rules.TABLES}
        self.generation = 0

    def module(self):
        return SimpleNamespace(
            lock_tasks=lambda cur, keys: None, put_events=self.put_events,
            events_of=lambda cur, ids: [dict(e) for (t, _), e in sorted(self.events.items())
                                        if t in ids],
            tasks_of=lambda cur, ids: [dict(self.tasks[t]) for t in ids if t in self.tasks],
            put_tasks=self.put_tasks, stamp_tasks=self.stamp_tasks, add=self.add,
            put_answers=self.put_answers)

    def facts_module(self):
        return SimpleNamespace(lock_briefly=lambda cur: None,
                               current_generation=lambda cur: self.generation,
                               advance_feed=lambda cur, source, moment: None)

    def put_events(self, cur, events):
        new = 0
        for e in events:
            if (e["task_id"], e["event"]) not in self.events:
                self.events[(e["task_id"], e["event"])] = dict(e)
                new += 1
        return new

    def put_tasks(self, cur, facts, generation):
        for f in facts:
            kept = self.tasks.get(f["task_id"], {}).get("generation", 0)
            self.tasks[f["task_id"]] = {**f, "generation": max(generation, kept)}

    def stamp_tasks(self, cur, ids, generation):
        for t in ids:
            if t in self.tasks:
                self.tasks[t]["generation"] = max(generation, self.tasks[t]["generation"])

    def put_answers(self, cur, facts, generation):
        new = set()
        for f in facts:
            if f["answer_id"] in self.answers:
                kept = self.answers[f["answer_id"]]
                kept["generation"] = max(generation, kept["generation"])
            else:
                self.answers[f["answer_id"]] = {**f, "generation": generation}
                new.add(f["answer_id"])
        return new

    def add(self, cur, table, rows):
        width = len(rules.COUNTERS[table])
        target = self.rollups[table]
        for row in rows:
            key, values = tuple(row[:-width]), row[-width:]
            current = target.get(key, (0,) * width)
            target[key] = tuple(a + b for a, b in zip(current, values, strict=True))

    def corrections(self):
        """What store/survey.py CORRECTIONS reads in one snapshot: facts summed − rollup."""
        out = {}
        for table, facts in ((rules.FOLLOWUP_DAY, self.tasks.values()),
                             (rules.ANSWER_DAY, self.answers.values())):
            want = as_tuples(table, rules.summed(table, list(facts)))
            have = self.rollups[table]
            width = len(rules.COUNTERS[table])
            rows = []
            for key in sorted(set(want) | set(have)):
                diff = tuple(x - y for x, y in zip(want.get(key, (0,) * width),
                                                   have.get(key, (0,) * width), strict=True))
                if any(diff):
                    rows.append((*key, *diff))
            out[table] = rows
        return out

    def nonzero(self):
        return {t: {k: v for k, v in rows.items() if any(v)} for t, rows in self.rollups.items()}


def as_tuples(table, contribution):
    return {k: tuple(v[n] for n in rules.COUNTERS[table]) for k, v in contribution.items()}


TASK_IDS = [f"t{i}" for i in range(5)]


@st.composite
def task_events(draw, task_id):
    """A task's events as the survey tells them: created, maybe missed, maybe completed
    (its due time and assignee may have moved by then)."""
    groups = draw(st.sampled_from([[], ["g1"], ["g2", "g1"]]))
    created_s = draw(st.integers(0, 3 * 3600))
    due = created_s + draw(st.integers(0, 2 * 3600))
    base = {"task_id": task_id, "ticket_id": "k", "ticket_serial": "S", "customer_id": "c",
            "groups": groups, "assignee_id": draw(st.sampled_from([None, "a1", "a2"])),
            "due_at": at(due)}
    out = [("created", base, at(created_s))]
    missed = draw(st.booleans())
    if missed:
        out.append(("missed", {**base, "missed_at": at(due + 60)}, at(due + 60)))
    if draw(st.booleans()):
        done_s = due + draw(st.integers(-1800, 1800)) + (120 if missed else 0)
        moved = draw(st.sampled_from([0, 86400]))
        out.append(("completed", {
            **base, "due_at": at(due + moved),
            "assignee_id": draw(st.sampled_from([base["assignee_id"], "a3"])),
            "outcome": draw(st.sampled_from(["reached", "unreachable"])),
            "completed_at": at(done_s), "was_missed": missed}, at(done_s)))
    return [("followup", e) for e in out]


@st.composite
def answers(draw):
    return [("answer", {"answer_id": f"x{i}", "source": draw(st.sampled_from(rules_sources)),
                        "agent_id": draw(st.sampled_from([None, "a1"])),
                        "group_name": draw(st.sampled_from([None, "g1"])),
                        "ticket_kind": draw(st.sampled_from([None, "投诉"])),
                        "csat_score": draw(st.sampled_from([None, 1, 4, 5])),
                        "nps_score": draw(st.sampled_from([None, 0, 7, 9])),
                        "answered_at": at(draw(st.integers(0, 3 * 3600)))})
            for i in range(draw(st.integers(0, 4)))]


rules_sources = ["agent", "ivr", "link"]


@st.composite
def deliveries(draw):
    """Events of a few tasks and some answers, some delivered twice, shuffled."""
    sent = [e for t in draw(st.lists(st.sampled_from(TASK_IDS), min_size=1, max_size=5,
                                     unique=True))
            for e in draw(task_events(t))]
    sent += draw(answers())
    twice = draw(st.lists(st.sampled_from(sent), max_size=len(sent)))
    return draw(st.permutations(sent + twice))


def deliver(item):
    tx = SimpleNamespace(cur=None)
    kind, payload = item
    if kind == "followup":
        name, d, occurred_at = payload
        handler.followup_event(tx, name, d, occurred_at)
    else:
        handler.survey_answered(tx, payload, START)


def reference(sent) -> dict:
    """The final facts — each task merged from its distinct events — summed."""
    events: dict = {}
    for kind, payload in sent:
        if kind == "followup":
            name, d, occurred_at = payload
            moment = {"created": occurred_at, "missed": d.get("missed_at"),
                      "completed": d.get("completed_at")}[name]
            events.setdefault(d["task_id"], {})[name] = rules.event_row(name, d, moment)
    tasks = [rules.followup_fact(t, list(e.values())) for t, e in events.items()]
    found = {p["answer_id"]: rules.answer_fact(p) for k, p in sent if k == "answer"}
    return {rules.FOLLOWUP_DAY: as_tuples(rules.FOLLOWUP_DAY,
                                          rules.summed(rules.FOLLOWUP_DAY, tasks)),
            rules.ANSWER_DAY: as_tuples(rules.ANSWER_DAY, rules.summed(
                rules.ANSWER_DAY, list(found.values())))}


def patched(model):
    return (mock.patch.object(handler, "store", model.module()),
            mock.patch.object(handler, "fact_store", model.facts_module()))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(deliveries())
def test_r1_followup_and_answer_rollups_equal_the_final_facts_summed_whatever_the_order(sent):
    model = Model()
    first, second = patched(model)
    with first, second:
        for item in sent:
            deliver(item)
    assert model.nonzero() == reference(sent)
    # and the same deliveries in the survey's own order give the same rollups
    again = Model()
    first, second = patched(again)
    ordered = sorted(sent, key=lambda i: (i[0], str(i[1][2] if i[0] == "followup" else "")))
    with first, second:
        for item in ordered:
            deliver(item)
    assert again.nonzero() == model.nonzero()


@settings(max_examples=150, derandomize=True, deadline=None)
@given(deliveries(), st.integers(0, 40), st.integers(1, 4), st.integers(0, 10))
def test_r4_a_survey_rebuild_amid_live_events_ends_equal_to_the_final_facts_summed(
        sent, cut, size, late):
    """Live events before, between the pages of the owner's tasks (each as the events it
    told) and answers, after the correction is read and after it is added: the rollups
    end equal to the final facts summed."""
    model = Model()
    cut = min(cut, len(sent))
    owner: dict = {}
    for kind, payload in sent:
        if kind == "followup":
            name, d, occurred_at = payload
            owner.setdefault(d["task_id"], {})[name] = payload
    tasks = []
    for task_id, by_name in sorted(owner.items()):
        created = by_name.get("created")
        missed, done = by_name.get("missed"), by_name.get("completed")
        latest = (done or missed or created)[1]
        tasks.append({"task_id": task_id, "groups": latest["groups"],
                      "assignee_id": latest["assignee_id"], "due_at": latest["due_at"],
                      "created_at": created[2],
                      "missed_at": missed[1]["missed_at"] if missed else None,
                      "completed_at": done[1]["completed_at"] if done else None,
                      "outcome": done[1]["outcome"] if done else None})
    owner_answers = list({p["answer_id"]: p for k, p in sent if k == "answer"}.values())
    tx = SimpleNamespace(cur=None)
    first, second = patched(model)
    with first, second:
        for item in sent[:cut // 2]:
            deliver(item)
        model.generation = 3  # the rebuild is asked for
        live = iter(sent[cut // 2:cut])
        for n in range(0, len(tasks), size):
            handler.keep_followups(tx, tasks[n:n + size], 3)
            item = next(live, None)
            if item:
                deliver(item)
        handler.keep_answers(tx, owner_answers, 3)
        for item in live:
            deliver(item)
        fixes = model.corrections()
        for item in sent[cut:cut + late]:
            deliver(item)
        for table, rows in fixes.items():
            model.add(None, table, rows)
        for item in sent[cut + late:]:
            deliver(item)
    assert {f["generation"] for f in model.tasks.values()} <= {3}
    assert model.nonzero() == reference(sent)


# -- R2: the figures as read --------------------------------------------------------------
def followup_row(period, group_name=None, agent_id=None, **sums):
    return {"period": period, "group_name": group_name, "agent_id": agent_id,
            **dict.fromkeys(rules.FOLLOWUP_COUNTERS, 0), **sums}


def table(found, by, first=D1, last=D2, period="day"):
    return rules.table_of(found, by, rules.FOLLOWUP_DIMENSIONS, rules.FOLLOWUP_COUNTERS,
                          rules.followup_figures, rules.FOLLOWUP_COLUMNS, first, last, period)


def who(staff_id: str, role: str, *groups: str) -> Principal:
    return Principal(id=staff_id, username=staff_id, roles=frozenset({role}),
                     groups=frozenset(groups), clearance=0)


class TestR2Figures:
    def test_r2_every_period_for_every_key_with_zeros_and_the_on_time_rate(self):
        got = table([followup_row(D1, "g1", created=2, done=4, on_time=3),
                     followup_row(D2, "", missed=1)], ("group",))
        assert got["columns"] == ["period", "group_name", *rules.FOLLOWUP_COLUMNS]
        assert got["rows"] == [
            ["2026-03-01", None, 0, 0, 0, 0, 0, 0, 0, None],
            ["2026-03-02", None, 0, 0, 0, 0, 0, 1, 0, None],
            ["2026-03-01", "g1", 2, 0, 4, 0, 0, 0, 3, 0.75],
            ["2026-03-02", "g1", 0, 0, 0, 0, 0, 0, 0, None]]

    def test_r2_an_ungrouped_answer_is_one_line_of_periods(self):
        got = table([], (), D1, D3)
        assert [r[0] for r in got["rows"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]

    def test_r2_an_answer_above_the_bound_is_invalid_naming_by(self):
        found = [followup_row(D1, agent_id=f"a{i}", created=1) for i in range(60)]
        with pytest.raises(Invalid) as raised:
            table(found, ("agent",), D1, D1 + datetime.timedelta(days=399))
        assert "by" in raised.value.fields

    def test_r2_an_agent_reads_their_own_and_another_agent_is_not_found(self):
        tx = SimpleNamespace(cur=None)
        agent = who("a1", "agent", "g1")
        filters, groups = handler._scoped(tx, agent, {}, ("group_name", "agent_id"))
        assert (filters["agent_id"], groups) == ("a1", None)
        with pytest.raises(NotFound):
            handler._scoped(tx, agent, {"agent_id": "a2"}, ("group_name", "agent_id"))

    def test_r2_a_supervisor_reads_their_groups_and_another_group_is_not_found(self):
        tx = SimpleNamespace(cur=None)
        boss = who("s1", "supervisor", "g1")
        filters, groups = handler._scoped(tx, boss, {}, ("group_name", "agent_id"))
        assert (filters["agent_id"], groups) == (None, ["g1"])
        with pytest.raises(NotFound):
            handler._scoped(tx, boss, {"group_name": "g2"}, ("group_name", "agent_id"))
        with mock.patch.object(handler.store, "agent_in_groups", return_value=False), \
                pytest.raises(NotFound):
            handler._scoped(tx, boss, {"agent_id": "a9"}, ("group_name", "agent_id"))

    def test_r2_managers_and_the_auditor_read_everything(self):
        tx = SimpleNamespace(cur=None)
        for role in ("manager", "auditor", "admin"):
            assert handler._scoped(tx, who("m", role), {"group_name": "g9"},
                                   ("group_name", "agent_id"))[1] is None


class TestR4Differences:
    def test_r4_followup_and_answer_differences_are_named_per_day_and_measure(self):
        ours = [{"day": D1, "created": 3, "done": 1, "reached": 1, "unreachable": 0,
                 "missed": 0}]
        owner = [{"day": "2026-03-01", "created": 2, "done": 1, "reached": 1,
                  "unreachable": 0, "missed": 0},
                 {"day": "2026-03-02", "created": 0, "done": 0, "reached": 0,
                  "unreachable": 0, "missed": 1}]
        assert rules.followup_differences(ours, owner) == [
            {"day": D1, "kind": "followups", "measure": "created", "ours": 3, "owner": 2},
            {"day": D2, "kind": "followups", "measure": "missed", "ours": 0, "owner": 1}]
        assert rules.answer_differences([{"day": D1, "answers": 1}], []) == [
            {"day": D1, "kind": "answers", "measure": "answers", "ours": 1, "owner": 0}]
