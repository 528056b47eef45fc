"""Issue 12, items 6 and 7 (C7) without I/O: a dealer's customer workbook (title row,
blank rows, Chinese headers, no product column, one customer on two lines, an
impossible date) and a DMS visit export, read by the one import machine
(domain/tabular.py) with the customer and the visit mapping specs."""
import datetime
from decimal import Decimal

import pytest

from services.common.errors import Invalid
from services.customer.domain import imports as customers
from services.customer.domain import tabular, visits
from services.customer.domain.records import pinyin_of
from services.customer.store import imports as customer_store
from services.customer.store import visits as visit_store
from tests.integration.customer import dealer_files

TAG = "unit12"


def read_customers(data: bytes, mapping=None):
    table = customers.read_table("客户档案.xlsx", data, mapping)
    plan = customers.build_plan(table.headers, mapping)
    records, errors, total = customers.parse_rows(table, plan)
    return table, plan, records, customers.sort_errors(errors, plan), total


def read_visits(data: bytes, mapping=None):
    table = visits.read_table("进厂明细.xlsx", data, mapping)
    plan = visits.build_plan(table.headers, mapping)
    found, errors, total = visits.parse_rows(table, plan)
    return table, plan, found, visits.sort_errors(errors, plan), total


class TestC7DealerHeaders:
    @pytest.mark.parametrize("header, field", [
        ("性别", "gender"), ("出生日期", "birth_date"), ("生日", "birth_date"),
        ("地址", "address"), ("联系地址", "address"), ("家庭住址", "address"),
        ("单位地址", "work_address"), ("职业", "occupation"), ("学历", "education"),
        ("婚姻状况", "marital_status"), ("手机", "phones"), ("手机号", "phones"),
        ("电话", "phones"), ("姓名", "name"), ("客户名称", "name"), ("车主姓名", "name"),
        ("邮箱", "emails"), ("电子邮箱", "emails"), ("备注", "notes"), ("车型", "model"),
        ("车牌号", "plate"), ("VIN", "vin"), ("VIN码", "vin"), ("车架号", "vin"),
        ("购车日期", "purchased_on"), ("开票日期", "purchased_on"),
    ])
    def test_c7_every_common_chinese_header_maps_by_default(self, header, field):
        assert customers.recognise(header) == field

    @pytest.mark.parametrize("header, field", [
        ("车牌号", "plate"), ("车架号", "vin"), ("VIN", "vin"), ("进厂日期", "visited_on"),
        ("到店日期", "visited_on"), ("服务类型", "service_type"), ("里程", "mileage"),
        ("进厂里程", "mileage"), ("金额", "amount"), ("结算金额", "amount"),
    ])
    def test_c7_visit_headers(self, header, field):
        assert visits.SPEC.recognise(header) == field

    def test_c7_the_specs_share_the_machine_but_not_their_fields(self):
        assert visits.SPEC.recognise("姓名") is None
        assert customers.recognise("进厂日期") is None
        plan = tabular.build_plan(visits.SPEC, ["车牌号", "进厂日期", "金额"], None)
        assert plan.columns == [(0, "plate"), (1, "visited_on"), (2, "amount")]
        assert plan.column_of("amount") == "C 金额"


