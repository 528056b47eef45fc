"""Import and export of customers (C7), free of I/O: the customer import's mapping spec
and row handler on the machine of domain/tabular.py (reading, headers, mapping, row
errors with row and column), and writing export files.

A line of an import file gives a customer and at most one owned product or vehicle.
Lines of the same customer — the same customer number, or a phone in common — make one
customer with every product of its lines (a dealer's export lists a car per line); a
line that contradicts an earlier line of its customer (another name, say) is a bad row.
A plate or VIN without a product makes a vehicle (the model, else 车辆).  Empty cells
leave what the archive already holds unchanged; phones, emails, tags and addresses are
added to the ones the customer has.  A customer is matched by its number (客户编号),
else by one of its phones; otherwise it is created.
"""
import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from marshmallow import validate as mm_validate

from services.common import phones as phone_rules
from services.common.identity import Principal
from services.customer.contract.imports import KIND_LABELS, LABELS, LIFECYCLE_LABELS
from services.customer.contract.levels import LEVEL_NAMES, ORDINARY, SECRET, TOP_SECRET
from services.customer.domain import tabular
from services.customer.domain.access import archive_decision, unmask_decision
from services.customer.domain.records import norm_code, norm_email
from services.customer.domain.tabular import (  # noqa: F401 — the import's vocabulary
    BadValue,
    Plan,
    Table,
    cell_text,
    file_format,
    header_key,
    parse_date,
)

# ---- the mapping spec --------------------------------------------------------------

# field -> the Chinese header an export writes (and the first alias an import knows)
FIELDS = tuple(LABELS)
MULTI = frozenset({"phones", "emails", "tags"})  # several columns may fill these
ASSET_FIELDS = ("product", "model", "serial", "vin", "plate", "purchased_on", "warranty_end")
# The person profile of the archive (C1) and its addresses.
PROFILE_FIELDS = ("gender", "birth_date", "occupation", "education", "marital_status")
ADDRESS_FIELDS = {"address": "home", "work_address": "work"}
KEYS = ("number", "name", "phones")  # a file must identify or name its customers
# Fields an importer may never set: they change only through their own audited calls.
FORBIDDEN = {
    "level": "the level changes only through the classification call",
    "owner_id": "the owner changes only through the classification call",
    "owner_group": "the owner group changes only through the classification call",
    "declassify_at": "declassification changes only through the classification call",
    "declassify_to": "declassification changes only through the classification call",
}
IMPORTABLE = frozenset(FIELDS)

_ALIASES = {
    "number": "客户编号 编号 客户号 客户代码 客户编码 会员号 会员编号 档案号 客户档案号 number"
              " customerno customernumber customerid customercode no code",
    "name": "客户名称 姓名 客户姓名 名称 客户名 公司名称 单位名称 企业名称 联系人 车主 车主姓名"
            " 车主名称 用户姓名 用户名称 name customername fullname ownername",
    "kind": "类型 客户类型 客户性质 个人/企业 kind type customertype",
    "phones": "手机 电话 手机号 手机号码 电话号码 联系电话 联系方式 移动电话 固定电话 座机"
              " 办公电话 联系手机 客户电话 客户手机 车主电话 车主手机 手机1 手机2 电话1 电话2"
              " phone phones mobile mobilephone tel telephone phonenumber cellphone",
    "emails": "邮箱 电子邮箱 电子邮件 邮件 邮箱地址 email emails mail emailaddress",
    "region": "地区 区域 所在地区 所在地 省市 城市 region area city",
    "tags": "标签 客户标签 tags tag labels label",
    "credit_class": "信用等级 信用 信用级别 信用评级 creditclass credit creditrating",
    "lifecycle": "客户分类 生命周期 生命周期阶段 客户阶段 lifecycle lifecyclestage stage",
    "grade": "客户级别 级别 客户等级 会员等级 grade customergrade tier",
    "notes": "备注 说明 备注信息 notes note remark remarks comment comments",
    "gender": "性别 gender sex",
    "birth_date": "出生日期 生日 出生年月日 出生年月 出生时间 birthday birthdate dateofbirth dob",
    "occupation": "职业 occupation job profession",
    "education": "学历 文化程度 教育程度 education",
    "marital_status": "婚姻状况 婚姻 婚否 婚姻状态 maritalstatus marital",
    "address": "地址 联系地址 家庭地址 家庭住址 住址 居住地址 通讯地址 通信地址 详细地址"
               " 客户地址 address homeaddress",
    "work_address": "单位地址 工作地址 公司地址 办公地址 workaddress officeaddress",
    "product": "产品 产品名称 购买产品 商品 product productname",
    "model": "型号 产品型号 规格型号 规格 车型 车辆型号 车型名称 品牌车型 model",
    "serial": "序列号 产品序列号 机身号 出厂编号 serial serialnumber serialno sn",
    "vin": "vin vin码 车架号 车架号码 车辆识别代号 车辆识别码 车辆识别号 底盘号 vinno vincode",
    "plate": "车牌 车牌号 车牌号码 号牌号码 牌照号 牌照号码 plate platenumber licenseplate",
    "purchased_on": "购买日期 购买时间 购车日期 购车时间 购置日期 开票日期 交车日期 销售日期"
                    " purchasedon purchasedate purchasedat purchased",
    "warranty_end": "保修截止 保修截止日期 保修到期 保修到期日 保修期至 保修截止日 warrantyend"
                    " warrantyenddate warrantyuntil warranty",
    "level": "密级 保密级别 保密等级 level secrecy classification",
    "owner_id": "负责人 归属人 所属人 客户经理 owner ownerid",
    "owner_group": "所属组 归属组 负责组 ownergroup",
    "declassify_at": "解密日期 解密时间 declassifyat",
    "declassify_to": "解密后密级 declassifyto",
}
SPEC = tabular.Spec(
    "customers", dict(LABELS), _ALIASES, KEYS,
    "no column gives the customer number, name or phone", MULTI, FORBIDDEN)
