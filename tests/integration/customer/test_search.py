"""Fuzzy customer search over real PostgreSQL: Chinese name, pinyin, initials, part of a
phone number, customer number; destroyed and merged-away customers are never found."""
import time

import pytest

from services.common.errors import Invalid, Unauthenticated
from tests.helpers import random_mobile
from tests.integration.customer.search_helpers import homophone_names, owner_sql, rare_name


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc("customer", roles=("agent",))


def found(customers, q, limit=100) -> list[str]:
    return [c["id"] for c in customers.search_customers({"q": q, "limit": limit})["customers"]]


class TestSearchByName:
    def test_zhangsan_by_characters_pinyin_initials_and_surname(self, customers):
        zhang = customers.create_customer({"name": "张三", "phones": [random_mobile()]})
        zhang_feng = customers.create_customer({"name": "张三丰"})
        li = customers.create_customer({"name": "李四"})
        by_chars = found(customers, "张三")
        assert zhang["id"] in by_chars and zhang_feng["id"] in by_chars
        assert li["id"] not in by_chars
        assert by_chars.index(zhang["id"]) < by_chars.index(zhang_feng["id"])  # exact first
        assert zhang["id"] in found(customers, "zhangsan")
        assert zhang["id"] in found(customers, "Zhang San")
        assert {zhang["id"], zhang_feng["id"]} <= set(found(customers, "zs"))
        assert zhang_feng["id"] in found(customers, "zsf")
        assert zhang["id"] in found(customers, "张")
        assert zhang["id"] not in found(customers, "李")

    def test_a_rare_name_is_the_only_answer_and_comes_as_a_card(self, customers):
        name = rare_name()
        mobile = random_mobile()
        made = customers.create_customer({"name": name, "phones": [mobile], "notes": "私人备注"})
        result = customers.search_customers({"q": name})
        assert result["kind"] == "name"
        [card] = result["customers"]
        assert card["id"] == made["id"] and card["number"] == made["number"]
        assert card["archive"] is None
        assert card["phones"][0]["masked"] == f"{mobile[:3]}****{mobile[7:]}"
        assert mobile not in str(result)

    def test_same_pinyin_other_characters_are_found_after_the_exact_name(self, customers):
        name, homophone = homophone_names()
        exact = customers.create_customer({"name": name})
        other = customers.create_customer({"name": homophone})
        assert found(customers, name) == [exact["id"], other["id"]]

    def test_part_of_a_longer_name_and_its_pinyin(self, customers):
        core = rare_name(4)
        org = customers.create_customer({"kind": "organization", "name": f"北京{core}科技有限公司"})
        assert org["id"] in found(customers, core)
        assert customers.search_customers({"q": core})["kind"] == "name"  # a substring
        assert org["id"] in found(customers, f"北京{core}")

    def test_a_misspelt_pinyin_or_name_still_finds_it(self, customers):
        made = customers.create_customer({"name": "欧阳娜娜"})
        assert made["id"] in found(customers, "ouyangnana")
        assert made["id"] in found(customers, "oynn")
        assert made["id"] in found(customers, "ouyangnanna")  # nothing as typed: similar
        assert made["id"] in found(customers, "欧阳娜")


class TestSearchByPhoneAndNumber:
    def test_any_run_of_four_or_more_digits_inside_a_stored_number(self, customers):
        mobile = random_mobile()
        made = customers.create_customer({"name": rare_name(), "phones": [mobile]})
        for run in (mobile[-4:], mobile[3:9], mobile[:7], mobile, f"{mobile[:3]}-{mobile[3:7]}",
                    f"+86 {mobile}", f"0086{mobile}"):
            result = customers.search_customers({"q": run, "limit": 100})
            assert result["kind"] == "phone"
            assert made["id"] in [c["id"] for c in result["customers"]], run

    def test_a_landline_typed_with_its_trunk_zero(self, customers):
        line = "010" + random_mobile()[-8:]
        made = customers.create_customer({"name": rare_name(), "phones": [line]})
        assert made["id"] in found(customers, line)
        assert made["id"] in found(customers, line[3:])

    def test_last_four_digits_come_before_digits_in_the_middle(self, customers):
        mobile = random_mobile()
        tail = customers.create_customer({"name": rare_name(), "phones": [mobile]})
        middle_number = "139" + mobile[-4:] + random_mobile()[-4:]
        middle = customers.create_customer({"name": rare_name(), "phones": [middle_number]})
        ids = found(customers, mobile[-4:], limit=100)
        if middle["id"] in ids:
            assert ids.index(tail["id"]) < ids.index(middle["id"])
        assert tail["id"] in ids

    def test_customer_number_prefix_case_insensitive(self, customers):
        made = customers.create_customer({"name": rare_name()})
        number = made["number"]
        assert found(customers, number) == [made["id"]]
        assert made["id"] in found(customers, number.lower()[:-1])
        result = customers.search_customers({"q": number.lower()})
        assert result["kind"] == "number"


