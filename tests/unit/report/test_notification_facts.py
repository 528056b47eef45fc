"""Issue 13, notifications per channel and template: the message's state merged from
notify's word (R1), the rollup kept by deltas (handlers/notifications.py over an
in-memory store) equal to the final facts summed whatever the order and duplicates —
property-based —, the figures as rows with every period (R2), and the check's
differences (R4)."""
import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Invalid
from services.notify.contract import events as notify_events
from services.notify.contract import report_feed as notify_feed
from services.report.contract import notifications as contract
from services.report.contract.notifications import NotificationFigures, NotificationFiguresQuery
from services.report.domain import notifications as rules
from services.report.handlers import notifications as handler

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
MADE = datetime.datetime(2026, 3, 1, 15, 59, 30, tzinfo=UTC)  # 23:59:30 on 1 March in China


def word(status: str, reason=None, message_id="m1", created_at=MADE, level=0,
         channel="sms", template="ticket_resolved") -> dict:
    return rules.told(message_id, created_at, channel, template, level, status, reason)


class TestR1NotifysWord:
    def test_r1_what_notify_emits_and_pages_the_report_loads_with_its_own_schemas(self):
        event = {"channel": "sms", "template_id": "9b7c", "template": "ticket_resolved",
                 "batch_id": None, "purpose": "service", "status": "failed",
                 "reason": "undelivered", "count": 1, "level": 2, "at": MADE,
                 "messages": [{"message_id": "m1", "created_at": MADE, "level": 2}]}
        loaded = contract.NotificationOutcome().load(
            notify_events.NotificationOutcome().dump(event))
        assert (loaded["channel"], loaded["template"], loaded["status"], loaded["reason"]) \
            == ("sms", "ticket_resolved", "failed", "undelivered")
        assert loaded["messages"] == [{"message_id": "m1", "created_at": MADE, "level": 2}]
        record = {"message_id": "m1", "channel": "email", "template": None,
                  "created_at": MADE, "status": "skipped", "reason": "opted_out", "level": 0}
        page = contract.NotifiedPage().load(notify_feed.ReportNotifications().dump(
            {"notifications": [record], "next": None}))
        assert page["notifications"] == [record]
        assert rules.UNDELIVERED == notify_events.UNDELIVERED
        assert contract.MAX_MESSAGES == notify_events.MAX_MESSAGES

    def test_r1_an_older_outcome_event_without_messages_counts_nothing(self):
        old = {"channel": "sms", "template_id": None, "batch_id": None,
               "purpose": "service", "status": "sent", "reason": None, "count": 3,
               "level": 0, "at": MADE.isoformat()}  # as notify emitted before issue 13
        assert contract.NotificationOutcome().load(old)["messages"] == []


class TestR1MessageState:
    def test_r1_notifys_status_maps_to_the_state_undelivered_by_its_reason(self):
        assert [rules.state_of(s, r) for s, r in (
            ("queued", None), ("sending", None), ("sent", None), ("delivered", None),
            ("failed", "undelivered"), ("failed", "isv.BLACK_KEY_CONTROL_LIMIT"),
            ("skipped", "opted_out"))] == [
            "queued", "queued", "sent", "delivered", "undelivered", "failed", "skipped"]

    def test_r1_a_message_counts_on_the_china_day_it_was_made(self):
        fact = word("delivered")
        assert fact["day"] == datetime.date(2026, 3, 2) - datetime.timedelta(days=1)
        late = word("delivered", created_at=MADE + datetime.timedelta(seconds=31))
        assert late["day"] == datetime.date(2026, 3, 2)

    def test_r1_each_state_adds_its_counters_once(self):
        def adds(status, reason=None):
            [(key, counters)] = rules.contribution(word(status, reason)).items() or [(None, {})]
            return {c for c, n in counters.items() if n}
        assert rules.contribution(word("queued")) == {}
        assert adds("sent") == {"sent"}
        assert adds("delivered") == {"sent", "delivered"}
        assert adds("failed", "undelivered") == {"sent", "undelivered"}
        assert adds("failed", "gave up after 3 attempts (error)") == {"failed"}
        assert adds("skipped", "opted_out") == {"skipped"}

    def test_r1_a_later_state_wins_whatever_the_order_and_an_earlier_one_changes_nothing(self):
        delivered = rules.merged(rules.merged(None, word("delivered")), word("sent"))
        assert rules.STATES[delivered["state"]] == "delivered"
        assert rules.merged(delivered, word("sent")) == delivered
        assert rules.delta(delivered, rules.merged(delivered, word("sent"))) == {}

    def test_r1_a_message_without_a_template_is_keyed_by_an_empty_template(self):
        assert word("sent", template=None)["template"] == ""


