"""C7 import and export: reading CSV/XLSX, headers, the column mapping, row validation,
the COPY layout and export files — free of I/O."""
import base64
import csv
import datetime
import io
import random

import pytest
from marshmallow import ValidationError
from openpyxl import Workbook, load_workbook

from services.common import phones
from services.common.errors import Invalid
from services.customer.contract import imports as schemas
from services.customer.domain import imports as domain
from services.customer.domain.records import pinyin_of
from services.customer.store import imports as store

CHINESE_HEADERS = ["客户编号", "姓名", "类型", "手机", "邮箱", "地区", "标签", "信用等级",
                   "客户分类", "客户级别", "备注", "产品", "型号", "序列号", "车牌", "购买日期",
                   "保修截止"]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def written(fmt: str, lines: list[list[str]]) -> bytes:
    """An export file of these lines (written as an export writes its chunks)."""
    writer = domain.ExportWriter(fmt)
    writer.add(lines)
    return writer.finish()


def plan_for(headers, mapping=None) -> domain.Plan:
    return domain.build_plan(headers, mapping)


class TestHeaderRecognition:
    @pytest.mark.parametrize("header, field", [
        ("客户编号", "number"), ("number", "number"), ("Customer No", "number"),
        ("姓名", "name"), ("客户名称", "name"), ("Name", "name"),
        ("类型", "kind"), ("kind", "kind"),
        ("手机", "phones"), ("电话", "phones"), ("联系电话", "phones"), ("Phone", "phones"),
        ("邮箱", "emails"), ("E-mail", "emails"), ("地区", "region"), ("标签", "tags"),
        ("信用等级", "credit_class"), ("credit_class", "credit_class"),
        ("客户分类", "lifecycle"), ("生命周期", "lifecycle"), ("客户级别", "grade"),
        ("备注", "notes"), ("产品", "product"), ("型号", "model"), ("序列号", "serial"),
        ("VIN", "vin"), ("车架号", "vin"), ("车牌", "plate"), ("购买日期", "purchased_on"),
        ("purchased_on", "purchased_on"), ("保修截止", "warranty_end"),
        ("warranty_end", "warranty_end"),
        ("手机（必填）", "phones"), ("  姓 名 ", "name"), ("*客户名称", "name"),
        ("ＰＨＯＮＥ", "phones"),  # full-width letters
        ("密级", "level"), ("负责人", "owner_id"),
    ])
    def test_known_headers(self, header, field):
        assert domain.recognise(header) == field

    @pytest.mark.parametrize("header", ["", "随便", "colour", "金额"])
    def test_unknown_headers(self, header):
        assert domain.recognise(header) is None


