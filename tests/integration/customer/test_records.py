"""C1 records, C2 owned products, C3 caller lookup, C5 change history — through the
customer service's RPC against real PostgreSQL and RabbitMQ."""
import datetime
import os
import random
import uuid

import psycopg2
import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from tests.helpers import random_mobile

PERSON = {
    "kind": "person", "name": "李秀英", "region": "广东省深圳市南山区",
    "tags": ["老客户", "投诉敏感"], "lifecycle": "normal",
    "person": {"gender": "female", "birth_date": "1985-03-02", "occupation": "教师",
               "education": "本科", "marital_status": "married"},
    "addresses": [{"kind": "home", "text": "南山区科技园1号", "postcode": "518000"},
                  {"kind": "work", "text": "福田区深南大道2号"}],
    "notes": "喜欢上午来电",
}


def landline() -> str:
    return "010-" + str(random.randint(60000000, 69999999))


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


class TestC1Records:
    def test_c1_person_with_every_field_round_trips(self, customers):
        mobile, email = random_mobile(), f"li{uuid.uuid4().hex[:8]}@example.cn"
        created = customers("customer").create_customer(
            {**PERSON, "phones": [mobile, landline() + " ext 8"], "emails": [email.upper()]})
        assert created["number"].startswith("KH") and len(created["number"]) == 10
        assert created["archive"]["person"]["occupation"] == "教师"
        assert created["archive"]["emails"] == [email]
        assert [a["kind"] for a in created["archive"]["addresses"]] == ["home", "work"]
        assert created["tags"] == ["老客户", "投诉敏感"] and created["level"] == 0
        assert created["phones"][1]["ext"] == "8"
        again = customers("customer").get_customer(created["id"])
        assert again["archive"] == created["archive"]

    def test_c1_organization_with_key_people_credit_and_business_status(self, customers):
        created = customers("customer", roles=("supervisor",)).create_customer({
            "kind": "organization", "name": "深圳市华强电子有限公司", "phones": [landline()],
            "credit_class": "B", "credit": {"limit": "50000.00", "problems": "2024年逾期一次"},
            "organization": {"industry": "电子制造", "staff_count": 320, "revenue": "12000000",
                             "founded": "2008-06-01", "trading_since": "2015-01-01",
                             "qualifications": ["ISO9001"],
                             "business_status": {"cooperation_attitude": "积极",
                                                 "competitors": "某品牌"},
                             "problems": "售后响应慢", "strengths": "付款及时"},
            "key_people": [{"name": "王总", "title": "总经理", "decision_maker": True,
                            "phone": random_mobile(), "notes": "周一不接电话"}],
        })
        assert created["credit_class"] == "B"
        archive = created["archive"]
        assert archive["organization"]["staff_count"] == 320
        assert archive["credit"] == {"limit": "50000.00", "problems": "2024年逾期一次"}
        assert archive["key_people"][0]["decision_maker"] is True
        assert archive["person"] is None

    def test_c1_agents_may_not_set_credit_and_profile_must_match_kind(self, customers):
        with pytest.raises(Invalid) as caught:
            customers("customer").create_customer({"name": "赵六", "credit_class": "A"})
        assert "credit_class" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            customers("customer").create_customer({"name": "赵六", "organization": {}})
        assert "organization" in caught.value.fields

    def test_c1_custom_fields_are_validated_against_the_admins_definitions(self, customers):
        key = "f" + uuid.uuid4().hex[:10]
        admin = customers("customer", roles=("admin",))
        admin.define_custom_field({"key": key, "label": "购车渠道", "type": "choice",
                                   "choices": ["4S店", "网购"]})
        with pytest.raises(Forbidden):
            customers("customer").define_custom_field({"key": key, "label": "x", "type": "text"})
        with pytest.raises(Invalid) as caught:
            customers("customer").create_customer({"name": "钱七", "custom": {key: "路边"}})
        assert "custom" in caught.value.fields
        with pytest.raises(Invalid):
            customers("customer").create_customer({"name": "钱七", "custom": {"nope": 1}})
        created = customers("customer").create_customer({"name": "钱七", "custom": {key: "网购"}})
        assert created["archive"]["custom"] == {key: "网购"}
        admin.define_custom_field({"key": key, "label": "购车渠道", "type": "choice",
                                   "choices": ["4S店", "网购"], "active": False})


class TestC2Assets:
    def test_c2_products_and_vehicles_say_whether_they_are_in_warranty(self, customers):
        today = datetime.date.today()
        plate = f"粤B{random.randint(10000, 99999)}"
        created = customers("customer").create_customer({"name": "周车主", "assets": [
            {"kind": "vehicle", "product": "轿车", "model": "X5", "plate": plate.lower(),
             "serial": "LVSHCAMB1CE" + str(random.randint(100000, 999999)),
             "purchased_on": str(today.replace(year=today.year - 1)),
             "warranty_end": str(today + datetime.timedelta(days=1))},
            {"product": "空调", "model": "KFR-35", "warranty_end":
             str(today - datetime.timedelta(days=1))},
        ]})
        assets = created["assets"]
        assert [a["in_warranty"] for a in assets] == [True, False]
        assert assets[0]["plate"] == plate
        added = customers("customer").add_asset(created["id"], {"product": "冰箱"})
        assert len(added["assets"]) == 3