# -- property: deltas over an in-memory store equal the final facts summed ------------------
class Model:
    """store/notifications.py over dicts."""

    def __init__(self):
        self.facts: dict = {}
        self.rollup: dict = {}
        self.generation = 0

    def module(self):
        return SimpleNamespace(
            lock_messages=lambda cur, keys: None, facts_of=self.facts_of,
            put_facts=self.put_facts, add=self.add)

    def facts_module(self):
        return SimpleNamespace(lock_briefly=lambda cur: None,
                               current_generation=lambda cur: self.generation,
                               advance_feed=lambda cur, source, moment: None)

    def facts_of(self, cur, ids):
        return [dict(self.facts[i]) for i in ids if i in self.facts]

    def put_facts(self, cur, facts, generation):
        for f in facts:
            kept = self.facts.get(f["message_id"], {}).get("generation", 0)
            self.facts[f["message_id"]] = {**f, "generation": max(generation, kept)}

    def add(self, cur, rows):
        width = len(rules.COUNTERS)
        for row in rows:
            key, values = tuple(row[:-width]), row[-width:]
            current = self.rollup.get(key, (0,) * width)
            self.rollup[key] = tuple(a + b for a, b in zip(current, values, strict=True))

    def nonzero(self):
        return {k: v for k, v in self.rollup.items() if any(v)}

    def apply(self, event):
        with mock.patch.object(handler, "store", self.module()), \
                mock.patch.object(handler, "fact_store", self.facts_module()):
            handler.outcome(SimpleNamespace(cur=None), event, MADE)


def summed(facts) -> dict:
    return {k: tuple(v[c] for c in rules.COUNTERS)
            for k, v in rules.summed(list(facts)).items()}


def as_event(status, reason, messages, channel="sms", template="t1") -> dict:
    """A NotificationOutcome as notify emits it, loaded as the report loads it."""
    return contract.NotificationOutcome().load(notify_events.NotificationOutcome().dump({
        "channel": channel, "template_id": None, "template": template, "batch_id": None,
        "purpose": "service", "status": status, "reason": reason, "count": len(messages),
        "level": max([m[2] for m in messages] or [0]), "at": MADE,
        "messages": [{"message_id": m, "created_at": at, "level": lvl}
                     for m, at, lvl in messages]}))


# the life of each message in notify: the outcomes it can be told, in notify's order
LIVES = [[("sent", None)], [("sent", None), ("delivered", None)],
         [("delivered", None), ("sent", None)],  # a receipt before the send was settled
         [("failed", "undelivered")], [("sent", None), ("failed", "undelivered")],
         [("failed", "isv.MOBILE_NUMBER_ILLEGAL")], [("skipped", "opted_out")],
         [("skipped", "no_address")], []]


@st.composite
def histories(draw):
    """Messages with their lives, cut into events (several messages an event, as a
    round's), then delivered in any order, some twice."""
    events = []
    final: dict = {}
    for i in range(draw(st.integers(1, 8))):
        life = draw(st.sampled_from(LIVES))
        made = MADE + datetime.timedelta(seconds=draw(st.sampled_from([0, 15, 45, 90000])))
        channel = draw(st.sampled_from(["sms", "email"]))
        template = draw(st.sampled_from(["t1", "t2", None]))
        level = draw(st.sampled_from([0, 0, 2]))
        for status, reason in life:
            events.append((status, reason, channel, template, (f"m{i}", made, level)))
        if life:
            final[f"m{i}"] = max((word(s, r, f"m{i}", made, level, channel, template)
                                  for s, r in life), key=lambda f: f["state"])
    # group some messages of the same outcome into one event, like a round does
    grouped: dict = {}
    for status, reason, channel, template, message in events:
        bucket = draw(st.integers(0, 1))
        grouped.setdefault((status, reason, channel, template, bucket), []).append(message)
    delivered = [as_event(s, r, ms, c, t) for (s, r, c, t, _), ms in grouped.items()]
    delivered += draw(st.lists(st.sampled_from(delivered), max_size=4)) if delivered else []
    return draw(st.permutations(delivered)), final


class TestR1Property:
    @settings(max_examples=300, deadline=None)
    @given(histories())
    def test_r1_events_twice_and_out_of_order_keep_the_rollup_equal_to_the_facts_summed(
            self, history):
        events, final = history
        model = Model()
        for event in events:
            model.apply(event)
        assert {k: {**f, "generation": 0} for k, f in model.facts.items()} == \
            {k: {**f, "generation": 0} for k, f in final.items()}
        assert model.nonzero() == summed(final.values())