class TestMapping:
    def test_headers_are_recognised_without_a_mapping(self):
        plan = plan_for(["姓名", "手机", "电话", "备注", "不知道"])
        assert plan.columns == [(0, "name"), (1, "phones"), (2, "phones"), (3, "notes")]
        assert plan.report[4] == {"header": "不知道", "field": None,
                                  "note": "not recognised; not imported"}

    def test_mapping_overrides_and_excludes(self):
        plan = plan_for(["姓名", "手机", "Col X"], {"手机": None, "Col X": "phones"})
        assert plan.columns == [(0, "name"), (2, "phones")]
        assert plan.report[1]["note"] == "excluded by the mapping"

    def test_mapping_targets_may_be_aliases_and_exclusion_words(self):
        plan = plan_for(["a", "b", "c"], {"a": "姓名", "b": "手机号码", "c": "忽略"})
        assert plan.columns == [(0, "name"), (1, "phones")]

    def test_mapping_to_a_forbidden_field_is_a_mapping_error(self):
        with pytest.raises(Invalid) as caught:
            plan_for(["姓名", "密级", "归属"], {"密级": "level", "归属": "owner_group"})
        assert set(caught.value.fields) == {"mapping.密级", "mapping.归属"}
        assert "classification" in caught.value.fields["mapping.密级"][0]

    def test_forbidden_header_is_left_out_when_recognised_automatically(self):
        plan = plan_for(["姓名", "密级", "负责人"])
        assert plan.columns == [(0, "name")]
        assert plan.report[1]["field"] is None and "classification" in plan.report[1]["note"]

    def test_unknown_column_and_unknown_field(self):
        with pytest.raises(Invalid) as caught:
            plan_for(["姓名"], {"手机": "phones", "姓名": "shoe_size"})
        assert caught.value.fields["mapping.手机"] == ["no such column in the file"]
        assert caught.value.fields["mapping.姓名"][0].startswith("unknown field")

    def test_one_field_from_two_columns_is_an_error_when_mapped(self):
        with pytest.raises(Invalid) as caught:
            plan_for(["a", "b"], {"a": "name", "b": "name"})
        assert "mapping.b" in caught.value.fields

    def test_second_recognised_column_for_one_field_is_left_out(self):
        plan = plan_for(["姓名", "客户名称"])
        assert plan.columns == [(0, "name")]
        assert "already comes from column" in plan.report[1]["note"]

    def test_a_file_must_identify_its_customers(self):
        with pytest.raises(Invalid) as caught:
            plan_for(["备注", "地区"])
        assert "mapping" in caught.value.fields


def parse(headers, row, mapping=None):
    return domain.parse_row(2, row, plan_for(headers, mapping))


class TestRowValidation:
    def test_a_full_row_with_chinese_values(self):
        record, errors = parse(CHINESE_HEADERS, [
            "kh00000001", "张三", "个人", "+86 138 0013 8000；010-12345678 转 8", "ZS@Example.com",
            "广东深圳", "老客户，VIP ; 车主", "b级", "流失", "贵宾", "爱喝茶", "轿车", "A4L",
            "lfv-123 456", "粤b·12345", "2023/5/1", "2026年5月1日"])
        assert errors == []
        assert record.number == "KH00000001" and record.name == "张三"
        assert record.kind == "person" and record.lifecycle == "lost"
        assert record.phones == [("+8613800138000", ""), ("+861012345678", "8")]
        assert record.emails == ["zs@example.com"]
        assert record.tags == ["老客户", "VIP", "车主"]
        assert record.credit_class == "B" and record.grade == "VIP"
        assert record.asset == {"kind": "vehicle", "product": "轿车", "model": "A4L",
                                "serial": "LFV123456", "plate": "粤B12345",
                                "purchased_on": datetime.date(2023, 5, 1),
                                "warranty_end": datetime.date(2026, 5, 1)}

    def test_english_values(self):
        record, errors = parse(["name", "kind", "lifecycle", "grade", "phone"],
                               ["ACME", "organization", "potential", "normal", "13800138000"])
        assert errors == []
        assert (record.kind, record.lifecycle, record.grade) == (
            "organization", "potential", "normal")

    def test_every_bad_field_of_a_row_is_reported(self):
        record, errors = parse(
            ["姓名", "手机", "类型", "信用等级", "客户分类", "邮箱", "购买日期", "产品"],
            ["李四", "12345", "外星人", "E", "活跃吗", "not-an-email", "2023-02-30", "空调"])
        assert record is None
        assert {(e["row"], e["field"]) for e in errors} == {
            (2, "phones"), (2, "kind"), (2, "credit_class"), (2, "lifecycle"), (2, "emails"),
            (2, "purchased_on")}
        assert any("'12345'" in e["reason"] for e in errors)

    def test_asset_needs_a_product_and_a_sane_warranty(self):
        _, errors = parse(["姓名", "序列号"], ["王五", "SN1"])
        assert errors == [{"row": 2, "field": "product",
                           "reason": "required when model, serial or dates are given"
                                     " (a plate or VIN makes a vehicle)"}]
        _, errors = parse(["姓名", "产品", "购买日期", "保修截止"],
                          ["王五", "冰箱", "2024-01-02", "2023-01-01"])
        assert errors[0]["field"] == "warranty_end"

    def test_blank_row_is_skipped(self):
        assert parse(["姓名", "手机"], ["", "  "]) == (None, [])

    def test_row_without_key_is_bad(self):
        _, errors = parse(["姓名", "地区"], ["", "北京"])
        assert errors[0]["field"] == "name"

    def test_too_long_and_control_characters(self):
        _, errors = parse(["姓名", "备注"], ["x" * 201, "a\x00b"])
        assert {e["field"] for e in errors} == {"name", "notes"}

    def test_workbook_cell_types(self):
        record, errors = parse(["姓名", "手机", "购买日期", "产品"],
                               ["赵六", 13800138000.0, datetime.datetime(2024, 3, 1), "电视"])
        assert errors == []
        assert record.phones == [("+8613800138000", "")]
        assert record.asset["purchased_on"] == datetime.date(2024, 3, 1)

    def test_formula_guard_of_our_export_is_removed(self):
        record, _ = parse(["姓名", "备注"], ["'=钱七", "'-2"])
        assert (record.name, record.notes) == ("=钱七", "-2")


