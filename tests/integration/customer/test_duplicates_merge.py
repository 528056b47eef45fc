"""C8 duplicates and merge over real PostgreSQL and RabbitMQ: candidates by shared phone,
similar name and same pinyin; a merge unites phones, emails, assets and tags, fills the
archive, keeps both histories, hides the merged record, publishes customer_merged, and
the ticket service re-points the merged customer's tickets."""
import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Forbidden, Invalid, NotFound
from tests.helpers import random_mobile
from tests.integration.customer.search_helpers import homophone_names, owner_sql, rare_name


def staff(rpc, role="supervisor", clearance=0, **kw):
    return rpc("customer", roles=(role,), clearance=clearance,
               staff_id=f"{role}-{uuid.uuid4().hex[:8]}", **kw)


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def pair_of(page, a, b) -> dict | None:
    for pair in page["pairs"]:
        if {pair["customer"]["id"], pair["duplicate"]["id"]} == {a, b}:
            return pair
    return None


class TestC8Duplicates:
    def test_shared_phone(self, customers):
        mobile = random_mobile()
        a = staff(customers).create_customer({"name": rare_name(), "phones": [mobile]})
        b = staff(customers).create_customer({"name": rare_name(),
                                              "phones": [random_mobile(), f"+86 {mobile}"]})
        page = staff(customers).find_duplicates({"customer_id": a["id"]})
        pair = pair_of(page, a["id"], b["id"])
        assert pair["reasons"] == ["phone"]
        assert pair["shared_phones"] == [f"{mobile[:3]}****{mobile[7:]}"]
        assert (pair["customer"]["id"], pair["duplicate"]["id"]) == (a["id"], b["id"])  # older
        assert 0 < pair["score"] < 1 and page["cursor"] is None

    def test_similar_name(self, customers):
        core = rare_name(4)
        a = staff(customers).create_customer({"kind": "organization",
                                              "name": f"上海{core}科技有限公司"})
        b = staff(customers).create_customer({"kind": "organization", "name": f"上海{core}科技"})
        pair = pair_of(staff(customers).find_duplicates({"customer_id": b["id"]}),
                       a["id"], b["id"])
        assert pair["reasons"] == ["name"]
        assert pair["name_similarity"] == 1.0  # equal without the legal form

    def test_same_pinyin(self, customers):
        name, homophone = homophone_names()
        a = staff(customers).create_customer({"name": name})
        b = staff(customers).create_customer({"name": homophone})
        pair = pair_of(staff(customers).find_duplicates({"customer_id": a["id"]}),
                       a["id"], b["id"])
        assert pair["reasons"] == ["pinyin"]

    def test_every_reason_scores_higher_than_one(self, customers):
        mobile, name = random_mobile(), rare_name(4)
        a = staff(customers).create_customer({"name": name, "phones": [mobile]})
        b = staff(customers).create_customer({"name": name, "phones": [mobile]})
        c = staff(customers).create_customer({"name": name})
        page = staff(customers).find_duplicates({"customer_id": a["id"]})
        ab, ac = pair_of(page, a["id"], b["id"]), pair_of(page, a["id"], c["id"])
        assert ab["reasons"] == ["phone", "pinyin", "name"]
        assert ac["reasons"] == ["pinyin", "name"]
        assert ab["score"] > ac["score"]
        assert page["pairs"][0] == ab

    def test_a_common_name_alone_is_no_evidence(self, customers):
        name = rare_name()
        made = [staff(customers).create_customer({"name": name}) for _ in range(12)]
        assert staff(customers).find_duplicates({"customer_id": made[0]["id"]})["pairs"] == []

    def test_the_scan_reports_each_pair_once_newest_first_with_a_cursor(self, customers):
        [since] = owner_sql("SELECT now() AS at")
        mobile = random_mobile()
        a = staff(customers).create_customer({"name": rare_name(), "phones": [mobile]})
        b = staff(customers).create_customer({"name": rare_name(), "phones": [mobile]})
        sup = staff(customers)
        first = sup.find_duplicates({"limit": 1, "scan": 5})
        assert first["scanned"] <= 5 and pair_of(first, a["id"], b["id"]) is not None
        seen, cursor, pages = [], None, 0
        while True:
            page = sup.find_duplicates({"limit": 1, "scan": 2, "created_after": since[
                "at"].isoformat(), **({"cursor": cursor} if cursor else {})})
            seen += [(p["customer"]["id"], p["duplicate"]["id"]) for p in page["pairs"]]
            cursor, pages = page["cursor"], pages + 1
            if cursor is None or pages > 100:
                break
        assert cursor is None and pages >= 2
        assert seen.count((a["id"], b["id"])) == 1
        assert len(seen) == len(set(seen))

    def test_agents_may_not_list_duplicates_and_bad_input_is_named(self, customers):
        with pytest.raises(Forbidden):
            staff(customers, "agent").find_duplicates({})
        with pytest.raises(Invalid) as caught:
            staff(customers).find_duplicates({"cursor": "nonsense"})
        assert "cursor" in caught.value.fields
        with pytest.raises(NotFound):
            staff(customers).find_duplicates({"customer_id": str(uuid.uuid4())})