ALIASES = SPEC.table


def recognise(header) -> str | None:
    """The field a header names (forbidden ones included), or None."""
    return SPEC.recognise(header)


def resolve_target(name) -> str | None:
    """A mapping target as a field: a field name or any header alias of one."""
    return SPEC.resolve_target(name)


def read_table(filename: str, data: bytes, mapping: dict | None = None) -> Table:
    """The header and data rows of the file (domain/tabular.py)."""
    return tabular.read_table(SPEC, filename, data, mapping)


def build_plan(headers: list[str], mapping: dict | None) -> Plan:
    """Which column fills which customer field (domain/tabular.py)."""
    return tabular.build_plan(SPEC, headers, mapping)


# ---- row validation ----------------------------------------------------------------

@dataclass(slots=True)
class Record:
    """One customer of the file, normalised; None means "not in the file" (leave as
    is).  `row` is its first line; `rows` every line merged into it."""

    row: int
    number: str | None = None
    name: str | None = None
    kind: str | None = None
    phones: list[tuple[str, str]] = field(default_factory=list)   # (e164, ext or "")
    emails: list[str] = field(default_factory=list)
    region: str | None = None
    tags: list[str] | None = None
    credit_class: str | None = None
    lifecycle: str | None = None
    grade: str | None = None
    notes: str | None = None
    profile: dict = field(default_factory=dict)      # the person profile's given keys
    addresses: list[dict] = field(default_factory=list)
    assets: list[dict] = field(default_factory=list)  # each with the "row" it came from
    rows: list[int] = field(default_factory=list)

    @property
    def asset(self) -> dict | None:
        """The first line's product (a one-line customer has at most one)."""
        return {k: v for k, v in self.assets[0].items() if k != "row"} if self.assets else None


