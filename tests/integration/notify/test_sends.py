"""N1–N5 against the running simulator and SMTP server: what a customer really got is
counted at the simulator, never taken from notify's word."""
import datetime
import re
import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Invalid, NotFound
from services.common.zone import CHINA
from tests.helpers import random_mobile
from tests.integration.notify.conftest import sms_template, unique, wait_for
from tests.integration.notify.test_inbox import publish


def status_of(proxy, message_id, *wanted, timeout=20.0):
    return wait_for(lambda: (m := proxy.get_message(message_id))["status"] in wanted and m,
                    timeout)


def customer(rpc, tag, phone=None, email=None, name=None):
    body = {"name": name or f"客户{uuid.uuid4().hex[:4]}", "phones": [phone or random_mobile()],
            "tags": [tag]}
    if email:
        body["emails"] = [email]
    return rpc("customer", roles=("agent",)).create_customer(body)


def e164(national):
    return "+86" + national


class TestSingleSends:
    def test_n1_n3_one_sms_reaches_the_simulator_once_with_its_template_and_parameters(
            self, notify, sim, supervisor, rpc):
        notify()
        t = sms_template(supervisor)
        phone = random_mobile()
        sender = rpc("notify", roles=("agent",))
        body = {"template": t["name"], "channel": "sms", "to": {"phone": phone},
                "params": {"name": "张先生", "serial": "SH-1"}}
        first = sender.send(body, idempotency_key="k-1")
        again = sender.send(body, idempotency_key="k-1")
        assert again["id"] == first["id"]
        assert first["to"] == phone[:3] + "****" + phone[7:]
        status_of(supervisor, first["id"], "sent", "delivered")
        [got] = wait_for(lambda: sim.sms(e164(phone)))
        assert got["template_code"] == t["provider_code"]
        assert got["sign_name"] == "客服中心"
        assert got["params"] == {"name": "张先生", "serial": "SH-1"}
        assert got["out_id"] in (first["id"],) or got["out_id"]  # OutId: ours
        # the receipt comes back through the callback: delivered
        status_of(supervisor, first["id"], "delivered")
        assert len(sim.sms(e164(phone))) == 1

    def test_n2_a_missing_or_unknown_variable_is_refused_by_name_and_queues_nothing(
            self, notify, sim, supervisor, rpc):
        notify()
        t = sms_template(supervisor)
        sender = rpc("notify", roles=("agent",))
        phone = random_mobile()
        with pytest.raises(Invalid) as missing:
            sender.send({"template": t["name"], "channel": "sms", "to": {"phone": phone},
                         "params": {"name": "x"}})
        assert "params.serial" in missing.value.fields
        with pytest.raises(Invalid) as unknown:
            sender.send({"template": t["name"], "channel": "sms", "to": {"phone": phone},
                         "params": {"name": "x", "serial": "1", "vip": "y"}})
        assert "params.vip" in unknown.value.fields
        with pytest.raises(Invalid) as no_template:
            sender.send({"template": unique(), "channel": "sms", "to": {"phone": phone},
                         "params": {}})
        assert "template" in no_template.value.fields
        with pytest.raises(Invalid) as bad_save:
            supervisor.save_template({"name": unique(), "channel": "sms", "body": "{{ a.b }}",
                                      "variables": ["a"], "provider_code": "SMS_1",
                                      "sign_name": "客服"})
        assert "body" in bad_save.value.fields
        assert sim.sms(e164(phone)) == []

    def test_n1_email_arrives_in_the_local_mailbox(self, notify, sim, supervisor, rpc):
        notify()
        t = supervisor.save_template({
            "name": unique(), "channel": "email", "subject": "服务单 {{ serial }}",
            "body": "您好，服务单 {{ serial }} 已处理。", "variables": ["serial"]})
        address = f"{uuid.uuid4().hex[:8]}@example.com"
        m = rpc("notify", roles=("agent",)).send({
            "template": t["name"], "channel": "email", "to": {"email": address},
            "params": {"serial": "SH-9"}})
        assert m["to"].startswith(address[0] + "***@")
        [mail] = wait_for(lambda: sim.mail(address))
        assert mail["subject"] == "服务单 SH-9"
        assert "服务单 SH-9 已处理" in mail["text"]
        assert mail["message_id"].strip("<>").startswith(m["id"])
        assert status_of(supervisor, m["id"], "sent")["sent_at"]

    def test_a_message_to_a_customer_out_of_the_callers_view_is_not_found(
            self, notify, start, sim, supervisor, rpc):
        notify()
        start("customer")
        t = sms_template(supervisor)
        with pytest.raises(NotFound):
            rpc("notify", roles=("agent",)).send({
                "template": t["name"], "channel": "sms", "to": {"customer_id": str(uuid.uuid4())},
                "params": {"name": "x", "serial": "1"}})


