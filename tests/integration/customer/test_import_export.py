"""C7 import and export against real PostgreSQL and RabbitMQ: a dry run that reports every
bad row and changes nothing, a real import, a re-import that changes nothing, upserts by
customer number and by phone, the bulk (COPY) path, the import record, and an export that
masks phones, withholds archives the reader may not read and is logged."""
import base64
import csv
import io
import os
import random
import time
import uuid

import psycopg2
import psycopg2.extras
import pytest
from openpyxl import Workbook, load_workbook

from services.common.errors import Forbidden, Invalid
from tests.helpers import random_mobile

HEADERS = ["客户编号", "姓名", "类型", "手机", "邮箱", "地区", "标签", "客户分类", "备注", "产品",
           "序列号", "购买日期", "保修截止"]


def owner():
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    with conn.cursor() as cur:  # RLS is forced even for the owner: look as the system
        cur.execute("SELECT set_config('kefu.principal', 'c7-test', false),"
                    " set_config('kefu.system', 'on', false)")
    return conn


def query(sql: str, *args) -> list[dict]:
    with owner() as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def state(tag: str) -> dict:
    """What the database holds for the customers carrying this tag."""
    ids = [r["id"] for r in query("SELECT id::text FROM customer WHERE %s = ANY(tags)", tag)]
    return {
        "customers": query("SELECT id::text, number, name, kind, region, tags, lifecycle, version,"
                           " name_pinyin, updated_at FROM customer WHERE id = ANY(%s::uuid[])"
                           " ORDER BY number", ids),
        "history": query("SELECT customer_id::text, action, field, old, new FROM customer_history"
                         " WHERE customer_id = ANY(%s::uuid[]) ORDER BY id", ids),
        "events": query("SELECT event_type, envelope FROM outbox"
                        " WHERE envelope->'data'->>'customer_id' = ANY(%s) ORDER BY id", ids),
        "phones": query("SELECT customer_id::text, e164, position FROM customer_phone"
                        " WHERE customer_id = ANY(%s::uuid[]) ORDER BY customer_id, position",
                        ids),
        "assets": query("SELECT customer_id::text, product, serial, purchased_on, warranty_end"
                        " FROM customer_asset WHERE customer_id = ANY(%s::uuid[])"
                        " ORDER BY serial", ids),
        "archives": query("SELECT customer_id::text, notes FROM customer_archive"
                          " WHERE customer_id = ANY(%s::uuid[]) ORDER BY notes", ids),
    }


def sequence_value() -> int:
    return query("SELECT last_value FROM customer_number_seq")[0]["last_value"]


