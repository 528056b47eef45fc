"""Workbooks shaped like a car dealer's real exports (issue 12, items 6 and 7): a title
row and an export line above the header, blank rows, Chinese headers, no product
column, the same customer on two lines, an impossible date, a totals line at the end.

`customers(tag)` and `visits(tag, plates, vins)` return (xlsx bytes, what a test needs
to know about the lines).  Phones, plates and VINs are derived from the tag, so runs
against the shared test database do not collide."""
import datetime
import hashlib
import io

from openpyxl import Workbook

CUSTOMER_HEADERS = ["序号", "客户姓名", "性别", "出生日期", "手机号码", "联系地址", "车型",
                    "车牌号", "VIN码", "购车日期", "电子邮箱", "备注", "客户标签"]
VISIT_HEADERS = ["工单号", "车牌号", "车架号", "进厂日期", "服务类型", "进厂里程", "结算金额"]


def _digits(tag: str, i: int, n: int) -> str:
    return str(int(hashlib.sha256(f"{tag}-{i}".encode()).hexdigest(), 16))[:n]


def mobile(tag: str, i: int) -> str:
    return "139" + _digits(tag, i, 8)


def plate(tag: str, i: int) -> str:
    return "粤B" + _digits(tag, 100 + i, 5)


def vin(tag: str, i: int) -> str:
    return "LFV" + _digits(tag, 200 + i, 14)


def workbook(title: str, headers: list[str], lines: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append([f"导出时间：{datetime.date.today():%Y-%m-%d}", None, None, "操作员：系统管理员"])
    sheet.append([])
    sheet.append(headers)
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def customers(tag: str) -> tuple[bytes, dict]:
    """Rows (in the sheet): 1 title, 2 export line, 3 blank, 4 header, then:
    5 王建国, two vehicles: row 5 and row 8 (same phone, the second also gives an email);
    6 李秀英 (the birth date a real datetime cell); 7 blank; 8 王建国's second car;
    9 陈志强, birth date 1990-02-30 (impossible); 10 blank; 11 赵敏, a bad phone and a
    bad gender; 12 刘洋, a plate only (no VIN, no model); 13 the totals line."""
    lines = [
        [1, "王建国", "男", "1978-03-15", mobile(tag, 1), "广东省深圳市南山区科技园1号",
         "卡罗拉 1.8L", plate(tag, 1), vin(tag, 1), "2021-06-18", None, "老客户"],
        [2, "李秀英", "女", datetime.datetime(1985, 11, 2), mobile(tag, 2),
         "广东省广州市天河区体育西路2号", "凯美瑞", plate(tag, 2), vin(tag, 2),
         datetime.datetime(2022, 1, 9), None, None],
        [],
        [3, "王建国", "男", "1978/3/15", mobile(tag, 1), "广东省深圳市南山区科技园1号",
         "汉兰达", plate(tag, 3), vin(tag, 3), "2023年8月1日", f"wjg{tag}@example.cn", None],
        [4, "陈志强", "男", "1990-02-30", mobile(tag, 4), "广东省东莞市", "雷凌",
         plate(tag, 4), vin(tag, 4), "2020-05-05", None, None],
        [None] * 12,
        [5, "赵敏", "不明", "1992-07-07", "12345", "广东省佛山市", "C-HR", plate(tag, 5),
         vin(tag, 5), "2024-02-29", None, None],
        [6, "刘洋", "女", None, mobile(tag, 6), None, None, plate(tag, 6), None, None, None,
         "电话回访"],
        ["合计", "共 6 位客户"],
    ]
    lines = [line + [tag] if len(line) == 12 and line[0] else line for line in lines]
    data = workbook("某某丰田汽车销售服务有限公司 客户档案明细表", CUSTOMER_HEADERS, lines)
    return data, {
        "good": {"王建国": [1, 3], "李秀英": [2], "刘洋": [6]},
        "bad": {9: {"birth_date": "D 出生日期"},
                11: {"gender": "C 性别", "phones": "E 手机号码"}},
        "nonblank": 6,  # lines 5, 6, 8, 9, 11, 12: no title, blank or totals line
    }


def visits(tag: str) -> tuple[bytes, dict]:
    """Visits of the vehicles of `customers(tag)`: rows 5.. (after title, export line,
    blank, header): 5 by VIN; 6 by plate; 7 blank; 8 repeats row 5; 9 an unknown plate;
    10 an impossible date; 11 a bad mileage; 12 the second car of 王建国 by plate with
    a spaced plate; 13 the totals line."""
    lines = [
        ["WO001", None, vin(tag, 1), "2025-03-01 09:30", "首保", "5,012", "¥0.00"],
        ["WO002", plate(tag, 2), None, "2025/04/02", "常规保养", "12000", "680.50"],
        [],
        ["WO001", None, vin(tag, 1), "2025-03-01 09:30", "首保", "5,012", "¥0.00"],
        ["WO004", "粤Z" + _digits(tag, 999, 5), None, "2025-05-05", "维修", "30000", "1200"],
        ["WO005", plate(tag, 6), None, "2025-02-30", "保养", "8000", "300"],
        ["WO006", plate(tag, 6), None, "2025-06-01", "保养", "很多", "300"],
        ["WO007", plate(tag, 3)[:2] + " " + plate(tag, 3)[2:], None, "2024-12-20", "钣喷",
         "20000", "3,450.00元"],
        ["合计", None, None, None, None, None, "5630.50"],
    ]
    data = workbook("某某丰田 售后进厂明细（DMS 导出）", VISIT_HEADERS, lines)
    return data, {
        "good_rows": [5, 6, 12],
        "bad": {8: "visited_on", 9: "plate", 10: "visited_on", 11: "mileage"},
    }