class TestC7DealerWorkbook:
    def test_c7_title_rows_blank_rows_and_a_totals_line_are_passed_over(self):
        table, _, records, errors, total = read_customers(dealer_files.customers(TAG)[0])
        assert table.header_row == 4 and table.headers == dealer_files.CUSTOMER_HEADERS
        assert total == 6  # lines 5, 6, 8, 9, 11, 12
        assert [r.name for r in records] == ["王建国", "李秀英", "刘洋"]
        assert "共 6 位客户" not in [r.name for r in records]

    def test_c7_dry_run_lists_every_bad_value_with_row_and_column(self):
        _, _, _, errors, _ = read_customers(dealer_files.customers(TAG)[0])
        assert [(e["row"], e["field"], e["column"]) for e in errors] == [
            (9, "birth_date", "D 出生日期"), (11, "phones", "E 手机号码"),
            (11, "gender", "C 性别")]
        assert "'1990-02-30'" in errors[0]["reason"] and "no such day" in errors[0]["reason"]

    def test_c7_a_plate_or_vin_without_a_product_column_makes_a_vehicle(self):
        _, _, records, _, _ = read_customers(dealer_files.customers(TAG)[0])
        by_name = {r.name: r for r in records}
        li = by_name["李秀英"].assets[0]
        assert (li["kind"], li["product"], li["model"]) == ("vehicle", "凯美瑞", "凯美瑞")
        assert li["serial"] == dealer_files.vin(TAG, 2)
        assert li["purchased_on"] == datetime.date(2022, 1, 9)
        liu = by_name["刘洋"].assets[0]
        assert (liu["kind"], liu["product"], liu["serial"]) == ("vehicle", "车辆", None)

    def test_c7_the_same_customer_on_two_lines_is_one_customer_with_two_vehicles(self):
        _, _, records, _, _ = read_customers(dealer_files.customers(TAG)[0])
        wang = next(r for r in records if r.name == "王建国")
        assert wang.rows == [5, 8]
        assert [a["serial"] for a in wang.assets] == [dealer_files.vin(TAG, 1),
                                                      dealer_files.vin(TAG, 3)]
        assert [a["row"] for a in wang.assets] == [5, 8]
        assert wang.phones == [("+86" + dealer_files.mobile(TAG, 1), "")]
        assert wang.emails == [f"wjg{TAG}@example.cn"]  # from the second line
        assert wang.profile == {"gender": "male", "birth_date": "1978-03-15"}
        assert wang.addresses == [{"kind": "home", "region": "", "postcode": "",
                                   "text": "广东省深圳市南山区科技园1号"}]

    def test_c7_profile_fields_are_checked(self):
        plan = customers.build_plan(["姓名", "性别", "出生日期", "婚姻状况", "类型"], None)
        record, errors = customers.parse_row(3, ["张三", "女士", "1980年1月2日", "已婚", ""], plan)
        assert errors == [] and record.profile == {
            "gender": "female", "birth_date": "1980-01-02", "marital_status": "married"}
        future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        _, errors = customers.parse_row(4, ["张三", "?", future, "也许", ""], plan)
        assert [e["field"] for e in errors] == ["gender", "birth_date", "marital_status"]
        _, errors = customers.parse_row(5, ["某公司", "男", "", "", "企业"], plan)
        assert errors[0]["field"] == "gender" and "organization" in errors[0]["reason"]


class TestC7SameCustomerLines:
    HEADERS = ["客户编号", "姓名", "手机", "车牌号", "备注"]

    def parse(self, lines):
        table = customers.Table("csv", self.HEADERS, 1, list(enumerate(lines, start=2)))
        plan = customers.build_plan(self.HEADERS, None)
        return customers.parse_rows(table, plan)

    def test_c7_same_number_or_same_phone_merges(self):
        records, errors, total = self.parse([
            ["KH20000001", "甲", "13800138000", "粤A11111", "一"],
            ["kh20000001", "", "", "粤A22222", "二"],       # same number
            ["", "甲", "+86 138 0013 8000", "粤A33333", "一"],  # same phone
        ])
        assert errors == [] and total == 3 and len(records) == 1
        assert [a["plate"] for a in records[0].assets] == ["粤A11111", "粤A22222", "粤A33333"]
        assert records[0].notes == "一；二"

    def test_c7_a_repeated_vehicle_is_kept_once_and_a_contradicting_one_is_bad(self):
        records, errors, _ = self.parse([
            ["", "甲", "13800138000", "粤A11111", ""],
            ["", "甲", "13800138000", "粤A11111", ""],
        ])
        assert errors == [] and len(records[0].assets) == 1

    def test_c7_a_line_joining_two_customers_is_bad(self):
        records, errors, _ = self.parse([
            ["KH20000001", "甲", "13800138000", "", ""],
            ["KH20000002", "乙", "13900139000", "", ""],
            ["KH20000002", "乙", "13800138000", "", ""],
        ])
        assert len(records) == 2
        assert [(e["row"], e["field"]) for e in errors] == [(4, "phones")]
        assert "rows 2 and 3" in errors[0]["reason"]

    def test_c7_staging_gives_each_vehicle_its_line(self):
        records, _, _ = self.parse([["", "甲", "13800138000", "粤A11111", ""],
                                    ["", "甲", "13800138000", "粤A22222", ""]])
        texts = customer_store.staging_text(records, pinyin_of)
        assert texts["import_asset"] == ["2,2,vehicle,车辆,,,粤A11111,,\n"
                                         "3,2,vehicle,车辆,,,粤A22222,,\n"]
        assert len(texts["import_row"][0].splitlines()) == 1