class TestDuplicatesInOneFile:
    def test_a_later_line_contradicting_its_customer_is_bad(self):
        """Issue 12, item 7: the same number or phone is the same customer; a line that
        gives that customer another name is bad (two people sharing a phone)."""
        table = domain.Table("csv", ["客户编号", "姓名", "手机"], 1, [
            (2, ["KH00000001", "甲", "13800138000"]),
            (3, ["KH00000001", "乙", "13900139000"]),
            (4, ["", "丙", "+86 138-0013-8000"]),
            (5, ["", "", ""]),
            (6, ["", "丁", "13700137000"]),
        ])
        records, errors, total = domain.parse_rows(table, plan_for(table.headers))
        assert [r.row for r in records] == [2, 6]
        assert total == 4
        assert [(e["row"], e["field"]) for e in errors] == [(3, "name"), (4, "name")]
        assert "row 2" in errors[1]["reason"] and "'甲'" in errors[1]["reason"]


class TestReadingFiles:
    def test_csv_with_chinese_headers_utf8_bom(self):
        data = b"\xef\xbb\xbf" + csv_bytes([["姓名", "手机"], ["张三", "13800138000"]])
        table = domain.read_table("客户.csv", data)
        assert (table.format, table.headers, table.rows) == (
            "csv", ["姓名", "手机"], [(2, ["张三", "13800138000"])])

    def test_csv_in_gb18030_as_excel_writes_it(self):
        data = csv_bytes([["客户名称", "电话"], ["李四", "13900139000"]], "gb18030")
        table = domain.read_table("list.csv", data)
        assert table.headers == ["客户名称", "电话"] and table.rows[0][1][0] == "李四"

    def test_title_rows_above_the_header_are_skipped(self):
        data = csv_bytes([["客户导入模板"], [], ["姓名", "手机"], ["王五", "13700137000"]])
        table = domain.read_table("t.csv", data)
        assert table.header_row == 3 and table.rows == [(4, ["王五", "13700137000"])]

    def test_tab_separated(self):
        table = domain.read_table("a.txt", "姓名\t手机\n张三\t13800138000\n".encode())
        assert table.headers == ["姓名", "手机"]

    def test_xlsx_with_chinese_headers_and_typed_cells(self):
        data = xlsx([CHINESE_HEADERS[:4] + ["购买日期", "产品"],
                     ["", "张三", "个人", 13800138000, datetime.date(2024, 1, 2), "空调"],
                     [],
                     ["KH00000009", "李四", "企业", "13900139000", None, None]])
        table = domain.read_table("客户.xlsx", data)
        assert table.format == "xlsx"
        assert table.headers == CHINESE_HEADERS[:4] + ["购买日期", "产品"]
        records, errors, total = domain.parse_rows(table, plan_for(table.headers))
        assert errors == [] and total == 2
        assert [r.row for r in records] == [2, 4]
        assert records[0].phones == [("+8613800138000", "")]
        assert records[0].asset["purchased_on"] == datetime.date(2024, 1, 2)
        assert records[1].kind == "organization"

    def test_unreadable_workbook_is_invalid(self):
        with pytest.raises(Invalid) as caught:
            domain.read_table("x.xlsx", b"PK\x03\x04 not really a zip")
        assert "file" in caught.value.fields

    def test_binary_garbage_is_invalid(self):
        rng = random.Random(7)
        data = bytes(rng.getrandbits(8) for _ in range(4000))
        with pytest.raises(Invalid):
            table = domain.read_table("photo.csv", data)
            domain.build_plan(table.headers, None)

    def test_nul_in_a_cell_is_a_row_error(self):
        table = domain.read_table("x.csv", "姓名,手机\n张\x00三,13800138000\n".encode())
        records, errors, _ = domain.parse_rows(table, plan_for(table.headers))
        assert records == [] and errors[0]["field"] == "name"

    def test_format_by_name_or_content(self):
        assert domain.file_format("a.XLSX", b"") == "xlsx"
        assert domain.file_format("upload", b"PK\x03\x04...") == "xlsx"
        assert domain.file_format("upload", b"a,b\n") == "csv"


