"""Issue 12, items 6 and 7 (C7) against real PostgreSQL and RabbitMQ: a dealer-style
customer workbook and a DMS visit export (tests/integration/customer/dealer_files.py)
through the one import machine — dry runs listing every bad line with row, column and
reason, imports, re-imports that change nothing, and segments by last visit (C9)."""
import base64
import datetime
import uuid

import pytest

from services.common.errors import Forbidden, Invalid
from tests.integration.customer import dealer_files
from tests.integration.customer.test_import_export import query, state, supervisor


def upload(proxy, operation: str, data: bytes, dry_run=False, filename="导出.xlsx") -> dict:
    return getattr(proxy, operation)({"filename": filename, "dry_run": dry_run,
                                      "content": base64.b64encode(data).decode()})


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def vehicles(tag: str) -> list[dict]:
    return query("SELECT c.name, a.kind, a.product, a.model, a.serial, a.plate, a.purchased_on"
                 " FROM customer_asset a JOIN customer c ON c.id = a.customer_id"
                 " WHERE %s = ANY(c.tags) ORDER BY c.name, a.purchased_on", tag)


def visits_of(tag: str) -> list[dict]:
    return query("SELECT v.id::text, c.name, a.plate, v.visited_on, v.service_type, v.mileage,"
                 " v.amount::text, v.created_at FROM customer_visit v"
                 " JOIN customer_asset a ON a.id = v.asset_id"
                 " JOIN customer c ON c.id = a.customer_id"
                 " WHERE %s = ANY(c.tags) ORDER BY v.visited_on", tag)