class TestC7Visits:
    def test_c7_visit_export_with_every_bad_line(self):
        table, _, found, errors, total = read_visits(dealer_files.visits(TAG)[0])
        assert table.header_row == 4
        assert [v.row for v in found] == [5, 6, 9, 12]  # row 9: unknown to the archive
        assert total == 7
        assert [(e["row"], e["field"], e["column"]) for e in errors] == [
            (8, "visited_on", "D 进厂日期"), (10, "visited_on", "D 进厂日期"),
            (11, "mileage", "F 进厂里程")]
        assert "row 5" in errors[0]["reason"]

    def test_c7_visit_values_are_converted(self):
        _, _, found, _, _ = read_visits(dealer_files.visits(TAG)[0])
        first, second, _, third = found
        assert (first.vin, first.plate, first.visited_on) == (
            dealer_files.vin(TAG, 1), None, datetime.date(2025, 3, 1))
        assert (first.service_type, first.mileage, first.amount) == ("首保", 5012, Decimal("0.00"))
        assert (second.plate, second.amount) == (dealer_files.plate(TAG, 2), Decimal("680.50"))
        assert (third.plate, third.amount) == (dealer_files.plate(TAG, 3), Decimal("3450.00"))

    @pytest.mark.parametrize("value, parsed", [
        ("12,345 km", 12345), ("12345.0", 12345), ("８０００", 8000), ("0", 0)])
    def test_c7_mileage(self, value, parsed):
        assert visits.parse_mileage(value) == parsed

    @pytest.mark.parametrize("value", ["-1", "abc", "9999999999", "NaN", "1e400"])
    def test_c7_bad_mileage(self, value):
        with pytest.raises(tabular.BadValue):
            visits.parse_mileage(value)

    @pytest.mark.parametrize("value, parsed", [
        ("¥1,234.50", "1234.50"), ("1234.5元", "1234.50"), ("０", "0.00"), ("RMB 88", "88.00")])
    def test_c7_amount(self, value, parsed):
        assert visits.parse_amount(value) == Decimal(parsed)

    @pytest.mark.parametrize("value", ["1.234", "-5", "免费", "Infinity"])
    def test_c7_bad_amount(self, value):
        with pytest.raises(tabular.BadValue):
            visits.parse_amount(value)

    def test_c7_a_line_needs_a_vehicle_and_a_date(self):
        plan = visits.build_plan(["车牌号", "车架号", "进厂日期", "金额"], None)
        _, errors = visits.parse_row(2, ["", "", "", "100"], plan)
        assert {e["field"] for e in errors} == {"vehicle", "visited_on"}
        assert visits.sort_errors(errors, plan)[0]["column"] == "A 车牌号, B 车架号"

    def test_c7_a_visit_file_needs_a_vehicle_and_a_date_column(self):
        with pytest.raises(Invalid) as caught:
            visits.build_plan(["进厂日期", "金额"], None)
        assert "车牌号" in caught.value.fields["mapping"][0]
        with pytest.raises(Invalid) as caught:
            visits.build_plan(["车牌号", "金额"], None)
        assert "进厂日期" in caught.value.fields["mapping"][0]

    def test_c7_the_same_visit_twice_in_a_file_is_reported_once(self):
        plan = visits.build_plan(["车牌号", "进厂日期", "服务类型", "金额"], None)
        table = tabular.Table("csv", ["车牌号", "进厂日期", "服务类型", "金额"], 1, [
            (2, ["粤B12345", "2025-01-01", "保养", "100"]),
            (3, ["粤B 12345", "2025/1/1", "保养", "100.00"]),   # the same visit
            (4, ["粤B12345", "2025-01-01", "维修", "100"]),     # another service
        ])
        found, errors, _ = visits.parse_rows(table, plan)
        assert [v.row for v in found] == [2, 4]
        assert [(e["row"], e["field"]) for e in errors] == [(3, "visited_on")]

    def test_c7_visit_staging_text(self):
        plan = visits.build_plan(["车牌号", "进厂日期"], None)
        table = tabular.Table("csv", ["车牌号", "进厂日期"], 1, [(2, ["粤B12345", "2025-01-01"])])
        found, _, _ = visits.parse_rows(table, plan)
        assert visit_store.staging_text(found) == ["2,粤B12345,,2025-01-01,,,\n"]