class TestPhoneFastPath:
    """The mobile fast path must give exactly what services.common.phones gives."""

    def test_same_as_the_slow_path(self):
        rng = random.Random(20260501)
        forms = ["{n}", "+86{n}", "+86 {a} {b} {c}", "0086-{n}", "86{n}", "{a}-{b}-{c}",
                 "{a} {b} {c}"]
        for _ in range(5000):
            n = "1" + "".join(rng.choices("0123456789", k=10))
            typed = rng.choice(forms).format(n=n, a=n[:3], b=n[3:7], c=n[7:])
            try:
                e164, ext = phones.normalize(typed)
                slow = (e164, ext or "")
            except phones.BadPhone:
                slow = None
            try:
                fast = domain.normalize_phone(typed)
            except phones.BadPhone:
                fast = None
            assert fast == slow, typed


class TestContract:
    def test_content_is_base64_and_bounded(self):
        ok = schemas.ImportRequest().load({"filename": "a.csv",
                                           "content": base64.b64encode(b"x,y").decode()})
        assert ok["content"] == b"x,y" and ok["dry_run"] is False and ok["mapping"] == {}
        with pytest.raises(ValidationError) as caught:
            schemas.ImportRequest().load({"filename": "a.csv", "content": "%%%"})
        assert "content" in caught.value.messages
        big = base64.b64encode(b"x" * (schemas.MAX_FILE_BYTES + 1)).decode()
        with pytest.raises(ValidationError):
            schemas.ImportRequest().load({"filename": "a.csv", "content": big})

    def test_export_query(self):
        q = schemas.ExportQuery().load({"tags": "老客户，车主", "region": "广东", "level": "1"})
        assert q["tags"] == ["老客户", "车主"] and q["level"] == 1 and q["format"] == "csv"
        with pytest.raises(ValidationError):
            schemas.ExportQuery().load({"format": "pdf"})