class TestC7DealerCustomerWorkbook:
    def test_c7_dealer_workbook_dry_run_import_and_reimport(self, customers):
        tag = f"c7dealer{uuid.uuid4().hex[:8]}"
        data, expect = dealer_files.customers(tag)
        proxy = supervisor(customers, groups=("south",))

        dry = upload(proxy, "import_customers", data, dry_run=True)
        assert (dry["subject"], dry["status"], dry["format"]) == ("customers", "dry_run", "xlsx")
        assert (dry["total_rows"], dry["created"], dry["updated"], dry["failed"]) == (
            expect["nonblank"], 3, 0, 2)
        reported = {(e["row"], e["field"]): e["column"] for e in dry["errors"]}
        assert reported == {(row, field): column for row, fields in expect["bad"].items()
                            for field, column in fields.items()}
        assert any("1990-02-30" in e["reason"] for e in dry["errors"])
        assert state(tag) == {k: [] for k in state(tag)}  # a dry run changes nothing

        done = upload(proxy, "import_customers", data)
        assert (done["created"], done["updated"], done["failed"]) == (3, 0, 2)
        assert done["errors"] == dry["errors"]
        after = state(tag)
        assert sorted(c["name"] for c in after["customers"]) == ["刘洋", "李秀英", "王建国"]
        cars = vehicles(tag)
        assert [(c["name"], c["kind"], c["product"], c["serial"]) for c in cars] == [
            ("刘洋", "vehicle", "车辆", None),
            ("李秀英", "vehicle", "凯美瑞", dealer_files.vin(tag, 2)),
            ("王建国", "vehicle", "卡罗拉 1.8L", dealer_files.vin(tag, 1)),
            ("王建国", "vehicle", "汉兰达", dealer_files.vin(tag, 3)),
        ]
        assert cars[3]["purchased_on"] == datetime.date(2023, 8, 1)
        # the archive holds the profile and the address of the person
        manager = customers("customer", roles=("manager",), clearance=0)
        wang = manager.lookup({"phone": dealer_files.mobile(tag, 1)}, True)
        assert len(wang["matches"]) == 1
        card = manager.get_customer(wang["matches"][0]["id"])
        assert card["archive"]["person"] == {"gender": "male", "birth_date": "1978-03-15"}
        assert [a["text"] for a in card["archive"]["addresses"]] == ["广东省深圳市南山区科技园1号"]
        assert card["archive"]["emails"] == [f"wjg{tag}@example.cn"]
        assert len(card["assets"]) == 2

        again = upload(proxy, "import_customers", data)
        assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (
            0, 0, 3, 2)
        assert state(tag) == after and vehicles(tag) == cars

    def test_c7_a_later_file_adds_a_vehicle_to_the_customer_of_two_lines(self, customers):
        tag = f"c7more{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        data, _ = dealer_files.customers(tag)
        upload(proxy, "import_customers", data)
        mobile = dealer_files.mobile(tag, 1)
        more = dealer_files.workbook("追加", dealer_files.CUSTOMER_HEADERS, [
            [1, "王建国", "男", None, mobile, None, "普拉多", "粤B·9" + tag[-4:], None, None,
             None, None, tag],
            [2, "王建国", "男", None, mobile, None, "卡罗拉 1.8L", dealer_files.plate(tag, 1),
             dealer_files.vin(tag, 1), "2021-06-18", None, None, tag]])
        result = upload(proxy, "import_customers", more)
        assert (result["created"], result["updated"], result["failed"]) == (0, 1, 0)
        assert sorted(c["model"] for c in vehicles(tag) if c["name"] == "王建国") == sorted(
            ["普拉多", "卡罗拉 1.8L", "汉兰达"])
        assert len([c for c in vehicles(tag) if c["name"] == "王建国"]) == 3

    def test_c7_lines_merged_into_a_refused_customer_are_each_reported(self, customers):
        """Review: the database refuses a customer by its first line (row 2, a number no
        one has); rows 5 and 9, merged into it, are reported and counted failed too."""
        tag = f"c7ref{uuid.uuid4().hex[:8]}"
        number = "KH9" + str(uuid.uuid4().int)[:9]
        lines = ["客户编号,客户姓名,手机号码,车牌号,客户标签",
                 f"{number},孙{tag},,{dealer_files.plate(tag, 2)},{tag}"]
        for row in range(3, 10):
            lines.append(f"{number},,,{dealer_files.plate(tag, row)},{tag}" if row in (5, 9)
                         else f",客户{row},{dealer_files.mobile(tag, row)},,{tag}")
        data = ("\n".join(lines) + "\n").encode()
        proxy = supervisor(customers)
        for dry_run in (True, False):
            result = upload(proxy, "import_customers", data, dry_run=dry_run, filename="c.csv")
            assert (result["total_rows"], result["created"], result["failed"]) == (8, 5, 3)
            assert [(e["row"], e["field"]) for e in result["errors"]] == [
                (2, "number"), (5, "number"), (9, "number")]
            assert all("row 2" in e["reason"] for e in result["errors"][1:])
        assert vehicles(tag) == []
        assert len(state(tag)["customers"]) == 5

    def test_c7_two_products_of_one_model_reimport_unchanged(self, customers):
        """Review: two 空调 KFR-35 bought on other days are two assets, and importing the
        same file again matches them one to one: nothing changes."""
        tag = f"c7two{uuid.uuid4().hex[:8]}"
        mobile = dealer_files.mobile(tag, 1)
        data = ("客户姓名,手机号码,产品,型号,购买日期,客户标签\n"
                f"张{tag},{mobile},空调,KFR-35,2023-01-01,{tag}\n"
                f"张{tag},{mobile},空调,KFR-35,2024-01-01,{tag}\n").encode()
        proxy = supervisor(customers)
        first = upload(proxy, "import_customers", data, filename="c.csv")
        assert (first["created"], first["failed"]) == (1, 0)
        owned = vehicles(tag)
        assert [(a["product"], a["model"], a["purchased_on"]) for a in owned] == [
            ("空调", "KFR-35", datetime.date(2023, 1, 1)),
            ("空调", "KFR-35", datetime.date(2024, 1, 1))]
        for _ in range(2):
            again = upload(proxy, "import_customers", data, filename="c.csv")
            assert (again["created"], again["updated"], again["unchanged"], again["failed"]) \
                == (0, 0, 1, 0)
            assert vehicles(tag) == owned
        # a third unit of the model is added, the two stay as they are
        more = data + f"张{tag},{mobile},空调,KFR-35,2025-01-01,{tag}\n".encode()
        assert upload(proxy, "import_customers", more, filename="c.csv")["updated"] == 1
        assert [a["purchased_on"].year for a in vehicles(tag)] == [2023, 2024, 2025]