def csv_file(rows: list[list]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(proxy, data: bytes, filename="客户.csv", dry_run=False, mapping=None) -> dict:
    return proxy.import_customers({"filename": filename,
                                   "content": base64.b64encode(data).decode(),
                                   "dry_run": dry_run, "mapping": mapping or {}})


def supervisor(rpc, **kw):
    kw.setdefault("clearance", 0)
    return rpc("customer", roles=("supervisor",), **kw)


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def good_rows(tag: str, n: int) -> list[list]:
    return [["", f"导入客户{i}", "个人", random_mobile(), f"c7-{tag}-{i}@example.cn", "广东深圳",
             f"{tag};测试", "正常", f"备注{i}", "空调", f"SN-{tag}-{i}", "2024-01-0" + str(i + 1),
             "2027-01-01"] for i in range(n)]


class TestC7DryRun:
    def test_c7_dry_run_reports_every_bad_row_and_changes_nothing(self, customers):
        tag = f"c7dry{uuid.uuid4().hex[:8]}"
        good = good_rows(tag, 3)
        bad = [
            ["", "坏电话", "个人", "12345", "", "", tag, "", "", "", "", "", ""],
            ["", "", "", random_mobile(), "", "", tag, "", "", "", "", "", ""],
            ["", "坏日期", "个人", random_mobile(), "", "", tag, "活跃", "", "空调", "",
             "2024-02-30", ""],
            ["KH99999999", "编号不存在", "", random_mobile(), "", "", tag, "", "", "", "", "", ""],
            ["", "重复电话", "", good[0][3], "", "", tag, "", "", "", "", "", ""],
        ]
        data = csv_file([HEADERS] + good[:2] + bad + good[2:])
        before_seq = sequence_value()
        result = run(supervisor(customers), data, dry_run=True)
        assert (result["status"], result["dry_run"]) == ("dry_run", True)
        assert (result["total_rows"], result["created"], result["updated"], result["failed"]) == (
            8, 3, 0, 5)
        reported = [(e["row"], e["field"]) for e in result["errors"]]
        # row 8: the phone of row 2 is the same customer, whose name is another (issue 12)
        assert reported == [(4, "phones"), (5, "name"), (6, "lifecycle"), (6, "purchased_on"),
                            (7, "number"), (8, "name")]
        assert "'12345'" in result["errors"][0]["reason"]
        assert "row 2" in result["errors"][-1]["reason"]
        # Nothing changed: no customer, no history, no event, no number taken.
        assert state(tag) == {k: [] for k in state(tag)}
        assert customers("customer").lookup({"phone": good[0][3]})["matches"] == []
        assert sequence_value() == before_seq
        # The dry run itself is on record with its errors.
        again = supervisor(customers).get_import(result["id"])
        assert again["errors"] == result["errors"] and again["sha256"] == result["sha256"]

    def test_c7_unreadable_file_and_bad_mapping_are_invalid(self, customers):
        proxy = supervisor(customers)
        with pytest.raises(Invalid) as caught:
            run(proxy, b"PK\x03\x04broken", filename="x.xlsx")
        assert "file" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            run(proxy, csv_file([["姓名", "密级"], ["张三", "绝密"]]), mapping={"密级": "level"})
        assert "mapping.密级" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            proxy.import_customers({"filename": "a.csv", "content": "not base64!"})
        assert "content" in caught.value.fields

    def test_c7_only_supervisors_up_and_admins_import(self, customers):
        data = base64.b64encode(csv_file([["姓名"], ["张三"]])).decode()
        with pytest.raises(Forbidden):
            customers("customer", roles=("agent",)).import_customers(
                {"filename": "a.csv", "content": data, "dry_run": True})
        assert customers("customer", roles=("admin",)).import_customers(
            {"filename": "a.csv", "content": data, "dry_run": True})["created"] == 1
        with pytest.raises(Forbidden):
            customers("customer", roles=("admin",)).export_customers({})


class TestC7Import:
    def test_c7_real_import_then_reimport_changes_nothing(self, customers):
        tag = f"c7real{uuid.uuid4().hex[:8]}"
        rows = good_rows(tag, 4)
        data = xlsx_file([HEADERS] + rows + [["", "", "", "bad", "", "", "", "", "", "", "", "",
                                               ""]])
        proxy = supervisor(customers, groups=("south",))
        first = run(proxy, data, filename="客户.xlsx")
        assert (first["status"], first["format"]) == ("done", "xlsx")
        assert (first["created"], first["updated"], first["unchanged"], first["failed"]) == (
            4, 0, 0, 1)
        after = state(tag)
        assert [c["name"] for c in after["customers"]] == [f"导入客户{i}" for i in range(4)]
        assert all(c["number"].startswith("KH") and c["version"] == 1 for c in after["customers"])
        assert after["customers"][0]["name_pinyin"] == "daorukehu0"
        assert {a["notes"] for a in after["archives"]} == {f"备注{i}" for i in range(4)}
        assert [a["serial"] for a in after["assets"]] == [
            f"SN{tag}{i}".upper() for i in range(4)]
        assert [h["action"] for h in after["history"]] == ["import"] * 4
        assert [e["event_type"] for e in after["events"]] == ["customer_created"] * 4
        envelope = after["events"][0]["envelope"]
        assert set(envelope) == {"event_id", "type", "occurred_at", "schema_version", "actor",
                                 "data"}
        assert set(envelope["data"]) == {"customer_id", "number", "kind"}
        found = customers("customer").lookup({"phone": rows[2][3]})["matches"]
        assert [m["name"] for m in found] == ["导入客户2"]
        assert found[0]["owner_group"] == "south"
        assert found[0]["assets"][0]["in_warranty"] is True

        second = run(proxy, data, filename="客户.xlsx")
        assert (second["created"], second["updated"], second["unchanged"], second["failed"]) == (
            0, 0, 4, 1)
        assert state(tag) == after  # no history, no version bump, no event
        assert second["sha256"] == first["sha256"] and second["id"] != first["id"]

    def test_c7_upsert_by_number_records_history_and_one_event(self, customers):
        tag = f"c7num{uuid.uuid4().hex[:8]}"
        manager = customers("customer", roles=("manager",), clearance=1)
        made = manager.create_customer({"name": "钱七", "phones": [random_mobile()],
                                        "tags": [tag], "region": "北京", "notes": "旧备注"})
        data = csv_file([["客户编号", "客户名称", "地区", "备注", "标签"],
                         [made["number"].lower(), "钱七七", "北京海淀", "新备注",
                          f"{tag}；新标签"]])
        result = run(supervisor(customers), data)
        assert (result["created"], result["updated"]) == (0, 1)
        after = state(tag)
        card = after["customers"][0]
        assert (card["name"], card["region"], card["tags"], card["version"]) == (
            "钱七七", "北京海淀", [tag, "新标签"], made["version"] + 1)
        assert card["name_pinyin"] == "qianqiqi"
        changes = {(h["field"], str(h["old"]), str(h["new"])) for h in after["history"]
                   if h["action"] == "import"}
        assert changes == {("name", "钱七", "钱七七"), ("region", "北京", "北京海淀"),
                           ("notes", "旧备注", "新备注"),
                           ("tags", str([tag]), str([tag, "新标签"]))}
        updated = [e for e in after["events"] if e["event_type"] == "customer_updated"]
        assert len(updated) == 1
        assert sorted(updated[0]["envelope"]["data"]["fields"]) == [
            "name", "notes", "region", "tags"]
        assert run(supervisor(customers), data)["unchanged"] == 1

    def test_c7_upsert_by_phone_adds_phones_and_assets(self, customers):
        tag = f"c7tel{uuid.uuid4().hex[:8]}"
        mobile, extra = random_mobile(), random_mobile()
        made = customers("customer", roles=("supervisor",)).create_customer(
            {"name": "孙八", "phones": [mobile], "tags": [tag]})
        spaced = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
        data = csv_file([["姓名", "电话", "产品", "车牌", "购买日期"],
                         ["孙八", f"{spaced}；{extra}", "轿车", "粤B·C7001", "2024/3/1"]])
        result = run(supervisor(customers), data)
        assert (result["created"], result["updated"]) == (0, 1)
        after = state(tag)
        assert [c["id"] for c in after["customers"]] == [made["id"]]
        assert [p["e164"] for p in after["phones"]] == ["+86" + mobile, "+86" + extra]
        assert [a["product"] for a in after["assets"]] == ["轿车"]
        fields = {h["field"] for h in after["history"] if h["action"] == "import"}
        assert fields == {"phones", "assets"}
        assert run(supervisor(customers), data)["unchanged"] == 1
        assert len(state(tag)["history"]) == len(after["history"])

    def test_c7_a_phone_shared_by_two_customers_is_ambiguous(self, customers):
        mobile = random_mobile()
        agent = customers("customer", roles=("supervisor",))
        for name in ("周一", "周二"):
            agent.create_customer({"name": name, "phones": [mobile]})
        result = run(supervisor(customers),
                     csv_file([["姓名", "手机", "地区"], ["周三", mobile, "上海"]]))
        assert result["failed"] == 1 and result["errors"][0]["field"] == "phones"
        assert "2 customers" in result["errors"][0]["reason"]

    def test_c7_classified_and_out_of_scope_records_are_not_changed(self, customers):
        tag = f"c7sec{uuid.uuid4().hex[:8]}"
        manager = customers("customer", roles=("manager",), clearance=3)
        secret = manager.create_customer({"name": "机密客户", "phones": [random_mobile()],
                                          "tags": [tag]})
        manager.classify(secret["id"], {"level": 1, "reason": "重要客户"})
        theirs = customers("customer", roles=("supervisor",), groups=("north",)).create_customer(
            {"name": "别组客户", "phones": [random_mobile()], "tags": [tag]})
        data = csv_file([["客户编号", "地区"], [secret["number"], "改"], [theirs["number"], "改"]])
        before = state(tag)
        result = run(supervisor(customers, groups=("south",), clearance=1), data)
        assert [(e["row"], e["field"]) for e in result["errors"]] == [
            (2, "customer"), (3, "customer")]
        assert "classified" in result["errors"][0]["reason"]
        assert "scope" in result["errors"][1]["reason"]
        assert state(tag) == before
        # A manager may change the classified one (the RLS wall agrees).
        assert run(manager, csv_file([["客户编号", "地区"], [secret["number"], "改"]]))[
            "updated"] == 1

    def test_c7_bulk_path_loads_a_large_file_in_chunks(self, customers):
        tag = f"c7bulk{uuid.uuid4().hex[:8]}"
        rng = random.Random(tag)
        n = 25_000  # more than one COPY chunk
        mobiles = {"13" + "".join(rng.choices("0123456789", k=9)) for _ in range(n + 500)}
        # the shared test databases keep earlier runs' customers: leave out their numbers
        taken = query("SELECT e164 FROM customer_phone WHERE e164 = ANY(%s)",
                      ["+86" + m for m in mobiles])
        mobiles -= {row["e164"][3:] for row in taken}
        rows = [[f"批量{i}", m, tag] for i, m in zip(range(n), sorted(mobiles), strict=False)]
        data = csv_file([["姓名", "手机", "标签"]] + rows)
        started = time.monotonic()
        result = run(supervisor(customers), data)
        seconds = time.monotonic() - started
        assert (result["created"], result["failed"]) == (n, 0), result["errors"][:3]
        assert query("SELECT count(*) AS n FROM customer WHERE %s = ANY(tags)", tag)[0]["n"] == n
        assert query("SELECT count(*) AS n FROM outbox WHERE event_type = 'customer_created'"
                     " AND envelope->>'actor' = %s AND created_at > now() - interval '5 minutes'",
                     result["actor_id"])[0]["n"] == n
        print(f"\n{n} rows imported in {seconds:.1f} s")
        again = run(supervisor(customers), data)
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, n)