SINGLE = ("number", "name", "kind", "region", "credit_class", "lifecycle", "grade", "notes")
_SPLIT = re.compile(r"[;；,，、|/\n\r]+")
_TAG_SPLIT = re.compile(r"[;；,，、|\n\r]+")
KIND_WORDS = {
    "person": ("个人", "person", "p", "个体", "自然人", "personal", "individual", "私人"),
    "organization": ("企业", "organization", "organisation", "org", "o", "公司", "单位",
                     "组织", "机构", "company", "enterprise", "business", "团体"),
}
LIFECYCLE_WORDS = {
    "potential": ("潜在", "潜在客户", "potential", "prospect"),
    "normal": ("正常", "正常客户", "normal", "active"),
    "declining": ("衰退", "衰退客户", "declining", "decline"),
    "lost": ("流失", "流失客户", "lost", "churned"),
}
GRADE_WORDS = {"normal": ("普通", "normal", "一般", "普通客户")}
GENDER_WORDS = {
    "male": ("男", "男性", "先生", "male", "m", "man"),
    "female": ("女", "女性", "女士", "小姐", "female", "f", "woman"),
    "unknown": ("未知", "保密", "不详", "unknown"),
}
MARITAL_WORDS = {
    "single": ("未婚", "单身", "single"),
    "married": ("已婚", "married"),
    "divorced": ("离异", "离婚", "divorced"),
    "widowed": ("丧偶", "widowed"),
    "unknown": ("未知", "保密", "不详", "unknown"),
}
_KIND = {header_key(w): k for k, words in KIND_WORDS.items() for w in words}
_LIFECYCLE = {header_key(w): k for k, words in LIFECYCLE_WORDS.items() for w in words}
_GRADE = {header_key(w): k for k, words in GRADE_WORDS.items() for w in words}
_GENDER = {header_key(w): k for k, words in GENDER_WORDS.items() for w in words}
_MARITAL = {header_key(w): k for k, words in MARITAL_WORDS.items() for w in words}
_CONTROL = tabular.CONTROL
_email = mm_validate.Email()
_LIMITS = {"number": 32, "name": 200, "region": 200, "grade": 30, "notes": 10000,
           "product": 200, "model": 200, "serial": 64, "vin": 64, "plate": 16,
           "occupation": 200, "education": 200, "address": 500, "work_address": 500}


def _text(value: str, name: str) -> str:
    return tabular.text(value, _LIMITS.get(name, 200))


def _one_of(words: dict[str, str], choices: str):
    """A parser of a cell naming one of `words` (in any of their spellings)."""
    @lru_cache(maxsize=4096)
    def parse(value: str) -> str:
        found = words.get(header_key(value))
        if found is None:
            raise BadValue(f"{value[:20]!r}: one of {choices}")
        return found
    return parse


parse_kind = _one_of(_KIND, "个人/person, 企业/organization")
parse_lifecycle = _one_of(_LIFECYCLE, "潜在/potential, 正常/normal, 衰退/declining, 流失/lost")
parse_gender = _one_of(_GENDER, "男/male, 女/female, 未知/unknown")
parse_marital = _one_of(_MARITAL, "未婚, 已婚, 离异, 丧偶, 未知")


@lru_cache(maxsize=4096)
def parse_credit(value: str) -> str:
    letter = unicodedata.normalize("NFKC", value).strip().upper().rstrip("级类")
    if letter not in ("A", "B", "C", "D"):
        raise BadValue(f"{value[:20]!r}: one of A, B, C, D")
    return letter


@lru_cache(maxsize=4096)
def parse_grade(value: str) -> str:
    grade = _GRADE.get(header_key(value))
    if grade:
        return grade
    value = _text(value, "grade")
    return "VIP" if header_key(value) in ("vip", "贵宾", "vip客户") else value


def parse_number(value: str) -> str:
    """Customer numbers are compared upper-case (as the lookup does)."""
    return _text(unicodedata.normalize("NFKC", value).strip().upper(), "number")


def parse_birth_date(value: str) -> str:
    """An ISO date (the archive keeps JSON) not in the future."""
    day = parse_date(value)
    if day > datetime.date.today():
        raise BadValue(f"{value[:20]!r}: in the future")
    return day.isoformat()


_mobile_pattern = None
_PHONE_NOISE = re.compile(r"[\s\-]")


def normalize_phone(raw: str) -> tuple[str, str]:
    """(E.164, extension or "") exactly as services.common.phones.normalize would give,
    with a fast path for plain mainland mobiles (their validity is the mobile pattern
    of the phone metadata, which the slow path would apply anyway)."""
    global _mobile_pattern
    if _mobile_pattern is None:
        import phonenumbers

        meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
        # CN's metadata always has a mobile pattern (the library types it optional).
        _mobile_pattern = re.compile(meta.mobile.national_number_pattern)  # type: ignore[union-attr, type-var]
    digits = raw if raw.isdigit() else _PHONE_NOISE.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.isdigit() and digits.isascii() \
            and _mobile_pattern.fullmatch(digits):
        return "+86" + digits, ""
    e164, ext = phone_rules.normalize(raw)
    return e164, ext or ""