class TestR2Figures:
    FIRST, LAST = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)

    def test_r2_every_period_for_every_key_with_zeros_and_rates(self):
        found = [{"period": self.FIRST, "channel": "sms", "sent": 4, "delivered": 3,
                  "undelivered": 1, "failed": 0, "skipped": 2},
                 {"period": self.LAST, "channel": "email", "sent": 2, "delivered": 0,
                  "undelivered": 0, "failed": 2, "skipped": 0}]
        assert rules.columns(["channel"]) == [
            "period", "channel", "sent", "delivered", "undelivered", "failed", "skipped",
            "delivery_rate", "failure_rate"]
        rows = rules.table(found, ["channel"], self.FIRST, self.LAST, "day")
        assert [r[:2] for r in rows] == [
            ["2026-03-01", "email"], ["2026-03-02", "email"], ["2026-03-03", "email"],
            ["2026-03-01", "sms"], ["2026-03-02", "sms"], ["2026-03-03", "sms"]]
        assert rows[2][2:] == [2, 0, 0, 2, 0, 0.0, 0.5]
        assert rows[3][2:] == [4, 3, 1, 0, 2, 0.75, 0.25]
        assert rows[4][2:] == [0, 0, 0, 0, 0, None, None]

    def test_r2_ungrouped_the_periods_are_there_even_without_any_message(self):
        rows = rules.table([], [], self.FIRST, datetime.date(2026, 3, 31), "week")
        assert [r[0] for r in rows] == ["2026-02-23", "2026-03-02", "2026-03-09",
                                        "2026-03-16", "2026-03-23", "2026-03-30"]

    def test_r2_more_than_20000_rows_is_invalid_naming_by(self):
        found = [{"period": self.FIRST, "template": f"t{i}", "sent": 1, "delivered": 0,
                  "undelivered": 0, "failed": 0, "skipped": 0} for i in range(60)]
        with pytest.raises(Invalid) as refused:
            rules.table(found, ["template"], self.FIRST, self.FIRST + datetime.timedelta(
                days=399), "day")
        assert "by" in refused.value.fields

    def test_r2_the_query_bounds_its_strings_and_the_answer_dumps_rows_as_they_are(self):
        query = NotificationFiguresQuery()
        assert "template" in query.validate({"from": "2026-03-01", "to": "2026-03-01",
                                             "template": "x" * 65})
        assert "channel" in query.validate({"from": "2026-03-01", "to": "2026-03-01",
                                            "channel": "fax"})
        assert "by" in query.validate({"from": "2026-03-01", "to": "2026-03-01",
                                       "by": ["agent"]})
        answer = NotificationFigures().dump({
            "from_day": self.FIRST, "to_day": self.LAST, "period": "day", "as_of": None,
            "columns": ["period", "sent"], "rows": [["2026-03-01", 1]]})
        assert answer["rows"] == [["2026-03-01", 1]] and answer["from"] == "2026-03-01"

    def test_r2_the_figures_never_count_above_the_callers_clearance(self):
        asked = {}

        def counts(cur, by, period, first, last, channel, template, clearance):
            asked["clearance"] = clearance
            return []
        store = SimpleNamespace(counts=counts)
        facts = SimpleNamespace(feed_position=lambda cur, source: None)
        principal = SimpleNamespace(id="s1", roles=frozenset({"supervisor"}), clearance=1)
        with mock.patch.object(handler, "store", store), \
                mock.patch.object(handler, "fact_store", facts):
            handler.notification_figures(SimpleNamespace(cur=None), principal, {
                "from_day": self.FIRST, "to_day": self.LAST, "period": "day", "by": []})
        assert asked["clearance"] == 1


class TestR4Check:
    def test_r4_each_day_channel_and_measure_that_differs_is_named(self):
        ours = [{"day": datetime.date(2026, 3, 1), "channel": "sms", "sent": 5,
                 "delivered": 4, "undelivered": 1, "failed": 0, "skipped": 1}]
        owner = [{"day": "2026-03-01", "channel": "sms", "sent": 5, "delivered": 3,
                  "undelivered": 1, "failed": 0, "skipped": 1},
                 {"day": "2026-03-01", "channel": "email", "sent": 2, "delivered": 0,
                  "undelivered": 0, "failed": 0, "skipped": 0}]
        assert rules.differences(ours, owner) == [
            {"day": datetime.date(2026, 3, 1), "kind": "notifications:email",
             "measure": "sent", "ours": 0, "owner": 2},
            {"day": datetime.date(2026, 3, 1), "kind": "notifications:sms",
             "measure": "delivered", "ours": 4, "owner": 3}]
        assert rules.differences(ours, ours) == []
