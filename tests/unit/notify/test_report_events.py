"""Issue 13 (notify's side of the notification statistics): every outcome event names
its messages — ids, creation times, levels, the template's name — and nothing of the
customer; a delivery receipt is notification_delivered, an undelivered one
notification_failed with reason undelivered; the feed's pages and counts."""
import datetime
from types import SimpleNamespace
from unittest import mock

from services.notify.contract import events as notify_events
from services.notify.handlers import report_feed, sender

MADE = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)
NOW = MADE + datetime.timedelta(minutes=5)


def row(message_id, level=0, channel="sms", template_id="tpl-1"):
    return {"id": message_id, "channel": channel, "template_id": template_id,
            "batch_id": None, "purpose": "service", "level": level,
            "address": "+8613800000000", "content": "张先生您好", "customer_id": "c1"}


class Tx:
    def __init__(self):
        self.cur = None
        self.emitted: list[tuple[str, dict]] = []

    def emit(self, event_type, data):
        self.emitted.append((event_type, data))


def emitted(outcomes):
    tx = Tx()
    known = {r["id"]: {"id": r["id"], "created_at": MADE, "level": r["level"],
                       "template": "ticket_resolved"} for r, _, _ in outcomes}
    with mock.patch.object(sender, "feed_store",
                           SimpleNamespace(outcome_messages=lambda cur, ids: known)):
        sender.emit_outcomes(tx, outcomes, NOW)
    return tx.emitted


class TestOutcomeEvents:
    def test_r1_each_outcome_event_names_its_messages_and_no_customer_data(self):
        events = emitted([(row("m1"), "sent", None), (row("m2", level=2), "sent", None),
                          (row("m3"), "skipped", "opted_out")])
        assert [(t, d["status"], d["count"]) for t, d in events] == [
            ("notification_sent", "sent", 2), ("notification_failed", "skipped", 1)]
        sent = events[0][1]
        assert sent["template"] == "ticket_resolved" and sent["level"] == 2
        assert sent["messages"] == [
            {"message_id": "m1", "created_at": MADE.isoformat(), "level": 0},
            {"message_id": "m2", "created_at": MADE.isoformat(), "level": 2}]
        text = repr(events)
        assert "+8613800000000" not in text and "张先生" not in text and "c1" not in text

    def test_r1_a_delivery_receipt_is_notification_delivered(self):
        [(event_type, data)] = emitted([(row("m1"), "delivered", None)])
        assert event_type == "notification_delivered" and data["status"] == "delivered"

    def test_r1_a_larger_outcome_is_told_in_several_events_each_within_the_bound(self):
        many = [(row(f"m{i:05}"), "delivered", None)
                for i in range(notify_events.MAX_MESSAGES * 2 + 1)]
        events = emitted(many)
        assert [d["count"] for _, d in events] == [notify_events.MAX_MESSAGES] * 2 + [1]
        assert sum(len(d["messages"]) for _, d in events) == len(many)
        for _, data in events:
            assert not notify_events.NotificationOutcome().validate(data)

    def test_r1_nothing_to_tell_emits_nothing(self):
        assert emitted([]) == []


class TestReportFeed:
    def test_r4_pages_are_keyset_by_id_next_null_on_the_last(self):
        rows = [{"message_id": f"m{i}"} for i in range(3)]
        store = SimpleNamespace(page=lambda cur, after, limit: rows[:limit])
        with mock.patch.object(report_feed, "store", store):
            first = report_feed.report_notifications(SimpleNamespace(cur=None),
                                                     {"after": None, "limit": 2})
            last = report_feed.report_notifications(SimpleNamespace(cur=None),
                                                    {"after": None, "limit": 3})
        assert first == {"notifications": rows[:2], "next": "m1"}
        assert last["next"] is None

    def test_r4_counts_cover_whole_china_days(self):
        asked = {}

        def counts(cur, start, end):
            asked.update(start=start, end=end)
            return [{"day": datetime.date(2026, 3, 1), "channel": "sms", "sent": 2,
                     "delivered": 1, "undelivered": None, "failed": 0, "skipped": 1}]
        with mock.patch.object(report_feed, "store", SimpleNamespace(counts=counts)):
            answer = report_feed.report_notification_counts(
                SimpleNamespace(cur=None), {"from_": datetime.date(2026, 3, 1),
                                            "to": datetime.date(2026, 3, 1)})
        assert asked["start"].isoformat() == "2026-03-01T00:00:00+08:00"
        assert asked["end"].isoformat() == "2026-03-02T00:00:00+08:00"
        assert answer["counts"][0]["undelivered"] == 0
