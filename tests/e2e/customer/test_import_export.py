"""C7 over HTTP against the running system: an XLSX with Chinese headers in a dry run
(read the row errors), then for real, then again with nothing changed; a mapped CSV sent
as a raw body; uploads above the gateway's usual 1 MiB; and an export that respects the
reader's clearance, masks phones, answers a file and is written to the borrowing log."""
import csv
import io
import json
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest
from openpyxl import Workbook

from tests.helpers import random_mobile
from tests.system import BASE, Client

HEADERS = ["客户编号", "客户名称", "类型", "手机", "邮箱", "地区", "标签", "信用等级", "客户分类",
           "客户级别", "备注", "产品", "型号", "序列号", "车牌", "购买日期", "保修截止"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def staff(admin):
    group = "g" + uuid.uuid4().hex[:8]
    assert admin.post("/api/v1/groups", {"name": group, "display_name": "导入组"}
                      ).status_code == 201
    out = {}
    for role, clearance in (("agent", 0), ("supervisor", 1), ("manager", 2)):
        username, password = f"{role[:5]}{uuid.uuid4().hex[:8]}", "Pw-" + uuid.uuid4().hex
        reply = admin.create_staff({"username": username, "display_name": role,
                                             "password": password, "roles": [role],
                                             "groups": [group], "clearance": clearance})
        assert reply.status_code == 201, reply.text
        out[role] = Client(username, password)
    return out


def xlsx(rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename: str, dry_run: bool, mapping=None):
    form = {"dry_run": "true" if dry_run else "false"}
    if mapping is not None:
        form["mapping"] = json.dumps(mapping, ensure_ascii=False)
    return client.http.post(BASE + "/api/v1/customer-imports", timeout=120, data=form,
                            files={"file": (filename, data, XLSX)})


def pop(client, phone) -> list[dict]:
    return client.get("/api/v1/screen-pop", params={"phone": phone}).json()["matches"]


def export_log(tag: str) -> list[dict]:
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT actor_name, action, detail FROM access_log WHERE action = 'export'"
                        " AND detail->'filter'->'tags' ? %s ORDER BY seq", (tag,))
            return cur.fetchall()
    finally:
        conn.close()


class TestImportFlow:
    def test_c7_xlsx_with_chinese_headers_dry_run_then_real_then_nothing_changes(self, staff):
        sup = staff["supervisor"]
        tag = "e2e" + uuid.uuid4().hex[:8]
        mobiles = [random_mobile() for _ in range(3)]
        rows = [HEADERS] + [
            ["", f"导入{i}号", "个人", mobiles[i], f"e2e{i}.{tag}@example.cn", "广东深圳",
             f"{tag}；车主", "A", "正常", "VIP", f"第{i}位", "空调", "KFR-35", f"SN{tag}{i}", "",
             "2024-05-01", "2027-05-01"] for i in range(3)] + [
            ["", "坏客户", "外星", "12345", "", "", tag, "Z", "", "", "", "", "", "", "", "", ""],
            ["", "", "", "", "", "", tag, "", "", "", "无名无电话", "", "", "", "", "", ""],
        ]
        data = xlsx(rows)

        dry = upload(sup, data, "客户导入.xlsx", dry_run=True)
        assert dry.status_code == 200, dry.text
        body = dry.json()
        assert (body["dry_run"], body["created"], body["failed"]) == (True, 3, 2)
        assert [(e["row"], e["field"]) for e in body["errors"]] == [
            (5, "kind"), (5, "phones"), (5, "credit_class"), (6, "name")]
        assert pop(sup, mobiles[0]) == []  # nothing changed
        kept = sup.get(f"/api/v1/customer-imports/{body['id']}")
        assert kept.status_code == 200 and kept.json()["errors"] == body["errors"]

        real = upload(sup, data, "客户导入.xlsx", dry_run=False)
        assert real.status_code == 201, real.text
        assert (real.json()["created"], real.json()["failed"]) == (3, 2)
        found = pop(sup, f"+86 {mobiles[1][:3]} {mobiles[1][3:7]} {mobiles[1][7:]}")
        assert [m["name"] for m in found] == ["导入1号"]
        card = found[0]
        assert (card["grade"], card["credit_class"], card["region"]) == ("VIP", "A", "广东深圳")
        assert card["assets"][0]["serial"] == f"SN{tag}1".upper()
        history = staff["manager"].get(f"/api/v1/customers/{card['id']}/history").json()
        assert [e["action"] for e in history["entries"]] == ["import"]

        again = upload(sup, data, "客户导入.xlsx", dry_run=False)
        assert again.status_code == 201, again.text
        assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
            0, 0, 3)
        after = pop(sup, mobiles[1])[0]
        assert (after["version"], after["updated_at"]) == (card["version"], card["updated_at"])
        assert len(staff["manager"].get(f"/api/v1/customers/{card['id']}/history").json()[
            "entries"]) == 1

    def test_c7_raw_csv_body_with_a_mapping_updates_by_number(self, staff):
        sup = staff["supervisor"]
        made = sup.post("/api/v1/customers", {"name": "映射客户", "phones": [random_mobile()]})
        assert made.status_code == 201, made.text
        out = io.StringIO(newline="")
        csv.writer(out).writerows([["编码", "Full name", "Secret"],
                                   [made.json()["number"], "映射客户改名", "绝密"]])
        mapping = {"编码": "number", "Full name": "name", "Secret": None}
        reply = sup.http.post(BASE + "/api/v1/customer-imports", timeout=120,
                              data=out.getvalue().encode("gb18030"),
                              params={"filename": "mapped.csv", "mapping": json.dumps(mapping)},
                              headers={"Content-Type": "text/csv"})
        assert reply.status_code == 201, reply.text
        assert reply.json()["updated"] == 1
        got = sup.get(f"/api/v1/customers/{made.json()['id']}").json()
        assert got["name"] == "映射客户改名"

    def test_c7_a_mapping_to_the_level_is_refused_and_changes_nothing(self, staff):
        mobile = random_mobile()
        data = xlsx([["姓名", "手机", "密级"], ["想改密级", mobile, "绝密"]])
        reply = upload(staff["supervisor"], data, "a.xlsx", dry_run=False,
                       mapping={"密级": "level"})
        assert reply.status_code == 400
        assert "mapping.密级" in reply.json()["fields"]
        assert pop(staff["supervisor"], mobile) == []

    def test_c7_agents_may_not_import_or_export(self, staff):
        agent = staff["agent"]
        assert upload(agent, xlsx([["姓名"], ["x"]]), "a.xlsx", True).status_code == 403
        assert agent.get("/api/v1/customers/export").status_code == 403

    def test_c7_uploads_above_one_mebibyte_are_accepted_up_to_the_limit(self, staff):
        sup = staff["supervisor"]
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(["姓名", "手机", "备注"])
        for i in range(20_000):
            writer.writerow([f"大文件{i}", "", "这是一段比较长的备注，用来把文件撑到一兆以上"])
        data = out.getvalue().encode()
        assert len(data) > 1 << 20
        reply = upload(sup, data, "big.csv", dry_run=True)
        assert reply.status_code == 200, reply.text
        assert reply.json()["created"] == 20_000
        huge = sup.http.post(BASE + "/api/v1/customer-imports", params={"filename": "x.csv"},
                             data=b"a" * (22 << 20), timeout=60)
        assert huge.status_code == 400 and "file" in huge.json()["fields"]
        assert sup.http.post(BASE + "/api/v1/customers", data=b"{" + b" " * (2 << 20) + b"}",
                             timeout=60).status_code == 413  # other routes keep 1 MiB


