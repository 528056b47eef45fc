"""Notify: ticket events become staff inbox notices — one per recipient, every
recipient of one event, none doubled by a repeated delivery; mark-as-read."""
import datetime
import uuid

import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import NotFound

NOW = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Beijing


def publish(rabbit_config, event_type: str, data: dict, event_id=None,
            source="ticket") -> dict:
    envelope = {"event_id": event_id or str(uuid.uuid4()), "type": event_type,
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "schema_version": 1, "actor": "test", "data": data}
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)
    return envelope


def sid(prefix="staff"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def items(rpc, staff_id):
    return rpc("notify", staff_id=staff_id).inbox()["items"]


class TestTicketEventNotices:
    def test_transfer_notifies_every_recipient_once_even_if_redelivered(
            self, start, rpc, rabbit_config):
        notify = start("notify")
        people = [sid(), sid(), sid()]
        ticket_id = str(uuid.uuid4())
        data = {"ticket_id": ticket_id, "serial": "SH-20261123-0001", "kind": "after_sales",
                "group_name": "上门组", "assignee_id": None, "from_group": "客服一组",
                "from_assignee_id": "agent-1", "note": "需要上门",
                "notify_staff_ids": people + [people[0]]}  # a repeated id counts once
        with entrypoint_waiter(notify, "notify_transferred"):
            first = publish(rabbit_config, "ticket_transferred", data)
        with entrypoint_waiter(notify, "notify_transferred"):
            publish(rabbit_config, "ticket_transferred", data, event_id=first["event_id"])
        for person in people:
            notices = items(rpc, person)
            assert len(notices) == 1, person
            assert notices[0]["ref_id"] == ticket_id
            assert "上门组" in notices[0]["body"] and "需要上门" in notices[0]["body"]
            assert notices[0]["title"] == "工单转派 SH-20261123-0001"

    def test_assigned(self, start, rpc, rabbit_config):
        notify = start("notify")
        person = sid("agent")
        with entrypoint_waiter(notify, "notify_assigned"):
            publish(rabbit_config, "ticket_assigned", {
                "ticket_id": str(uuid.uuid4()), "serial": "ZX-20261123-0002",
                "kind": "consultation", "group_name": "客服一组", "assignee_id": person,
                "notify_staff_ids": [person]})
        [notice] = items(rpc, person)
        assert notice["title"] == "工单指派 ZX-20261123-0002"

    def test_dispatched_tells_the_field_staff_address_and_window(
            self, start, rpc, rabbit_config):
        notify = start("notify")
        field = sid("field")
        with entrypoint_waiter(notify, "notify_dispatched"):
            publish(rabbit_config, "ticket_dispatched", {
                "ticket_id": str(uuid.uuid4()), "serial": "SH-20261123-0003",
                "dispatch_id": str(uuid.uuid4()), "staff_id": field,
                "address": "上海市浦东新区世纪大道100号", "window_start": NOW.isoformat(),
                "window_end": (NOW + datetime.timedelta(hours=2)).isoformat()})
        [notice] = items(rpc, field)
        assert notice["body"].startswith("新派工单 SH-20261123-0003")
        assert "世纪大道100号" in notice["body"]
        assert "2026-11-23 10:00 至 2026-11-23 12:00" in notice["body"]

    def test_breach_reaches_each_supervisor(self, start, rpc, rabbit_config):
        notify = start("notify")
        sups = [sid("sup"), sid("sup")]
        with entrypoint_waiter(notify, "notify_breached"):
            publish(rabbit_config, "ticket_sla_breached", {
                "ticket_id": str(uuid.uuid4()), "serial": "TS-20261123-0004",
                "kind": "complaint", "target": "resolution", "due_at": NOW.isoformat(),
                "group_name": "投诉组", "assignee_id": "agent-9", "notify_staff_ids": sups})
        for sup in sups:
            [notice] = items(rpc, sup)
            assert notice["title"] == "工单超时 TS-20261123-0004"
            assert "处理时限 2026-11-23 10:00" in notice["body"]

    def test_v1_a_missed_follow_up_reaches_each_supervisor_and_a_new_one_its_agent(
            self, start, rpc, rabbit_config):
        notify = start("notify")
        sups, agent = [sid("sup"), sid("sup")], sid("agent")
        task = {"task_id": str(uuid.uuid4()), "ticket_id": str(uuid.uuid4()),
                "ticket_serial": "TS-20261123-0005", "customer_id": str(uuid.uuid4()),
                "assignee_id": agent, "due_at": NOW.isoformat()}
        with entrypoint_waiter(notify, "notify_followup_created"):
            publish(rabbit_config, "followup_created", {**task, "notify_staff_ids": [agent]},
                    source="survey")
        with entrypoint_waiter(notify, "notify_followup_missed"):
            publish(rabbit_config, "followup_missed", {
                **task, "missed_at": NOW.isoformat(), "notify_staff_ids": sups},
                source="survey")
        [created] = items(rpc, agent)
        assert created["title"] == "回访任务 TS-20261123-0005"
        assert "2026-11-23 10:00 前完成" in created["body"]
        for sup in sups:
            [notice] = items(rpc, sup)
            assert notice["title"] == "回访逾期 TS-20261123-0005"
            assert agent in notice["body"] and notice["ref_id"] == task["ticket_id"]

    def test_reminder_and_mark_read(self, start, rpc, rabbit_config):
        notify = start("notify")
        me = sid("agent")
        with entrypoint_waiter(notify, "notify_reminder"):
            publish(rabbit_config, "ticket_reminder_due", {
                "reminder_id": str(uuid.uuid4()), "ticket_id": str(uuid.uuid4()),
                "serial": "ZX-20261123-0005", "staff_id": me, "note": "回访",
                "due_at": NOW.isoformat()})
        [notice] = items(rpc, me)
        assert "回访" in notice["body"] and notice["read_at"] is None
        with pytest.raises(NotFound):
            rpc("notify", staff_id=sid()).mark_read(notice["id"])
        with pytest.raises(NotFound):
            rpc("notify", staff_id=me).mark_read("not-a-uuid")
        read = rpc("notify", staff_id=me).mark_read(notice["id"])
        assert read["read_at"] is not None
        assert rpc("notify", staff_id=me).mark_read(notice["id"])["read_at"] == read["read_at"]
        assert rpc("notify", staff_id=me).inbox(unread=True)["items"] == []