class TestStagingLayout:
    def test_copy_csv_writes_null_unquoted_and_quotes_what_needs_it(self):
        assert store.copy_chunks([(1, None, 'a"b,c\nd')]) == ['1,,"a""b,c\nd"\n']
        assert store._array(['x"y', "z,w", "\\"]) == '{"x\\"y","z,w","\\\\"}'

    def test_staging_text_of_records(self):
        table = domain.Table("csv", ["姓名", "手机", "产品", "标签"], 1,
                             [(2, ["张三", "13800138000;13900139000", "空调", "甲;乙"])])
        records, _, _ = domain.parse_rows(table, plan_for(table.headers))
        texts = store.staging_text(records, pinyin_of)
        assert texts["import_row"] == ['2,,张三,zhangsan,zs,,,"{""甲"",""乙""}",,,,,,\n']
        assert texts["import_phone"] == ["2,+8613800138000,,0\n2,+8613900139000,,1\n"]
        assert texts["import_asset"] == ["2,2,product,空调,,,,,\n"]
        assert texts["import_email"] == []

    def test_no_value_is_ever_an_empty_string(self):
        """COPY reads an unquoted empty field as NULL: "given" must never be ''."""
        table = domain.Table("csv", CHINESE_HEADERS, 1, [(2, [
            "kh1", "张三", "个人", "13800138000", "a@b.cn", "北京", "；；", "A", "正常", "普通",
            "' ", "空调", "' ", "--", "·", "2024-01-01", ""])])
        records, errors, _ = domain.parse_rows(table, plan_for(table.headers))
        values = [v for r in records for v in (r.number, r.name, r.kind, r.region,
                                                r.credit_class, r.lifecycle, r.grade, r.notes)]
        values += [v for r in records if r.asset for k, v in r.asset.items()]
        assert "" not in values, (values, errors)

    def test_chunks(self):
        rows = [(i,) for i in range(store.COPY_CHUNK_ROWS + 1)]
        chunks = store.copy_chunks(rows)
        assert len(chunks) == 2 and chunks[1] == f"{store.COPY_CHUNK_ROWS}\n"


class TestExportFiles:
    card = {"number": "KH00000001", "name": "=HYPERLINK()", "kind": "organization",
            "region": "广东深圳", "tags": ["老客户", "车主"], "credit_class": "A",
            "lifecycle": "declining", "grade": "normal", "effective_level": 2,
            "assets": [{"product": "轿车", "model": "A4L", "serial": None, "plate": "粤B12345",
                        "purchased_on": datetime.date(2023, 5, 1), "warranty_end": None}]}

    def test_row_layout_masks_and_withholds(self):
        row = domain.export_row(self.card, ["138****8000"], None)
        values = dict(zip(domain.export_header(), row, strict=True))
        assert values["客户名称"] == "'=HYPERLINK()"  # not a formula in a spreadsheet
        assert values["类型"] == "企业" and values["客户分类"] == "衰退"
        assert values["客户级别"] == "普通" and values["密级"] == "机密"
        assert values["手机"] == "138****8000" and values["标签"] == "老客户；车主"
        assert values["购买日期"] == "2023-05-01" and values["车牌"] == "粤B12345"
        assert values["备注"] == "" and values["邮箱"] == ""
        row = domain.export_row(self.card, [], {"emails": ["a@b.cn"], "notes": "重要"})
        values = dict(zip(domain.export_header(), row, strict=True))
        assert (values["邮箱"], values["备注"]) == ("a@b.cn", "重要")

    def test_export_phone(self):
        assert domain.export_phone("+8613800138000", "") == "13800138000"
        assert domain.export_phone("+861012345678", "8") == "01012345678 转8"

    def test_csv_has_bom_and_chinese_headers_and_reads_back(self):
        data = written("csv", [domain.export_row(self.card, ["138****8000"], None)])
        assert data.startswith(b"\xef\xbb\xbf")
        table = domain.read_table("export.csv", data)
        assert table.headers[:3] == ["客户编号", "客户名称", "类型"]
        plan = plan_for(table.headers)
        assert "level" not in plan.fields and "number" in plan.fields

    def test_xlsx_reads_back(self):
        data = written("xlsx", [domain.export_row(self.card, ["13800138000"], None)])
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "客户编号" and rows[1][0] == "KH00000001"
        assert rows[1][1] == "'=HYPERLINK()"
        table = domain.read_table("export.xlsx", data)
        records, errors, _ = domain.parse_rows(table, plan_for(table.headers))
        assert errors == [] and records[0].phones == [("+8613800138000", "")]
        assert records[0].name == "=HYPERLINK()"