class TestExport:
    def test_c7_export_respects_clearance_masks_phones_and_is_logged(self, staff):
        sup, manager = staff["supervisor"], staff["manager"]
        tag = "exp" + uuid.uuid4().hex[:8]
        mobiles = [random_mobile() for _ in range(2)]
        ids = []
        for i, mobile in enumerate(mobiles):
            made = manager.post("/api/v1/customers", {
                "name": f"导出客户{i}", "phones": [mobile], "tags": [tag],
                "notes": f"内部备注{i}", "emails": [f"x{i}.{tag}@example.cn"]})
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        assert manager.put(f"/api/v1/customers/{ids[1]}/classification",
                           {"level": 1, "reason": "重要客户"}).status_code == 200

        reply = sup.get("/api/v1/customers/export", params={"tags": tag, "format": "csv"})
        assert reply.status_code == 200, reply.text
        assert reply.headers["Content-Type"].startswith("text/csv")
        assert reply.headers["Content-Disposition"].startswith("attachment;")
        assert reply.headers["X-Export-Count"] == "2"
        table = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
        assert [r["客户名称"] for r in table] == ["导出客户0", "导出客户1"]
        assert [r["手机"] for r in table] == [m[:3] + "****" + m[7:] for m in mobiles]
        assert [r["备注"] for r in table] == ["内部备注0", ""]  # a supervisor: ordinary only
        assert [r["密级"] for r in table] == ["普通", "秘密"]

        reply = manager.get("/api/v1/customers/export",
                            params={"tags": tag, "format": "xlsx", "unmask": "true"})
        assert reply.status_code == 200 and reply.headers["Content-Type"] == XLSX
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(reply.content), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        col = {h: i for i, h in enumerate(rows[0])}
        assert [r[col["备注"]] for r in rows[1:]] == ["内部备注0", "内部备注1"]
        assert [r[col["手机"]] for r in rows[1:]] == mobiles

        log = export_log(tag)
        assert [(row["actor_name"], row["detail"]["count"]) for row in log] == [
            (sup.staff["username"], 2), (manager.staff["username"], 2)]
        assert log[0]["detail"]["unmasked"] == 0 and log[1]["detail"]["unmasked"] == 2

    def test_c7_bad_export_query_is_400(self, staff):
        reply = staff["supervisor"].get("/api/v1/customers/export", params={"format": "pdf"})
        assert reply.status_code == 400 and "format" in reply.json()["fields"]
