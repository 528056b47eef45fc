"""C9 segments over real PostgreSQL: every filter, and keyset paging that returns every
matching customer exactly once, also when customers are added between pages."""
import uuid

import pytest

from services.common.errors import Forbidden, Invalid
from tests.helpers import random_mobile
from tests.integration.customer.search_helpers import owner_sql, rare_name, tag


def staff(rpc, role="supervisor", clearance=0):
    return rpc("customer", roles=(role,), clearance=clearance,
               staff_id=f"{role}-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def sup(start, rpc):
    start("customer")
    return staff(rpc)


def ids_of(sup, **query) -> set[str]:
    page = sup.segment({"limit": 1000, **query})
    assert page["cursor"] is None
    return {c["id"] for c in page["customers"]}


def make(sup, group: str, **fields) -> str:
    body = {"name": rare_name(), "tags": [group, *fields.pop("tags", [])], **fields}
    return sup.create_customer(body)["id"]


class TestC9Filters:
    def test_kind_credit_class_lifecycle_grade(self, sup):
        g = tag()
        person = make(sup, g, credit_class="A", lifecycle="declining", grade="vip")
        org = make(sup, g, kind="organization", credit_class="C", lifecycle="lost")
        plain = make(sup, g)
        assert ids_of(sup, tags_all=[g]) == {person, org, plain}
        assert ids_of(sup, tags_all=[g], kind="organization") == {org}
        assert ids_of(sup, tags_all=[g], credit_class="A,B") == {person}
        assert ids_of(sup, tags_all=[g], lifecycle=["declining", "lost"]) == {person, org}
        assert ids_of(sup, tags_all=[g], grade="vip") == {person}

    def test_effective_level_counts_declassification(self, sup):
        g = tag()
        ordinary, secret, declassified = make(sup, g), make(sup, g), make(sup, g)
        owner_sql("UPDATE customer SET level = 1 WHERE id = %s", (secret,))
        owner_sql("UPDATE customer SET level = 2, declassify_at = now() - interval '1 hour',"
                  " declassify_to = 0 WHERE id = %s", (declassified,))
        assert ids_of(sup, tags_all=[g], level="0") == {ordinary, declassified}
        assert ids_of(sup, tags_all=[g], level=[1, 2]) == {secret}

    def test_region_prefix_and_tags_all_or_any(self, sup):
        g = tag()
        shenzhen = make(sup, g, region="广东省深圳市", tags=["车主", "vip"])
        guangzhou = make(sup, g, region="广东省广州市", tags=["车主"])
        beijing = make(sup, g, region="北京市", tags=["vip"])
        odd = make(sup, g, region="广东_省")
        assert ids_of(sup, tags_all=[g], region="广东") == {shenzhen, guangzhou, odd}
        assert ids_of(sup, tags_all=[g], region="广东省深") == {shenzhen}
        assert ids_of(sup, tags_all=[g], region="广东_") == {odd}  # "_" is no wildcard
        assert ids_of(sup, tags_all=f"{g},车主,vip") == {shenzhen}
        assert ids_of(sup, tags_all=[g], tags_any="vip,车主") == {shenzhen, guangzhou, beijing}
        assert ids_of(sup, tags_all=[g], tags_any=["无此标签"]) == set()

    def test_owned_product_or_model(self, sup):
        g, model = tag(), "KFR-" + uuid.uuid4().hex[:6]
        ac = make(sup, g, assets=[{"product": "空调", "model": model}])
        car = make(sup, g, assets=[{"kind": "vehicle", "product": "轿车",
                                    "plate": "粤B" + random_mobile()[-5:]}])
        make(sup, g)
        assert ids_of(sup, tags_all=[g], product="空调") == {ac}
        assert ids_of(sup, tags_all=[g], product=model) == {ac}
        assert ids_of(sup, tags_all=[g], product="轿车") == {car}

    def test_last_contact_older_than_n_months_or_never(self, sup):
        g = tag()
        never, long_ago, recent = make(sup, g), make(sup, g), make(sup, g)
        owner_sql("UPDATE customer SET last_contact_at = now() - interval '7 months'"
                  " WHERE id = %s", (long_ago,))
        owner_sql("UPDATE customer SET last_contact_at = now() - interval '1 month'"
                  " WHERE id = %s", (recent,))
        assert ids_of(sup, tags_all=[g], no_contact_months=6) == {never, long_ago}
        assert ids_of(sup, tags_all=[g], no_contact_months=12) == {never}

    def test_created_before_and_after(self, sup):
        g = tag()
        old, new = make(sup, g), make(sup, g)
        owner_sql("UPDATE customer SET created_at = '2021-06-01T00:00:00+08:00' WHERE id = %s",
                  (old,))
        assert ids_of(sup, tags_all=[g], created_before="2022-01-01") == {old}
        assert ids_of(sup, tags_all=[g], created_after="2022-01-01") == {new}
        assert ids_of(sup, tags_all=[g], created_after="2021-06-01",
                      created_before="2021-06-02") == {old}

    def test_merged_and_destroyed_customers_are_not_in_segments(self, sup):
        g = tag()
        a, b, c = make(sup, g), make(sup, g), make(sup, g)
        sup.merge_customers(a, {"merge_id": b})
        owner_sql("UPDATE customer SET destroyed_at = now() WHERE id = %s", (c,))
        assert ids_of(sup, tags_all=[g]) == {a}


class TestC9Paging:
    def test_every_match_exactly_once_with_inserts_between_pages(self, sup):
        g = tag()
        made = [make(sup, g) for _ in range(7)]
        first = sup.segment({"tags_all": g, "limit": 3, "count": True})
        assert first["total"] == 7 and len(first["customers"]) == 3
        seen = [c["id"] for c in first["customers"]]
        cursor, added = first["cursor"], []
        while cursor:
            added.append(make(sup, g))  # a new match between pages
            page = sup.segment({"tags_all": g, "limit": 3, "cursor": cursor})
            seen += [c["id"] for c in page["customers"]]
            cursor = page["cursor"]
            assert len(added) < 20
        assert len(seen) == len(set(seen))
        assert set(made) <= set(seen)
        assert set(seen) == set(made) | set(added)  # the added ones come at the end
        assert seen[:7] == made

    def test_pages_are_cards_in_creation_order(self, sup):
        g = tag()
        made = [make(sup, g, phones=[random_mobile()]) for _ in range(3)]
        page = sup.segment({"tags_all": [g], "limit": 2})
        assert [c["id"] for c in page["customers"]] == made[:2]
        assert page["customers"][0]["archive"] is None
        assert "****" in page["customers"][0]["phones"][0]["masked"]
        assert page["total"] is None and page["cursor"]
        rest = sup.segment({"tags_all": [g], "limit": 2, "cursor": page["cursor"]})
        assert [c["id"] for c in rest["customers"]] == made[2:] and rest["cursor"] is None


class TestC9Refusals:
    def test_agents_may_not_list_segments(self, start, rpc):
        start("customer")
        with pytest.raises(Forbidden):
            staff(rpc, "agent").segment({})

    @pytest.mark.parametrize("query, field", [
        ({"limit": 1001}, "limit"), ({"lifecycle": "gone"}, "lifecycle"),
        ({"cursor": "abc"}, "cursor"), ({"level": "5"}, "level"),
        ({"created_after": "2026-13-01"}, "created_after"), ({"nonsense": 1}, "nonsense"),
    ])
    def test_bad_queries_name_the_field(self, sup, query, field):
        with pytest.raises(Invalid) as caught:
            sup.segment(query)
        assert {k.split(".")[0] for k in caught.value.fields} == {field}  # level.0: the item