class TestC7ReviewFindings:
    def test_c7_a_date_with_a_long_tail_is_refused_at_once(self):
        # Was quadratic: "\s*日?(?:[ T].*)?$" backtracked for ~13 s on this cell.
        import time
        started = time.monotonic()
        with pytest.raises(tabular.BadValue, match="longer than 40"):
            tabular.parse_date("2024-05-01" + " " * 32000 + "\nx")
        for tail in (" " * 25 + "\nx", " x", "T10:00 garbage", "\n"):
            if tail == "\n":
                assert tabular.parse_date("2024-05-01" + tail) == datetime.date(2024, 5, 1)
                continue
            with pytest.raises(tabular.BadValue):
                tabular.parse_date("2024-05-01" + tail)
        assert tabular.parse_date("2024-05-01T10:00:00+08:00") == datetime.date(2024, 5, 1)
        assert tabular.parse_date("2024年5月1日 10:00") == datetime.date(2024, 5, 1)
        assert time.monotonic() - started < 1

    def test_c7_a_long_date_cell_is_a_row_error_naming_the_cell(self):
        plan = customers.build_plan(["姓名", "车牌号", "购车日期"], None)
        _, errors = customers.parse_row(7, ["张三", "粤B12345", "2024-05-01" + " " * 500 + "x"],
                                        plan)
        errors = customers.sort_errors(errors, plan)
        assert [(e["row"], e["field"], e["column"]) for e in errors] == [
            (7, "purchased_on", "C 购车日期")]

    @pytest.mark.parametrize("lines, field", [
        ([["某公司", "13800138000", "企业", ""], ["", "13800138000", "", "男"]], "gender"),
        ([["张三", "13800138000", "", "男"], ["", "13800138000", "企业", ""]], "kind"),
    ])
    def test_c7_merged_lines_make_no_organization_with_a_person_profile(self, lines, field):
        headers = ["姓名", "手机", "类型", "性别"]
        table = customers.Table("csv", headers, 1, list(enumerate(lines, start=2)))
        records, errors, _ = customers.parse_rows(table, customers.build_plan(headers, None))
        assert [(e["row"], e["field"]) for e in errors] == [(3, field)]
        assert len(records) == 1 and not (records[0].kind == "organization"
                                          and records[0].profile)

    def test_c7_a_vehicle_or_owner_error_names_the_vehicle_columns(self):
        plan = visits.build_plan(["车牌号", "进厂日期"], None)
        errors = visits.sort_errors([{"row": 2, "field": "customer", "reason": "scope"},
                                     {"row": 3, "field": "vin", "reason": "unknown"}], plan)
        assert [e["column"] for e in errors] == ["A 车牌号", "A 车牌号"]