class TestC8Merge:
    def test_merge_unites_keeps_history_hides_b_emits_and_tickets_follow(self, start, customers):
        tickets = start("ticket")
        sup = staff(customers)
        p1, p2 = random_mobile(), random_mobile()
        a = sup.create_customer({
            "name": rare_name(), "phones": [p1], "emails": [f"a{p1}@example.cn"],
            "tags": ["老客户"], "person": {"gender": "male"},
            "assets": [{"kind": "vehicle", "product": "轿车", "plate": f"沪A{p1[-5:]}"}]})
        b = sup.create_customer({
            "name": rare_name(), "phones": [p1, p2], "emails": [f"b{p2}@example.cn"],
            "tags": ["车主", "老客户"], "credit_class": "B", "region": "上海市",
            "person": {"gender": "female", "occupation": "教师"}, "notes": "B 的备注",
            "assets": [{"product": "空调", "serial": f"SN{p2}"}]})
        agent_tickets = customers("ticket", roles=("agent",))
        ticket = agent_tickets.create_ticket({"customer_id": b["id"], "kind": "consultation",
                                              "content": "合并前的工单"})
        with entrypoint_waiter(tickets, "repoint_merged_customer", timeout=10):
            result = sup.merge_customers(a["id"], {"merge_id": b["id"], "reason": "同一人"})

        survivor = result["survivor"]
        assert (survivor["id"], survivor["number"]) == (a["id"], a["number"])
        assert result["merged_id"] == b["id"]
        assert result["moved"] == {"phones": 1, "emails": 1, "assets": 1}
        assert [p["masked"] for p in survivor["phones"]] == [
            f"{p1[:3]}****{p1[7:]}", f"{p2[:3]}****{p2[7:]}"]
        assert survivor["tags"] == ["老客户", "车主"]
        assert (survivor["credit_class"], survivor["region"]) == ("B", "上海市")
        assert sorted(x["product"] for x in survivor["assets"]) == ["空调", "轿车"]
        full = customers("customer", roles=("manager",), clearance=3).get_customer(a["id"])
        assert full["archive"]["emails"] == [f"a{p1}@example.cn", f"b{p2}@example.cn"]
        assert full["archive"]["person"] == {"gender": "male", "occupation": "教师"}
        assert full["archive"]["notes"] == "B 的备注"

        # B stays, pointing at A, without its phones, hidden from lookup and search.
        [row] = owner_sql("SELECT merged_into::text, number FROM customer WHERE id = %s",
                          (b["id"],))
        assert row == {"merged_into": a["id"], "number": b["number"]}
        agent = customers("customer", roles=("agent",))
        assert agent.lookup({"number": b["number"]})["matches"] == []
        assert [m["id"] for m in agent.lookup({"phone": p2})["matches"]] == [a["id"]]
        assert [m["id"] for m in agent.lookup({"serial": f"SN{p2}"})["matches"]] == [a["id"]]

        # Both histories are kept; A records the merge with B's id and B where it went.
        a_history = sup.history(a["id"])["entries"]
        b_history = sup.history(b["id"])["entries"]
        assert {"merged_from": b["id"]} == {h["field"]: h["new"] for h in a_history
                                            if h["field"] == "merged_from"}
        assert [h["new"] for h in b_history if h["field"] == "merged_into"] == [a["id"]]
        assert any(h["action"] == "create" for h in b_history)
        assert {h["field"] for h in a_history if h["action"] == "merge"} >= {
            "merged_from", "phones", "tags", "credit_class", "region"}

        # The event left through the outbox, and the ticket now belongs to A.
        [event] = owner_sql("SELECT envelope FROM outbox WHERE event_type = 'customer_merged'"
                            " AND envelope->'data'->>'merged_id' = %s", (b["id"],))
        assert event["envelope"]["data"] == {"survivor_id": a["id"], "merged_id": b["id"]}
        assert [t["id"] for t in agent_tickets.list_for_customer(a["id"])["tickets"]] == [
            ticket["id"]]
        assert agent_tickets.list_for_customer(b["id"])["tickets"] == []

    def test_a_repeated_merge_changes_nothing(self, customers):
        sup = staff(customers)
        a = sup.create_customer({"name": rare_name(), "phones": [random_mobile()]})
        b = sup.create_customer({"name": rare_name(), "phones": [random_mobile()]})
        sup.merge_customers(a["id"], {"merge_id": b["id"]})
        history = owner_sql("SELECT count(*) AS n FROM customer_history WHERE customer_id"
                            " = ANY(%s::uuid[])", ([a["id"], b["id"]],))
        again = sup.merge_customers(a["id"], {"merge_id": b["id"]})
        assert again["moved"] == {} and again["survivor"]["id"] == a["id"]
        assert owner_sql("SELECT count(*) AS n FROM customer_history WHERE customer_id"
                         " = ANY(%s::uuid[])", ([a["id"], b["id"]],)) == history
        assert owner_sql("SELECT count(*) AS n FROM outbox WHERE event_type = 'customer_merged'"
                         " AND envelope->'data'->>'merged_id' = %s", (b["id"],)) == [{"n": 1}]
        # B is gone for anything else: merging it elsewhere or into it is 404.
        c = sup.create_customer({"name": rare_name()})
        with pytest.raises(NotFound):
            sup.merge_customers(c["id"], {"merge_id": b["id"]})
        with pytest.raises(NotFound):
            sup.merge_customers(b["id"], {"merge_id": c["id"]})

    def test_classified_records_need_clearance_and_raise_the_survivor(self, customers):
        sup = staff(customers, clearance=3)
        manager = staff(customers, "manager", clearance=2)
        a = sup.create_customer({"name": rare_name(), "phones": [random_mobile()]})
        b = sup.create_customer({"name": rare_name(), "notes": "机密备注"})
        manager.classify(b["id"], {"level": 2, "reason": "重要客户"})
        # above the caller's clearance: as if it did not exist
        with pytest.raises(NotFound):
            staff(customers, "manager", clearance=1).merge_customers(a["id"],
                                                                     {"merge_id": b["id"]})
        # cleared, but classified records are changed by managers only
        with pytest.raises(Forbidden):
            sup.merge_customers(a["id"], {"merge_id": b["id"]})
        done = manager.merge_customers(a["id"], {"merge_id": b["id"], "reason": "同一客户"})
        assert done["survivor"]["level"] == 2 and done["survivor"]["effective_level"] == 2
        logged = owner_sql("SELECT action, level, reason FROM access_log WHERE customer_id = %s"
                           " AND detail ? 'merge'", (b["id"],))
        assert logged == [{"action": "read_archive", "level": 2, "reason": "同一客户"}]
        seen = staff(customers, "agent").get_customer(a["id"])
        assert seen["archive"] is None  # an agent no longer reads the survivor's archive

    def test_refusals_change_nothing(self, customers):
        sup = staff(customers)
        a = sup.create_customer({"name": rare_name()})
        b = sup.create_customer({"name": rare_name()})
        with pytest.raises(Invalid) as caught:
            sup.merge_customers(a["id"], {"merge_id": a["id"]})
        assert "merge_id" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            sup.merge_customers(a["id"], {"merge_id": "not-a-uuid"})
        assert "merge_id" in caught.value.fields
        with pytest.raises(NotFound):
            sup.merge_customers(a["id"], {"merge_id": str(uuid.uuid4())})
        with pytest.raises(Forbidden):
            staff(customers, "agent").merge_customers(a["id"], {"merge_id": b["id"]})
        assert owner_sql("SELECT count(*) AS n FROM customer WHERE merged_into IS NOT NULL"
                         " AND id = ANY(%s::uuid[])", ([a["id"], b["id"]],)) == [{"n": 0}]