class TestNeverFound:
    def test_merged_away_and_destroyed_customers_are_hidden(self, customers, rpc):
        name = rare_name()
        mobile = random_mobile()
        gone = customers.create_customer({"name": name, "phones": [mobile]})
        survivor = customers.create_customer({"name": rare_name()})
        assert found(customers, name) == [gone["id"]]
        rpc("customer", roles=("supervisor",)).merge_customers(
            survivor["id"], {"merge_id": gone["id"]})
        assert found(customers, name) == []
        assert found(customers, gone["number"]) == []
        assert found(customers, mobile) == [survivor["id"]]  # the phone moved with the merge
        destroyed = customers.create_customer({"name": rare_name(), "phones": [random_mobile()]})
        owner_sql("UPDATE customer SET destroyed_at = now() WHERE id = %s", (destroyed["id"],))
        assert found(customers, destroyed["name"]) == []

    def test_a_renamed_customer_is_found_by_its_new_name_only(self, customers):
        old, new = rare_name(), rare_name()
        made = customers.create_customer({"name": old})
        customers.update_customer(made["id"], {"name": new})
        assert found(customers, old) == []
        assert found(customers, new) == [made["id"]]


class TestBulkChanges:
    def test_a_bulk_insert_is_searchable_once_the_timer_has_synced_it(self, customers):
        """More than 1000 rows in one statement (an import) only mark the customers; the
        service's timer builds their search keys within seconds."""
        # The test databases are shared by the whole run: let earlier imports' marks
        # (tens of thousands of rows) drain first, so what is measured is this insert.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and owner_sql(
                "SELECT count(*) AS n FROM customer_search_dirty") != [{"n": 0}]:
            time.sleep(0.5)
        prefix = rare_name(2)
        owner_sql(
            "INSERT INTO customer (number, kind, name, name_pinyin, name_initials)"
            " SELECT 'BULK' || md5(random()::text), 'person', %s || g, 'bulk' || g, 'b'"
            " FROM generate_series(1, 1500) g", (prefix,))
        [phone_row] = owner_sql(
            "INSERT INTO customer_phone (customer_id, e164, position)"
            " SELECT id, '+86139' || lpad((random() * 1e8)::bigint::text, 8, '0'), 0"
            " FROM customer WHERE name = %s RETURNING e164", (prefix + "7",))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(found(customers, prefix)) < 100:
            time.sleep(0.2)
        assert len(found(customers, prefix)) == 100  # the page is full
        assert found(customers, prefix + "1499") != []
        [row] = owner_sql("SELECT count(*) AS n FROM customer_search s JOIN customer c"
                          " ON c.id = s.customer_id WHERE c.name LIKE %s", (prefix + "%",))
        assert row["n"] == 1500
        assert owner_sql("SELECT count(*) AS n FROM customer_search_dirty") == [{"n": 0}]
        assert found(customers, phone_row["e164"][-8:]) != []


class TestRefusals:
    @pytest.mark.parametrize("q", ["12", "", "%%"])
    def test_nothing_searchable_is_invalid_naming_q(self, customers, q):
        with pytest.raises(Invalid) as caught:
            customers.search_customers({"q": q})
        assert "q" in caught.value.fields

    def test_like_wildcards_match_only_themselves(self, customers):
        assert customers.search_customers({"q": "%_%" + rare_name(2)})["customers"] == []

    def test_unsigned_caller_is_refused(self, start, rpc):
        start("customer")
        with pytest.raises(Unauthenticated):
            rpc("customer", auth_token="").search_customers({"q": "张"})