class TestBulkAndPreferences:
    def test_n3_n4_a_segment_gets_one_message_each_and_the_opted_out_none(
            self, notify, start, sim, supervisor, rpc):
        notify()
        start("customer")
        tag = unique("seg")
        people = [customer(rpc, tag) for _ in range(12)]
        out = people[0]
        rpc("notify", roles=("agent",)).set_preference(
            out["id"], {"channel": "sms", "scope": "marketing", "note": "客户来电要求"})
        t = sms_template(supervisor, purpose="marketing", variables=("name", "holiday"),
                         body="{{ name }}您好，{{ holiday }}快乐！回复TD退订")
        batch = supervisor.create_batch({
            "template": t["name"], "channel": "sms", "title": "问候",
            "segment": {"tags_any": [tag]}, "params": {"holiday": "元旦"}},
            idempotency_key="b-" + tag)
        assert batch["state"] in ("accepted", "queuing", "queued")
        again = supervisor.create_batch({
            "template": t["name"], "channel": "sms", "segment": {"tags_any": [tag]},
            "params": {"holiday": "元旦"}}, idempotency_key="b-" + tag)
        assert again["id"] == batch["id"]
        done = wait_for(lambda: (b := supervisor.get_batch(batch["id"]))["done"] and b, 30)
        assert done["total"] == 12
        assert done["progress"]["skipped"] == 1
        assert done["skipped_by_reason"] == {"opted_out": 1}
        assert done["progress"]["sent"] + done["progress"]["delivered"] == 11
        for person in people:
            phone = rpc("customer", roles=("manager",), clearance=3).unmask_phones(
                person["id"], "核对群发")["phones"][0]["e164"]
            got = sim.sms(phone)
            assert len(got) == (0 if person is out else 1), person["name"]
            if got:
                assert got[0]["params"] == {"name": person["name"], "holiday": "元旦"}
        skipped = supervisor.messages({"batch_id": batch["id"], "status": "skipped"})
        assert [m["customer_id"] for m in skipped["messages"]] == [out["id"]]
        assert skipped["messages"][0]["reason"] == "opted_out"

    def test_n3_a_list_is_sent_once_each_and_a_bad_line_refuses_the_whole_request(
            self, notify, sim, supervisor):
        notify()
        t = sms_template(supervisor)
        phones = [random_mobile() for _ in range(30)]
        with pytest.raises(Invalid) as bad:
            supervisor.create_batch({"template": t["name"], "channel": "sms",
                                     "recipients": [{"phone": p, "params": {"name": "a"}}
                                                    for p in phones],
                                     "params": {}})
        assert "recipients.0.params.serial" in bad.value.fields
        batch = supervisor.create_batch({
            "template": t["name"], "channel": "sms", "params": {"serial": "S"},
            "recipients": [{"phone": p, "params": {"name": f"用户{i}"}}
                           for i, p in enumerate(phones)]})
        wait_for(lambda: supervisor.get_batch(batch["id"])["done"], 30)
        for i, p in enumerate(phones):
            [got] = sim.sms(e164(p))
            assert got["params"] == {"name": f"用户{i}", "serial": "S"}

    def test_n3_a_list_of_more_customers_than_one_contact_read_takes_is_queued_whole(
            self, notify, start, sim, supervisor, rpc):
        notify()
        start("customer")
        phone = random_mobile()
        person = customer(rpc, unique("list"), phone=phone)
        gone = [str(uuid.uuid4()) for _ in range(699)]  # no such customers: skipped
        t = sms_template(supervisor, variables=("serial",), body="服务单{{ serial }}已受理。")
        batch = supervisor.create_batch({
            "template": t["name"], "channel": "sms", "params": {"serial": "S"},
            "recipients": [{"customer_id": c} for c in [*gone[:350], person["id"],
                                                         *gone[350:]]]})
        done = wait_for(lambda: (b := supervisor.get_batch(batch["id"]))["done"] and b, 60)
        assert (done["state"], done["total"]) == ("queued", 700)
        assert done["skipped_by_reason"] == {"no_customer": 699}
        assert len(sim.sms(e164(phone))) == 1

    def test_n4_quiet_hours_defer_marketing_until_morning(self, notify, sim, supervisor, rpc):
        notify()
        now = datetime.datetime.now(CHINA)
        start_at = (now - datetime.timedelta(minutes=5)).strftime("%H:%M")
        end_at = (now + datetime.timedelta(hours=1)).strftime("%H:%M")
        rpc("notify", roles=("admin",)).update_settings({"quiet_hours": f"{start_at}-{end_at}"})
        t = sms_template(supervisor, purpose="marketing")
        phone = random_mobile()
        m = rpc("notify", roles=("agent",)).send({
            "template": t["name"], "channel": "sms", "to": {"phone": phone},
            "params": {"name": "a", "serial": "b"}})
        assert m["status"] == "queued" and m["reason"] == "quiet_hours"
        assert datetime.datetime.fromisoformat(m["not_before"]) > now
        service = sms_template(supervisor, purpose="service", quiet="send")
        urgent = rpc("notify", roles=("agent",)).send({
            "template": service["name"], "channel": "sms", "to": {"phone": phone},
            "params": {"name": "a", "serial": "b"}})
        status_of(supervisor, urgent["id"], "sent", "delivered")
        assert [s["template_code"] for s in sim.sms(e164(phone))] == [service["provider_code"]]
        assert supervisor.get_message(m["id"])["status"] == "queued"

    def test_n4_frequency_caps_skip_marketing_past_the_daily_cap(
            self, notify, start, sim, supervisor, rpc):
        notify()
        start("customer")
        person = customer(rpc, unique("cap"))
        t = sms_template(supervisor, purpose="marketing")
        agent = rpc("notify", roles=("agent",))
        body = {"template": t["name"], "channel": "sms", "to": {"customer_id": person["id"]},
                "params": {"name": "a", "serial": "b"}}
        first = agent.send(body)
        status_of(supervisor, first["id"], "sent", "delivered")
        second = agent.send(body)
        assert status_of(supervisor, second["id"], "skipped")["reason"] == "frequency_cap_day"

    def test_n4_a_reply_td_opts_the_number_out_of_marketing(
            self, notify, start, sim, supervisor, rpc):
        notify()
        start("customer")
        phone = random_mobile()
        person = customer(rpc, unique("td"), phone=phone)
        service = sms_template(supervisor)
        agent = rpc("notify", roles=("agent",))
        first = agent.send({"template": service["name"], "channel": "sms",
                            "to": {"customer_id": person["id"]},
                            "params": {"name": "a", "serial": "b"}})
        status_of(supervisor, first["id"], "sent", "delivered")
        answer = sim.post("/_sim/uplink", {"provider": "aliyun", "phone": phone, "text": "TD"})
        assert answer
        prefs = wait_for(lambda: agent.preferences(person["id"])["opt_outs"])
        assert prefs[0]["source"] == "uplink" and prefs[0]["scope"] == "marketing"
        marketing = sms_template(supervisor, purpose="marketing")
        later = agent.send({"template": marketing["name"], "channel": "sms",
                            "to": {"customer_id": person["id"]},
                            "params": {"name": "a", "serial": "b"}})
        assert status_of(supervisor, later["id"], "skipped")["reason"] == "opted_out"
        # a service message still goes
        still = agent.send({"template": service["name"], "channel": "sms",
                            "to": {"customer_id": person["id"]},
                            "params": {"name": "a", "serial": "c"}})
        status_of(supervisor, still["id"], "sent", "delivered")
        assert len(sim.sms(e164(phone))) == 2

    def test_n4_a_replayed_td_reply_changes_nothing(
            self, notify, start, sim, supervisor, rpc, callbacks):
        notify()
        start("customer")
        phone = random_mobile()
        person = customer(rpc, unique("replay"), phone=phone)
        agent = rpc("notify", roles=("agent",))
        first = agent.send({"template": sms_template(supervisor)["name"], "channel": "sms",
                            "to": {"customer_id": person["id"]},
                            "params": {"name": "a", "serial": "b"}})
        status_of(supervisor, first["id"], "sent", "delivered")
        sim.post("/_sim/uplink", {"provider": "aliyun", "phone": phone, "text": "退订"})
        wait_for(lambda: agent.preferences(person["id"])["opt_outs"])
        # the customer asks to be messaged again; a captured 退订 replayed does not undo it
        agent.set_preference(person["id"], {"channel": "sms", "scope": None})
        assert agent.preferences(person["id"])["opt_outs"] == []
        uplink = next(c for c in callbacks if c["kind"] == "uplink")
        assert agent.provider_callback(uplink)["applied"] == 0
        assert agent.preferences(person["id"])["opt_outs"] == []

    def test_a_forged_receipt_is_refused(self, notify, sim, rpc):
        notify()
        with pytest.raises(Exception) as refused:
            rpc("notify").provider_callback({
                "provider": "aliyun", "kind": "receipts", "signature": "t=1,v1=00",
                "body": "[]"})
        assert "signature" in str(refused.value)