def _phones(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        for part in _SPLIT.split(value):
            part = part.strip()
            if not part:
                continue
            try:
                phone = normalize_phone(part)
            except phone_rules.BadPhone as exc:
                raise BadValue(f"{part!r}: {exc}") from exc
            if phone not in out:
                out.append(phone)
    if len(out) > 10:
        raise BadValue("more than 10 phone numbers")
    return out


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    return domain in _email.DOMAIN_WHITELIST or bool(_email.DOMAIN_REGEX.match(domain))


def email_ok(value: str) -> bool:
    """marshmallow's Email rule (as the contract applies it), with the costly domain
    check cached: an import repeats a few domains a hundred thousand times."""
    if "@" not in value:
        return False
    user, domain = value.rsplit("@", 1)
    return bool(_email.USER_REGEX.match(user)) and _domain_ok(domain)


def _emails(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in _SPLIT.split(value.replace("/", ";")):
            part = norm_email(part)
            if not part:
                continue
            if not email_ok(part):
                raise BadValue(f"{part!r}: not an email address")
            if len(part) > 254:
                raise BadValue(f"{part[:20]!r}...: longer than 254 characters")
            if part not in out:
                out.append(part)
    if len(out) > 10:
        raise BadValue("more than 10 email addresses")
    return out


def _tags(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in _TAG_SPLIT.split(value):
            tag = part.strip()
            if not tag:
                continue
            if len(tag) > 50:
                raise BadValue(f"tag {tag[:10]!r}...: longer than 50 characters")
            if _CONTROL.search(tag):
                raise BadValue("contains control characters")
            if tag not in out:
                out.append(tag)
    if len(out) > 50:
        raise BadValue("more than 50 tags")
    return out




def _plain(name: str):
    def parse(value: str) -> str:
        return _text(value, name)
    return parse


_PARSERS = {"kind": parse_kind, "lifecycle": parse_lifecycle, "credit_class": parse_credit,
            "grade": parse_grade, "number": parse_number, "name": _plain("name"),
            "region": _plain("region"), "notes": _plain("notes")}
_PROFILE_PARSERS = {"gender": parse_gender, "birth_date": parse_birth_date,
                    "occupation": _plain("occupation"), "education": _plain("education"),
                    "marital_status": parse_marital}
_MULTI_PARSERS = {"phones": _phones, "emails": _emails, "tags": _tags}
_DATES = ("purchased_on", "warranty_end")
_CODES = ("serial", "vin", "plate")


def parse_row(row_no: int, cells: list, plan: Plan) -> tuple[Record | None, list[dict]]:
    """The line as a Record, or None with its errors [{row, field, reason}] (every bad
    value of the line).  A line whose imported cells are all empty is (None, []):
    skipped."""
    texts = tabular.cells_of(cells, plan.columns)
    if not texts:
        return None, []
    record = Record(row_no, rows=[row_no])
    errors: list[dict] = []
    for name, values in texts.items():
        try:
            if name in _PARSERS:
                setattr(record, name, _PARSERS[name](values[0]))
            elif name in _MULTI_PARSERS:
                setattr(record, name, _MULTI_PARSERS[name](values))
            elif name in _PROFILE_PARSERS:
                record.profile[name] = _PROFILE_PARSERS[name](values[0])
            elif name in ADDRESS_FIELDS:
                record.addresses.append({"kind": ADDRESS_FIELDS[name], "region": "",
                                         "text": _text(values[0], name), "postcode": ""})
        except BadValue as exc:
            errors.append(tabular.row_error(row_no, name, str(exc)))
    given = {name: texts[name][0] for name in ASSET_FIELDS if name in texts}
    if given:
        asset = _asset(row_no, given, errors)
        if asset is not None:
            record.assets.append(asset)
    if record.profile and record.kind == "organization":
        errors.append(tabular.row_error(row_no, next(iter(record.profile)),
                                        "for a person (个人) only, not an organization"))
    if not errors and record.number is None and record.name is None and not record.phones:
        errors.append(tabular.row_error(row_no, "name",
                                        "a row needs a customer number, a name or a phone"))
    return (None, errors) if errors else (record, [])


def _asset(row_no: int, given: dict, errors: list) -> dict | None:
    """The line's product or vehicle: a plate or VIN makes a vehicle, named by the
    product column, else the model, else 车辆."""
    asset: dict = {"row": row_no}
    count = len(errors)
    for name in ASSET_FIELDS:
        value = given.get(name)
        if value is None:
            asset[name] = None
            continue
        try:
            if name in _DATES:
                asset[name] = parse_date(value)
            elif name in _CODES:
                asset[name] = norm_code(_text(unicodedata.normalize("NFKC", value), name))
            else:
                asset[name] = _text(value, name)
        except BadValue as exc:
            errors.append(tabular.row_error(row_no, name, str(exc)))
    if len(errors) > count:
        return None
    vin = asset.pop("vin")
    if vin and asset["serial"] and vin != asset["serial"]:
        errors.append(tabular.row_error(row_no, "vin", "differs from the serial number of"
                                                       " the same row"))
        return None
    asset["serial"] = vin or asset["serial"]
    vehicle = bool(vin or asset["plate"])
    if not asset["product"]:
        if not vehicle:
            errors.append(tabular.row_error(
                row_no, "product", "required when model, serial or dates are given"
                                   " (a plate or VIN makes a vehicle)"))
            return None
        asset["product"] = asset["model"] or "车辆"
    if asset["purchased_on"] and asset["warranty_end"] \
            and asset["warranty_end"] < asset["purchased_on"]:
        errors.append(tabular.row_error(row_no, "warranty_end", "before the purchase date"))
        return None
    asset["kind"] = "vehicle" if vehicle else "product"
    return asset


# ---- the same customer on several lines ----------------------------------------------

def parse_rows(table: Table, plan: Plan) -> tuple[list[Record], list[dict], int]:
    """(one Record per customer of the file, errors of bad lines, number of non-blank
    lines).  Lines of the same customer number or with a phone in common are one
    customer (merge_lines); a line joining two different customers, or contradicting
    its customer's earlier lines, is bad."""
    records: list[Record] = []
    errors: list[dict] = []
    total = 0
    by_number: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    for row_no, cells in table.rows:
        if tabular.is_footer(cells):
            continue
        record, row_errors = parse_row(row_no, cells, plan)
        if row_errors:
            total += 1
            errors.extend(row_errors)
            continue
        if record is None:  # a blank line
            continue
        total += 1
        found = {by_number[record.number]} if record.number in by_number else set()
        found |= {by_phone[e164] for e164, _ in record.phones if e164 in by_phone}
        if len(found) > 1:
            first, second = sorted(records[i].row for i in found)[:2]
            errors.append(tabular.row_error(
                row_no, "phones" if record.phones else "number",
                f"joins two different customers: those of rows {first} and {second}"))
            continue
        if found:
            index = found.pop()
            conflicts = merge_lines(records[index], record)
            if conflicts:
                errors.extend(conflicts)
                continue
        else:
            index = len(records)
            records.append(record)
        merged = records[index]
        if merged.number is not None:
            by_number[merged.number] = index
        for e164, _ in merged.phones:
            by_phone.setdefault(e164, index)
    return records, errors, total


def _shown(value) -> str:
    return repr(value if len(str(value)) <= 20 else str(value)[:20] + "…")


def merge_lines(into: Record, line: Record) -> list[dict]:
    """Merge a later line of the same customer into its Record; or, changing nothing,
    the errors of what the line contradicts (another name, number, gender..., or the
    same vehicle with other details).  Notes are joined; phones, emails, tags,
    addresses and products are united."""
    row = line.row
    errors = []
    why = f"the same customer (same number or phone) as row {into.row} has "
    for name in SINGLE:
        new, old = getattr(line, name), getattr(into, name)
        if name != "notes" and new is not None and old is not None and new != old:
            errors.append(tabular.row_error(row, name, why + _shown(old)))
    for name, new in line.profile.items():
        old = into.profile.get(name)
        if old is not None and new != old:
            errors.append(tabular.row_error(row, name, why + _shown(old)))
    # parse_row checks each line's own kind; the merged customer's kind may come from
    # the other line (an organization on one line, a gender on the other).
    if (into.kind or line.kind) == "organization" and not any(
            e["field"] == "kind" for e in errors):
        if line.profile and line.kind != "organization":
            errors.append(tabular.row_error(
                row, next(iter(line.profile)),
                f"for a person (个人) only: the customer of row {into.row} is an organization"))
        elif into.profile:
            errors.append(tabular.row_error(
                row, "kind", f"the customer of row {into.row} is a person (has "
                             f"{next(iter(into.profile))}), not an organization"))
    phones = into.phones + [p for p in line.phones if p not in into.phones]
    emails = into.emails + [e for e in line.emails if e not in into.emails]
    if len(phones) > 10:
        errors.append(tabular.row_error(row, "phones", f"more than 10 phone numbers for the"
                                                       f" customer of row {into.row}"))
    if len(emails) > 10:
        errors.append(tabular.row_error(row, "emails", f"more than 10 email addresses for"
                                                       f" the customer of row {into.row}"))
    assets = []
    for asset in line.assets:
        same = _same_vehicle(into.assets, asset)
        if same is None:
            assets.append(asset)
        elif _without_row(same) != _without_row(asset):
            key = "serial" if asset["serial"] and asset["serial"] == same["serial"] else "plate"
            errors.append(tabular.row_error(
                row, key, f"the same {'VIN/serial' if key == 'serial' else 'plate'} as row"
                          f" {same['row']} with other details"))
    if errors:
        return errors
    for name in SINGLE:
        if getattr(into, name) is None:
            setattr(into, name, getattr(line, name))
    if line.notes is not None and into.notes is not None \
            and line.notes not in into.notes.split("；"):
        joined = into.notes + "；" + line.notes
        if len(joined) <= _LIMITS["notes"]:
            into.notes = joined
    for name, value in line.profile.items():
        into.profile.setdefault(name, value)
    into.phones, into.emails = phones, emails
    if line.tags is not None:
        into.tags = (into.tags or []) + [t for t in line.tags if t not in (into.tags or [])]
    texts = {a["text"] for a in into.addresses}
    into.addresses += [a for a in line.addresses if a["text"] not in texts]
    into.assets += assets
    into.rows.append(row)
    return []


def merged_lines(records: list[Record]) -> dict[int, list[int]]:
    """The later lines of each customer made of several lines, by its first line."""
    return {r.row: r.rows[1:] for r in records if len(r.rows) > 1}


def spread_errors(errors: list[dict], lines: dict[int, list[int]]) -> list[dict]:
    """The database checks a customer by its first line: each of its errors is also an
    error of every later line merged into it (reported, and counted failed)."""
    spread = list(errors)
    for e in errors:
        spread += [{**e, "row": row, "reason": f"{e['reason']} (the customer of row {e['row']})"}
                   for row in lines.get(e["row"], ())]
    return spread


def _same_vehicle(assets: list[dict], asset: dict) -> dict | None:
    """The earlier product with the same serial/VIN or plate, or one identical to it."""
    for other in assets:
        if asset["serial"] and other["serial"] == asset["serial"]:
            return other
        if asset["plate"] and other["plate"] == asset["plate"]:
            return other
        if _without_row(other) == _without_row(asset):
            return other
    return None


def _without_row(asset: dict) -> dict:
    return {k: v for k, v in asset.items() if k != "row"}


def sort_errors(errors: list[dict], plan: Plan | None = None) -> list[dict]:
    """The errors by row and field; with the plan, each names its column(s)."""
    order = ("customer",) + FIELDS
    if plan is not None:
        return tabular.with_columns(errors, plan, order)
    rank = {name: i for i, name in enumerate(order)}
    return sorted(errors, key=lambda e: (e["row"], rank.get(e["field"], 99), e["reason"]))


# ---- export ----------------------------------------------------------------------

EXPORT_COLUMNS = ("number", "name", "kind", "phones", "region", "tags", "credit_class",
                  "lifecycle", "grade", "level", "product", "model", "serial", "plate",
                  "purchased_on", "warranty_end", "emails", "notes")
EXPORT_HEADERS = {**LABELS, "level": "密级"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def export_phone(e164: str, ext: str | None) -> str:
    """`+8613800138000` -> `13800138000`; a landline keeps its area code (`01012345678`)."""
    national = e164[3:] if e164.startswith("+86") else e164
    if e164.startswith("+86") and not (len(national) == 11 and national.startswith("1")):
        national = "0" + national  # a landline keeps its trunk prefix
    return national + (f" 转{ext}" if ext else "")


def _safe(value) -> str:
    """Text a spreadsheet will not run as a formula, without illegal characters."""
    if value is None:
        return ""
    text = _ILLEGAL.sub("", value if isinstance(value, str) else str(value))
    return "'" + text if text.startswith(_FORMULA) else text


def export_row(card: dict, phones: list[str], archive: dict | None) -> list[str]:
    """One line of an export: `phones` already masked or not; `archive` None when the
    reader may not read it (its columns stay empty)."""
    assets = card.get("assets") or []
    lifecycle = card.get("lifecycle") or ""

    def joined(key):
        return "；".join(_safe(_iso(a[key])) for a in assets if a.get(key))

    values = {
        "number": card["number"], "name": card["name"],
        "kind": KIND_LABELS.get(card["kind"], card["kind"]),
        "phones": "; ".join(phones), "region": card.get("region") or "",
        "tags": "；".join(card.get("tags") or []), "credit_class": card.get("credit_class") or "",
        "lifecycle": LIFECYCLE_LABELS.get(lifecycle, lifecycle),
        "grade": "普通" if card.get("grade") == "normal" else card.get("grade") or "",
        "level": LEVEL_NAMES.get(card.get("effective_level", ORDINARY), ""),
        "emails": "; ".join(archive.get("emails") or []) if archive else "",
        "notes": (archive.get("notes") or "") if archive else "",
    }
    out = []
    for column in EXPORT_COLUMNS:
        if column in ("product", "model", "serial", "plate", "purchased_on", "warranty_end"):
            out.append(joined(column))
        elif column == "phones":
            out.append(values[column])  # digits and '*' only
        else:
            out.append(_safe(values[column]))
    return out


def needs_grants(rows: list[dict]) -> bool:
    """Whether an export holds top-secret records (their archives need a grant)."""
    return any(r["effective_level"] >= TOP_SECRET for r in rows)


@dataclass
class ExportTally:
    """What the borrowing log's summary row of an export records, counted chunk by
    chunk."""

    count: int = 0
    level: int = 0
    archives: int = 0
    unmasked: int = 0
    classified_archives: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"count": self.count, "archives": self.archives, "unmasked": self.unmasked,
                "classified_archives": self.classified_archives}


def export_lines(principal: Principal, rows: list[dict], grants: set[str], unmask: bool,
                 export_id: str, tally: ExportTally) -> tuple[list[list[str]], list[tuple]]:
    """The lines of an export as this reader may see them (archive columns only where
    the borrowing rules open the archive, full phones only when asked and allowed), and
    the borrowing-log row of each customer in it: (customer id, level, fields, detail),
    fields `card`, `phones` and, when shown, `archive` (issue 9, finding 9b).  `tally`
    counts what the summary row records."""
    lines, entries = [], []
    for r in rows:
        level = r["effective_level"]
        allowed = archive_decision(principal, level, r["id"] in grants).allowed
        archive = ({"emails": r["emails"] or [], "notes": r["notes"]}
                   if allowed and r["archive_open"] else None)
        if archive is not None:
            tally.archives += 1
            if level >= SECRET:
                tally.classified_archives.append(r["number"])
        full = unmask and unmask_decision(principal, level).allowed
        tally.unmasked += bool(full and r["phones"])
        tally.count += 1
        tally.level = max(tally.level, level)
        phones = [export_phone(ph["e164"], ph["ext"]) if full
                  else phone_rules.mask_middle(ph["e164"]) for ph in r["phones"]]
        lines.append(export_row(r, phones, archive))
        entries.append((r["id"], level, ["card", "phones"] + (["archive"] if archive else []),
                        {"export_id": export_id, "phones": "full" if full else "masked"}))
    return lines, entries


def _iso(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def export_header() -> list[str]:
    return [EXPORT_HEADERS[c] for c in EXPORT_COLUMNS]


class ExportWriter:
    """An export file written a chunk of lines at a time: CSV in UTF-8 with a BOM (so
    that Excel opens the Chinese text correctly), or XLSX through openpyxl's write-only
    workbook (which keeps its rows in a temporary file, not in memory)."""

    def __init__(self, fmt: str):
        self.format = fmt
        self.buffer = io.BytesIO()
        if fmt == "xlsx":
            from openpyxl import Workbook  # imported on use

            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet("客户")
            self.sheet.append(export_header())
        else:
            self.buffer.write(b"\xef\xbb\xbf")
            self.text = io.TextIOWrapper(self.buffer, encoding="utf-8", newline="")
            self.csv = csv.writer(self.text, lineterminator="\r\n")
            self.csv.writerow(export_header())

    def add(self, lines: list[list[str]]) -> None:
        if self.format == "xlsx":
            for line in lines:
                self.sheet.append(line)
        else:
            self.csv.writerows(lines)

    def finish(self) -> bytes:
        if self.format == "xlsx":
            self.book.save(self.buffer)
        else:
            self.text.flush()
        return self.buffer.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