class TestC7Export:
    def test_c7_export_masks_phones_withholds_archives_and_is_logged(self, customers):
        tag = f"c7exp{uuid.uuid4().hex[:8]}"
        gm = customers("customer", roles=("general_manager",), clearance=3)
        mobiles = [random_mobile() for _ in range(3)]
        made = [gm.create_customer({"name": f"导出{i}", "phones": [mobiles[i]], "tags": [tag],
                                    "emails": [f"e{i}@example.cn"], "notes": f"秘密备注{i}",
                                    "region": "广东深圳"}) for i in range(3)]
        gm.classify(made[1]["id"], {"level": 1, "reason": "秘密"})
        gm.classify(made[2]["id"], {"level": 3, "reason": "绝密"})

        sup = supervisor(customers, clearance=3)
        got = sup.export_customers({"tags": [tag], "region": "广东", "format": "csv"})
        assert got["count"] == 3 and got["filename"].endswith(".csv")
        lines = list(csv.reader(io.StringIO(base64.b64decode(got["content"]).decode("utf-8-sig"))))
        header, body = lines[0], lines[1:]
        col = {h: i for i, h in enumerate(header)}
        assert [r[col["客户名称"]] for r in body] == ["导出0", "导出1", "导出2"]
        assert [r[col["手机"]] for r in body] == [m[:3] + "****" + m[7:] for m in mobiles]
        assert [r[col["备注"]] for r in body] == ["秘密备注0", "", ""]  # supervisors: ordinary only
        assert [r[col["密级"]] for r in body] == ["普通", "秘密", "绝密"]

        manager = customers("customer", roles=("manager",), clearance=2)
        got = manager.export_customers({"tags": tag, "format": "xlsx", "unmask": True})
        sheet = load_workbook(io.BytesIO(base64.b64decode(got["content"])), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        col = {h: i for i, h in enumerate(rows[0])}
        assert [r[col["备注"]] or "" for r in rows[1:]] == ["秘密备注0", "秘密备注1", ""]
        assert [r[col["邮箱"]] or "" for r in rows[1:]] == ["e0@example.cn", "e1@example.cn", ""]
        # unmasked up to the reader's clearance, masked above it
        assert [r[col["手机"]] for r in rows[1:]] == [
            mobiles[0], mobiles[1], mobiles[2][:3] + "****" + mobiles[2][7:]]

        log = query("SELECT actor_id, action, customer_id, detail FROM access_log"
                    " WHERE action = 'export' AND detail->'filter'->'tags' ? %s ORDER BY seq", tag)
        assert [row["action"] for row in log] == ["export", "export"]
        assert log[0]["customer_id"] is None
        assert log[0]["detail"]["count"] == 3 and log[0]["detail"]["archives"] == 1
        assert log[1]["detail"]["classified_archives"] == [made[1]["number"]]
        assert log[1]["detail"]["unmasked"] == 2

    def test_c7_export_of_an_empty_segment_is_an_empty_file(self, customers):
        got = supervisor(customers).export_customers({"tags": [f"none{uuid.uuid4().hex}"]})
        text = base64.b64decode(got["content"]).decode("utf-8-sig")
        assert got["count"] == 0 and text.startswith("客户编号,客户名称")


class TestFinding9bExportLog:
    """Issue 9, finding 9 (the customer service's part b): an export wrote one log row
    with no customer, and built the whole file from every row in memory.  Now each
    exported customer has its own borrowing-log row (tied to the export's summary row
    by `export_id`), written set-based in the reading transaction, and the rows are
    read a chunk at a time through a server-side cursor."""

    def test_finding9b_every_exported_customer_has_a_log_row(self, customers):
        tag = f"f9b{uuid.uuid4().hex[:8]}"
        gm = customers("customer", roles=("general_manager",), clearance=3)
        made = [gm.create_customer({"name": f"导出日志{i}", "phones": [random_mobile()],
                                    "tags": [tag], "notes": f"备注{i}"}) for i in range(3)]
        gm.classify(made[1]["id"], {"level": 1, "reason": "秘密"})
        exporter = f"exporter-{uuid.uuid4().hex[:6]}"
        manager = customers("customer", roles=("manager",), clearance=1, staff_id=exporter)
        got = manager.export_customers({"tags": [tag], "unmask": True})
        assert got["count"] == 3
        summary = query("SELECT detail FROM access_log WHERE action = 'export'"
                        " AND customer_id IS NULL AND detail->'filter'->'tags' ? %s", tag)
        assert len(summary) == 1
        export_id = summary[0]["detail"]["export_id"]
        rows = query("SELECT customer_id::text, actor_id, level, fields, detail FROM access_log"
                     " WHERE action = 'export' AND detail->>'export_id' = %s"
                     " AND customer_id IS NOT NULL ORDER BY customer_id", export_id)
        assert sorted(r["customer_id"] for r in rows) == sorted(m["id"] for m in made)
        by_id = {r["customer_id"]: r for r in rows}
        assert {r["actor_id"] for r in rows} == {exporter}
        assert by_id[made[1]["id"]]["level"] == 1 and by_id[made[0]["id"]]["level"] == 0
        assert all("archive" in r["fields"] and r["detail"]["phones"] == "full" for r in rows)

    def test_finding9b_an_export_reads_its_rows_a_chunk_at_a_time(self, customers, monkeypatch):
        from services.customer.store import imports as store
        tag = f"f9c{uuid.uuid4().hex[:8]}"
        sup = supervisor(customers)
        for i in range(5):
            sup.create_customer({"name": f"分块{i}", "phones": [random_mobile()], "tags": [tag]})
        chunks, real = [], store.export_chunks

        def spy(*args, **kwargs):
            for chunk in real(*args, **kwargs):
                chunks.append(len(chunk))
                yield chunk
        monkeypatch.setattr(store, "EXPORT_CHUNK_ROWS", 2)
        monkeypatch.setattr(store, "export_chunks", spy)
        got = sup.export_customers({"tags": [tag], "limit": 4})
        assert (got["count"], got["truncated"]) == (4, True)
        assert chunks and max(chunks) <= 2 and sum(chunks) >= 4
        lines = list(csv.reader(io.StringIO(base64.b64decode(got["content"]).decode("utf-8-sig"))))
        assert [r[1] for r in lines[1:]] == [f"分块{i}" for i in range(4)]