class TestC7DmsVisits:
    def test_c7_visit_import_dry_run_import_reimport_and_segments(self, customers):
        tag = f"c7dms{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        upload(proxy, "import_customers", dealer_files.customers(tag)[0])
        data, expect = dealer_files.visits(tag)

        dry = upload(proxy, "import_visits", data, dry_run=True)
        assert (dry["subject"], dry["status"]) == ("visits", "dry_run")
        assert (dry["total_rows"], dry["created"], dry["unchanged"], dry["failed"]) == (
            7, 3, 0, 4)
        assert [(e["row"], e["field"]) for e in dry["errors"]] == sorted(expect["bad"].items())
        columns = {e["row"]: e["column"] for e in dry["errors"]}
        assert columns == {8: "D 进厂日期", 9: "B 车牌号", 10: "D 进厂日期", 11: "F 进厂里程"}
        unmatched = next(e for e in dry["errors"] if e["row"] == 9)
        assert "no vehicle in the archive" in unmatched["reason"]
        assert visits_of(tag) == []

        done = upload(proxy, "import_visits", data)
        assert (done["created"], done["unchanged"], done["failed"]) == (3, 0, 4)
        recorded = visits_of(tag)
        assert [(v["name"], v["visited_on"], v["service_type"], v["mileage"], v["amount"])
                for v in recorded] == [
            ("王建国", datetime.date(2024, 12, 20), "钣喷", 20000, "3450.00"),
            ("王建国", datetime.date(2025, 3, 1), "首保", 5012, "0.00"),
            ("李秀英", datetime.date(2025, 4, 2), "常规保养", 12000, "680.50")]

        # the card shows each vehicle's last visit
        card = proxy.lookup({"plate": dealer_files.plate(tag, 2)})["matches"][0]
        assert [a["last_visit_on"] for a in card["assets"]] == ["2025-04-02"]

        again = upload(proxy, "import_visits", data)
        assert (again["created"], again["unchanged"], again["failed"]) == (0, 3, 4)
        assert visits_of(tag) == recorded
        assert proxy.get_import(again["id"])["subject"] == "visits"

        def segment(**filters):
            page = proxy.segment({"tags_all": [tag], "limit": 50, **filters})
            return sorted(c["name"] for c in page["customers"])

        assert segment(no_visit_months=1) == ["刘洋", "李秀英", "王建国"]
        assert segment(no_visit_months=600) == ["刘洋"]  # never seen
        assert segment(last_visit_before="2025-04-01") == ["王建国"]
        assert segment(last_visit_before="2025-04-03") == ["李秀英", "王建国"]

    def test_c7_visit_import_is_for_importers_and_needs_a_vehicle_column(self, customers):
        data = base64.b64encode("车牌号,进厂日期\n粤B00001,2025-01-01\n".encode()).decode()
        with pytest.raises(Forbidden):
            customers("customer", roles=("agent",)).import_visits(
                {"filename": "v.csv", "content": data, "dry_run": True})
        with pytest.raises(Invalid) as caught:
            upload(supervisor(customers), "import_visits", "姓名,进厂日期\n张三,2025-01-01\n"
                   .encode(), dry_run=True, filename="v.csv")
        assert "mapping" in caught.value.fields

    def test_c7_a_visit_of_a_vehicle_out_of_scope_is_refused(self, customers):
        tag = f"c7vsc{uuid.uuid4().hex[:8]}"
        theirs = customers("customer", roles=("supervisor",), groups=("north",))
        plate = "粤B" + tag[-5:].upper()
        theirs.create_customer({"name": "别组车主", "tags": [tag],
                                "assets": [{"kind": "vehicle", "product": "车辆",
                                            "plate": plate}]})
        csv = f"车牌号,进厂日期,服务类型\n{plate},2025-01-01,保养\n".encode()
        result = upload(supervisor(customers, groups=("south",)), "import_visits", csv,
                        filename="v.csv")
        assert (result["created"], result["failed"]) == (0, 1)
        assert result["errors"][0]["field"] == "customer"
        assert result["errors"][0]["column"] == "A 车牌号"  # the cell naming the vehicle
        assert "scope" in result["errors"][0]["reason"]
        assert visits_of(tag) == []
        assert upload(theirs, "import_visits", csv, filename="v.csv")["created"] == 1

    def test_c7_a_merge_keeps_the_visits_of_a_vehicle_both_records_had(self, customers):
        """C8 with C7: the merged record's copy of a vehicle stays behind with it; its
        visits go to the survivor's copy, so "last visit" segments still see them."""
        tag = f"c7vmg{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        plate, vin = "粤B" + tag[-5:].upper(), "LVIN" + tag.upper()
        survivor = proxy.create_customer({"name": "留下", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "plate": plate}]})
        merged = proxy.create_customer({"name": "并入", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "plate": plate, "serial": vin}]})
        csv = f"车架号,车牌号,进厂日期,服务类型\n{vin},{plate},2025-01-01,保养\n".encode()
        assert upload(proxy, "import_visits", csv, filename="v.csv")["created"] == 1  # by VIN
        assert [v["name"] for v in visits_of(tag)] == ["并入"]
        proxy.merge_customers(survivor["id"], {"merge_id": merged["id"]})
        assert [(v["name"], v["visited_on"]) for v in visits_of(tag)] == [
            ("留下", datetime.date(2025, 1, 1))]
        page = proxy.segment({"tags_all": [tag], "last_visit_before": "2025-03-01"})
        assert [c["name"] for c in page["customers"]] == ["留下"]

    def test_c7_a_visit_with_a_vin_is_not_filed_on_another_car_with_its_plate(self, customers):
        """Review: a plate passes from car to car; a line whose VIN the archive does not
        know is not filed on the car that has the plate and another VIN."""
        tag = f"c7vpl{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        plate = "粤B" + tag[-5:].upper()
        proxy.create_customer({"name": "现车主", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "plate": plate,
             "serial": "LVINA" + tag.upper()}]})
        csv = (f"车架号,车牌号,进厂日期,服务类型\nLVINB{tag.upper()},{plate},2025-01-01,保养\n"
               f",{plate},2025-01-02,保养\n").encode()
        result = upload(proxy, "import_visits", csv, filename="v.csv")
        assert (result["created"], result["failed"]) == (1, 1)
        assert (result["errors"][0]["row"], result["errors"][0]["field"]) == (2, "vin")
        assert [v["visited_on"] for v in visits_of(tag)] == [datetime.date(2025, 1, 2)]

    def test_c7_a_merge_moving_two_assets_with_one_visit_onto_one(self, customers):
        """Review: the merged record's two cars are both the survivor's one car (one by
        VIN, one by plate) and each has the same visit: the merge keeps one on the
        survivor's car (customer_visit_once) instead of failing."""
        tag = f"c7vm2{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        plate, vin, other = "粤B" + tag[-5:].upper(), "LVINA" + tag.upper(), "LVINB" + tag.upper()
        merged = proxy.create_customer({"name": "并入", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "serial": vin},
            {"kind": "vehicle", "product": "车辆", "plate": plate, "serial": other}]})
        csv = (f"车架号,进厂日期,服务类型\n{vin},2025-01-01,保养\n"
               f"{other},2025-01-01,保养\n").encode()
        assert upload(proxy, "import_visits", csv, filename="v.csv")["created"] == 2
        survivor = proxy.create_customer({"name": "留下", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "plate": plate, "serial": vin}]})
        proxy.merge_customers(survivor["id"], {"merge_id": merged["id"]})
        assert sorted((v["name"], v["visited_on"]) for v in visits_of(tag)) == [
            ("并入", datetime.date(2025, 1, 1)),
            ("留下", datetime.date(2025, 1, 1))]
        page = proxy.segment({"tags_all": [tag], "last_visit_before": "2025-03-01"})
        assert "留下" in [c["name"] for c in page["customers"]]

    def test_c7_one_visit_by_vin_and_by_plate_is_reported_as_a_repeat(self, customers):
        """Review: two lines naming one car differently (VIN, plate) with the same day,
        service and amount are one visit: the second is reported, the counts agree."""
        tag = f"c7vdp{uuid.uuid4().hex[:8]}"
        proxy = supervisor(customers)
        plate, vin = "粤B" + tag[-5:].upper(), "LVIN" + tag.upper()
        proxy.create_customer({"name": "车主", "tags": [tag], "assets": [
            {"kind": "vehicle", "product": "车辆", "plate": plate, "serial": vin}]})
        csv = (f"车架号,车牌号,进厂日期,服务类型,金额\n{vin},,2025-01-01,保养,100\n"
               f",{plate},2025-01-01,保养,100.00\n,{plate},2025-01-01,维修,100\n").encode()
        for dry_run in (True, False):
            result = upload(proxy, "import_visits", csv, dry_run=dry_run, filename="v.csv")
            assert (result["created"], result["failed"]) == (2, 1)
            assert [(e["row"], e["field"]) for e in result["errors"]] == [(3, "visited_on")]
            assert "row 2" in result["errors"][0]["reason"]
        assert len(visits_of(tag)) == 2