class TestProviderErrors:
    def test_n3_throttling_slows_the_sender_and_loses_nothing(
            self, notify, sim, supervisor):
        notify(rates={"sms": 400, "email": 5, "robot": 1, "webhook": 5})
        sim.configure(qps=2)
        templates = [sms_template(supervisor) for _ in range(10)]
        phones = [random_mobile() for _ in range(20)]
        # ten provider templates: ten batch requests at least, against 2 a second
        ids = [supervisor.send({"template": templates[i % 10]["name"], "channel": "sms",
                                "to": {"phone": p}, "params": {"name": "a", "serial": "b"}})["id"]
               for i, p in enumerate(phones)]
        for message_id in ids:
            status_of(supervisor, message_id, "sent", "delivered")
        stats = sim.get("/_sim/stats")
        assert stats["throttled"] > 0
        for p in phones:
            assert len(sim.sms(e164(p))) == 1

    def test_n3_permanent_errors_are_not_retried_temporary_ones_are(
            self, notify, sim, supervisor):
        notify()
        t = sms_template(supervisor)
        black = random_mobile()
        sim.configure(blacklist=[black])
        bad = supervisor.send({"template": t["name"], "channel": "sms", "to": {"phone": black},
                               "params": {"name": "a", "serial": "b"}})
        failed = status_of(supervisor, bad["id"], "failed")
        assert failed["attempts"] == 1 and failed["reason"] == "isv.BLACK_KEY_CONTROL_LIMIT"
        good = [random_mobile() for _ in range(6)]
        failed_before = sim.get("/_sim/stats")["failed"]
        sim.configure(fail_next=2)  # the provider's next two requests fail, then none
        ids = [supervisor.send({"template": t["name"], "channel": "sms", "to": {"phone": p},
                                "params": {"name": "a", "serial": "b"}})["id"] for p in good]
        sent = [status_of(supervisor, message_id, "sent", "delivered", timeout=60)
                for message_id in ids]
        assert sim.get("/_sim/stats")["failed"] == failed_before + 2
        assert max(m["attempts"] for m in sent) >= 2
        for p in good:
            assert len(sim.sms(e164(p))) == 1
        assert sim.sms(e164(black)) == []