class TestC3Lookup:
    def test_c3_every_key_finds_the_customer(self, customers):
        mobile, email = random_mobile(), f"x{uuid.uuid4().hex[:8]}@qq.com"
        line = str(random.randint(60000000, 69999999))
        plate, serial = f"京A{random.randint(10000, 99999)}", "SN" + uuid.uuid4().hex[:10]
        created = customers("customer").create_customer({
            "name": "孙悟空", "phones": [mobile, f"(010){line} ext 8"], "emails": [email],
            "assets": [{"kind": "vehicle", "product": "SUV", "plate": plate, "serial": serial}]})
        agent = customers("customer")
        written = [f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"0086-{mobile}", f"86{mobile}",
                   f"({mobile[:3]}) {mobile[3:7]}-{mobile[7:]}", mobile, f"010-{line}",
                   f"(010){line} ext 8", f"+86 10 {line}"]
        for typed in written:
            found = agent.lookup({"phone": typed})["matches"]
            assert [m["id"] for m in found] == [created["id"]], typed
        for query in ({"email": email.upper()}, {"number": created["number"].lower()},
                      {"plate": plate[:3] + " " + plate[3:]}, {"serial": serial.lower()}):
            assert [m["id"] for m in agent.lookup(query)["matches"]] == [created["id"]], query

    def test_c3_none_one_or_several_with_what_tells_them_apart(self, customers):
        shared = random_mobile()
        agent = customers("customer")
        assert agent.lookup({"phone": shared}, True) == {"matches": [], "view": None}
        first = agent.create_customer({"name": "张伟", "phones": [shared], "region": "北京市"})
        one = agent.lookup({"phone": shared}, True)
        assert one["view"]["id"] == first["id"] and one["view"]["archive"] is not None
        second = agent.create_customer({"name": "张伟", "phones": [shared], "region": "上海市"})
        several = agent.lookup({"phone": shared}, True)
        assert several["view"] is None
        assert [m["id"] for m in several["matches"]] == [first["id"], second["id"]]
        assert {m["number"] for m in several["matches"]} == {first["number"], second["number"]}
        assert {m["region"] for m in several["matches"]} == {"北京市", "上海市"}

    def test_c3_bad_queries_are_named(self, customers):
        with pytest.raises(Invalid) as caught:
            customers("customer").lookup({"phone": "12345"})
        assert "phone" in caught.value.fields
        with pytest.raises(Invalid):
            customers("customer").lookup({"phone": random_mobile(), "email": "a@b.cn"})


class TestC5History:
    def test_c5_every_change_is_kept_with_who_when_old_new(self, customers):
        agent = customers("customer", staff_id="agent-c5")
        created = agent.create_customer({**PERSON, "phones": [random_mobile()]})
        agent.update_customer(created["id"], {"region": "广东省广州市", "notes": "改为下午来电"})
        agent.update_customer(created["id"], {"region": "广东省广州市"})  # no change
        entries = customers("customer", roles=("supervisor",)).history(created["id"])["entries"]
        changed = {(e["field"], e["old"], e["new"], e["actor_id"]) for e in entries
                   if e["action"] == "update"}
        assert changed == {("region", "广东省深圳市南山区", "广东省广州市", "agent-c5"),
                           ("notes", "喜欢上午来电", "改为下午来电", "agent-c5")}
        assert customers("customer").get_customer(created["id"])["version"] == 2

    def test_c5_unreviewed_records_are_listed_and_review_clears_them(self, customers):
        created = customers("customer").create_customer({"name": "吴老旧"})
        with psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"]) as conn, \
                conn.cursor() as cur:
            cur.execute("SELECT set_config('kefu.principal', 'test', true)")
            cur.execute("UPDATE customer SET created_at = now() - interval '4 months'"
                        " WHERE id = %s", (created["id"],))
        supervisor = customers("customer", roles=("supervisor",))
        due = [c["id"] for c in supervisor.review_due(3, 1000)["customers"]]
        assert created["id"] in due
        supervisor.mark_reviewed(created["id"])
        due = [c["id"] for c in supervisor.review_due(3, 1000)["customers"]]
        assert created["id"] not in due

    def test_c5_writes_outside_the_callers_groups_are_not_found(self, customers):
        owner = customers("customer", groups=("order",))
        created = owner.create_customer({"name": "郑组内"})
        assert created["owner_group"] == "order"
        with pytest.raises(NotFound):
            customers("customer", groups=("complaint",)).update_customer(
                created["id"], {"region": "x"})
        changed = customers("customer", groups=("order",)).update_customer(
            created["id"], {"region": "天津市"})
        assert changed["region"] == "天津市"