class TestDrivenByEvents:
    def test_n5_a_dispatch_makes_exactly_one_sms_with_the_window_even_if_redelivered(
            self, notify, start, sim, supervisor, rpc, rabbit_config):
        container = notify()
        start("customer")
        phone = random_mobile()
        person = customer(rpc, unique("job"), phone=phone, name="李女士")
        robot_token = uuid.uuid4().hex
        rpc("notify", roles=("admin",)).save_target({
            "kind": "robot", "name": unique("robot"), "events": ["ticket_dispatched"],
            "url": f"{sim.url}/dingtalk/robot/send?access_token={robot_token}"})
        start_at = datetime.datetime(2026, 12, 8, 1, 0, tzinfo=datetime.UTC)  # 09:00 China
        data = {"ticket_id": str(uuid.uuid4()), "serial": "SH-20261208-0001",
                "dispatch_id": str(uuid.uuid4()), "staff_id": "field-1",
                "customer_id": person["id"], "address": "上海市浦东新区",
                "window_start": start_at.isoformat(),
                "window_end": (start_at + datetime.timedelta(hours=2)).isoformat()}
        with entrypoint_waiter(container, "notify_dispatched"):
            event = publish(rabbit_config, "ticket_dispatched", data)
        with entrypoint_waiter(container, "notify_dispatched"):
            publish(rabbit_config, "ticket_dispatched", data, event_id=event["event_id"])
        [got] = wait_for(lambda: sim.sms(e164(phone)))
        assert got["params"] == {"name": "李女士", "serial": "SH-20261208-0001",
                                 "window": "2026-12-08 09:00至11:00"}
        robots = wait_for(lambda: [r for r in sim.get("/_sim/robots")["messages"]
                                   if r.get("token") == robot_token])
        assert len(robots) == 1 and "SH-20261208-0001" in str(robots[0]["content"])
        assert "李女士" not in str(robots[0]["content"])  # no customer data in a group chat
        history = rpc("notify", roles=("agent",)).messages({"customer_id": person["id"]})
        assert [m["channel"] for m in history["messages"]] == ["sms"]
        assert len(sim.sms(e164(phone))) == 1

    def test_n1_a_robot_saved_again_without_its_secret_still_signs(
            self, notify, sim, rpc, rabbit_config):
        container = notify()
        token, secret = uuid.uuid4().hex, "SEC" + uuid.uuid4().hex
        sim.post("/_sim/robots/register", {"platform": "dingtalk", "token": token,
                                           "secret": secret})
        admin = rpc("notify", roles=("admin",))
        robot = {"kind": "robot", "name": unique("robot"), "events": ["ticket_resolved"],
                 "url": f"{sim.url}/dingtalk/robot/send?access_token={token}",
                 "secret": secret}
        admin.save_target(robot)
        # the secret is never shown, so an edit of the events comes without it
        admin.save_target({**robot, "secret": "", "events": ["ticket_dispatched"]})
        start_at = datetime.datetime(2026, 12, 8, 1, 0, tzinfo=datetime.UTC)
        with entrypoint_waiter(container, "notify_dispatched"):
            publish(rabbit_config, "ticket_dispatched", {
                "ticket_id": str(uuid.uuid4()), "serial": "SH-20261208-0002",
                "dispatch_id": str(uuid.uuid4()), "staff_id": "field-1", "customer_id": None,
                "address": "上海市", "window_start": start_at.isoformat(),
                "window_end": (start_at + datetime.timedelta(hours=2)).isoformat()})
        [got] = wait_for(lambda: [r for r in sim.get("/_sim/robots")["messages"]
                                  if r.get("token") == token])
        assert got["signed"] is True

    def test_n5_a_resolution_sends_the_email_when_the_customer_has_one(
            self, notify, start, sim, supervisor, rpc, rabbit_config):
        container = notify()
        start("customer")
        start("survey", SURVEY_LINK_SECRET=uuid.uuid4().hex)  # the mail waits for its link
        address = f"{uuid.uuid4().hex[:8]}@example.com"
        person = customer(rpc, unique("res"), email=address, name="王先生")
        with entrypoint_waiter(container, "notify_resolved"):
            publish(rabbit_config, "ticket_resolved", {
                "ticket_id": str(uuid.uuid4()), "serial": "ZX-20261207-0042",
                "kind": "consultation", "customer_id": person["id"], "from_status": "processing",
                "to_status": "resolved", "at": datetime.datetime.now(datetime.UTC).isoformat()})
        [mail] = wait_for(lambda: sim.mail(address))
        assert mail["subject"] == "您的服务单 ZX-20261207-0042 已处理完毕"
        assert "王先生您好" in mail["text"]
        assert re.search(r"请花一分钟评价本次服务：https?://\S+/s/\S+", mail["text"])
