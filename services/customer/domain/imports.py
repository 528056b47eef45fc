"""Import and export of customers (C7), free of I/O: reading CSV and workbook bytes,
recognising Chinese or English headers, the user's column mapping, row validation,
and writing export files.

An import file has one customer per row (with at most one owned product).  Empty
cells leave what the archive already holds unchanged; phones, emails and tags are
added to the ones the customer has.  A row is matched to a customer by its number
(客户编号), else by one of its phones; otherwise it creates a customer.
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
from services.common.errors import Invalid
from services.common.identity import Principal
from services.customer.contract import imports as limits
from services.customer.contract.imports import KIND_LABELS, LABELS, LIFECYCLE_LABELS
from services.customer.contract.levels import LEVEL_NAMES, ORDINARY, SECRET, TOP_SECRET
from services.customer.domain import uploads
from services.customer.domain.access import archive_decision, unmask_decision
from services.customer.domain.records import norm_code, norm_email

# ---- fields ----------------------------------------------------------------------

# field -> the Chinese header an export writes (and the first alias an import knows)
FIELDS = tuple(LABELS)
MULTI = frozenset({"phones", "emails", "tags"})  # several columns may fill these
ASSET_FIELDS = ("product", "model", "serial", "plate", "purchased_on", "warranty_end")
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
    "number": "客户编号 编号 客户号 客户代码 客户编码 会员号 number customerno customernumber"
              " customerid customercode no code",
    "name": "客户名称 姓名 客户姓名 名称 客户名 公司名称 单位名称 企业名称 联系人 name"
            " customername fullname",
    "kind": "类型 客户类型 客户性质 个人/企业 kind type customertype",
    "phones": "手机 电话 手机号 手机号码 电话号码 联系电话 联系方式 移动电话 固定电话 座机"
              " 办公电话 phone phones mobile mobilephone tel telephone phonenumber cellphone",
    "emails": "邮箱 电子邮箱 电子邮件 邮件 email emails mail emailaddress",
    "region": "地区 区域 所在地区 所在地 省市 城市 region area city",
    "tags": "标签 客户标签 tags tag labels label",
    "credit_class": "信用等级 信用 信用级别 信用评级 creditclass credit creditrating",
    "lifecycle": "客户分类 生命周期 生命周期阶段 客户阶段 lifecycle lifecyclestage stage",
    "grade": "客户级别 级别 客户等级 会员等级 grade customergrade tier",
    "notes": "备注 说明 备注信息 notes note remark remarks comment comments",
    "product": "产品 产品名称 购买产品 商品 product productname",
    "model": "型号 产品型号 规格型号 规格 model",
    "serial": "序列号 产品序列号 车架号 机身号 出厂编号 serial serialnumber serialno sn vin",
    "plate": "车牌 车牌号 车牌号码 plate platenumber licenseplate",
    "purchased_on": "购买日期 购买时间 购车日期 购置日期 purchasedon purchasedate purchasedat"
                    " purchased",
    "warranty_end": "保修截止 保修截止日期 保修到期 保修到期日 保修期至 保修截止日 warrantyend"
                    " warrantyenddate warrantyuntil warranty",
    "level": "密级 保密级别 保密等级 level secrecy classification",
    "owner_id": "负责人 归属人 所属人 客户经理 owner ownerid",
    "owner_group": "所属组 归属组 负责组 ownergroup",
    "declassify_at": "解密日期 解密时间 declassifyat",
    "declassify_to": "解密后密级 declassifyto",
}
_EXCLUDE_WORDS = {"", "exclude", "excluded", "ignore", "skip", "none", "null", "-", "忽略",
                  "不导入", "排除"}


_OPENING, _CLOSING = "([【", ")]】"
_PUNCTUATION = re.compile(r"[\s_\-*:./\\#]")


def header_key(text) -> str:
    """A header as compared: NFKC (full-width to half-width), lower-case, without spaces,
    punctuation and a bracketed remark (`手机（必填）` -> `手机`)."""
    t = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return _PUNCTUATION.sub("", _without_remarks(t))


def _without_remarks(text: str) -> str:
    """Each opening bracket up to the first closing one after it (on the same line)
    removed, in one pass: a lazy regex retried at every unclosed bracket is quadratic
    (issue 9, finding 2)."""
    if not any(c in text for c in _OPENING):
        return text
    out: list[str] = []
    closing_after = [-1] * (len(text) + 1)  # index of the next closing bracket, or -1
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        closing_after[i] = -1 if c == "\n" else i if c in _CLOSING else closing_after[i + 1]
    i = 0
    while i < len(text):
        c = text[i]
        end = closing_after[i + 1] if c in _OPENING else -1
        if end >= 0:
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


ALIASES = {header_key(alias): f for f, words in _ALIASES.items() for alias in words.split()}
ALIASES.update({header_key(f): f for f in _ALIASES})
ALIASES.update({header_key(label): f for f, label in LABELS.items()})


def recognise(header) -> str | None:
    """The field a header names (forbidden ones included), or None (always for a text
    longer than any header may be)."""
    if len(str(header)) > limits.MAX_HEADER_CHARS:
        return None
    return ALIASES.get(header_key(header))


# ---- reading files ---------------------------------------------------------------

@dataclass
class Table:
    format: str                          # csv | xlsx | xls | ods | xlsb
    headers: list[str]
    header_row: int                      # row number of the header in the file (1-based)
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, cells)


_WORKBOOKS = {"xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls", "xlsb": "xlsb", "ods": "ods"}


def file_format(filename: str, data: bytes) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in ("csv", "txt", "tsv"):
        return "csv"
    if ext in _WORKBOOKS:
        return _WORKBOOKS[ext]
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "xls"
    return "csv"


def read_table(filename: str, data: bytes, mapping: dict | None = None) -> Table:
    """The header and data rows of a CSV file or of an XLSX workbook's first sheet, read
    within the limits of contract/imports.py (domain/uploads.py).  Invalid (field
    `file`) when it cannot be read, is beyond a limit, or has no header."""
    fmt = file_format(filename, data)
    if fmt == "csv":
        tab = filename.lower().endswith(".tsv") or _tab_separated(uploads.first_line(data))
        grid = list(uploads.csv_rows(data, tab))
    elif fmt == "xlsx":
        grid = uploads.workbook_rows(data)
    else:
        raise Invalid("the file format is not read",
                      {"file": [f"{fmt.upper()} files are not read: save it as XLSX or CSV"]})
    header_at = _header_index(grid, mapping or {})
    if header_at is None:
        raise Invalid("the file has no header row", {"file": ["no header row found"]})
    first_row, header_cells = grid[header_at]
    headers = [cell_text(c) for c in header_cells]
    for column, header in enumerate(headers, start=1):
        if len(header) > limits.MAX_HEADER_CHARS:
            raise uploads.refusal(f"the header of column {column} is longer than"
                                  f" {limits.MAX_HEADER_CHARS} characters")
    return Table(fmt, headers, first_row, grid[header_at + 1:])


def _tab_separated(first: str) -> bool:
    return "\t" in first and "," not in first


def _header_index(grid, mapping: dict) -> int | None:
    """The header row: the first of the first ten rows naming two known fields (or a
    mapped column); failing that the first non-empty row."""
    wanted = {header_key(h) for h in mapping}
    first_nonempty = None
    for i, (_, cells) in enumerate(grid[:10]):
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        if first_nonempty is None:
            first_nonempty = i
        known = sum(1 for t in texts if t and (recognise(t) or header_key(t) in wanted))
        if known >= 2 or (known and wanted):
            return i
    return first_nonempty


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious `.0`, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).strip()


# ---- the column plan -------------------------------------------------------------

@dataclass
class Plan:
    columns: list[tuple[int, str]]  # (column index, field) of the columns imported
    report: list[dict]              # per column: {header, field, note}

    @property
    def fields(self) -> set[str]:
        return {f for _, f in self.columns}

    def groups(self) -> tuple[list, list, list]:
        """(single-valued card columns with their parser, multi-valued columns, asset
        columns) — what parse_row walks for every row."""
        single = [(i, f, _PARSERS[f]) for i, f in self.columns if f in _PARSERS]
        multi = [(i, f) for i, f in self.columns if f in MULTI]
        asset = [(i, f) for i, f in self.columns if f in ASSET_FIELDS]
        return single, multi, asset


def resolve_target(name) -> str | None:
    """A mapping target as a field: a field name or any header alias of one."""
    if name in IMPORTABLE or name in FORBIDDEN:
        return name
    return recognise(name)


def build_plan(headers: list[str], mapping: dict | None) -> Plan:
    """Which column fills which field.  Columns the mapping names are taken as it says
    (a field, or excluded); the others are recognised from their headers.  Invalid with
    `mapping.<header>` reasons for an unknown column or field, a forbidden field, or one
    field from two columns; `mapping` when no column identifies the customers."""
    mapping = mapping or {}
    errors: dict[str, list[str]] = {}
    by_header: dict[str, str | None] = {}
    present = {h for h in headers}
    by_key = {header_key(h): h for h in headers}
    for source, target in mapping.items():
        header = source if source in present else by_key.get(header_key(source))
        if header is None:
            errors[f"mapping.{source}"] = ["no such column in the file"]
            continue
        if target is None or header_key(target) in _EXCLUDE_WORDS:
            by_header[header] = None
            continue
        resolved = resolve_target(target)
        if resolved is None:
            errors[f"mapping.{source}"] = [f"unknown field {target!r}; one of "
                                           + ", ".join(FIELDS)]
        elif resolved in FORBIDDEN:
            errors[f"mapping.{source}"] = [f"importers may not set {resolved}: "
                                           + FORBIDDEN[resolved]]
        else:
            by_header[header] = resolved
    columns: list[tuple[int, str]] = []
    report: list[dict] = []
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        explicit = header in by_header
        target = by_header[header] if explicit else recognise(header) if header else None
        note = None
        if explicit and target is None:
            note = "excluded by the mapping"
        elif target is None:
            note = "no header" if not header else "not recognised; not imported"
        elif target in FORBIDDEN:
            note = "not imported: " + FORBIDDEN[target]
            target = None
        elif target in taken and target not in MULTI:
            if explicit:
                errors[f"mapping.{header}"] = [
                    f"{target} is already filled from column {taken[target]!r}"]
            note = f"not imported: {target} already comes from column {taken[target]!r}"
            target = None
        if target is not None:
            taken.setdefault(target, header)
            columns.append((index, target))
        report.append({"header": header, "field": target, "note": note})
    if not errors and not any(f in KEYS for _, f in columns):
        errors["mapping"] = ["no column gives the customer number, name or phone"]
    if errors:
        raise Invalid("the column mapping is not usable", errors)
    return Plan(columns, report)


# ---- row validation --------------------------------------------------------------

@dataclass(slots=True)
class Record:
    """One valid row, normalised; None means "not in the file" (leave as is)."""

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
    asset: dict | None = None


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
_KIND = {header_key(w): k for k, words in KIND_WORDS.items() for w in words}
_LIFECYCLE = {header_key(w): k for k, words in LIFECYCLE_WORDS.items() for w in words}
_GRADE = {header_key(w): k for k, words in GRADE_WORDS.items() for w in words}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_email = mm_validate.Email()
_LIMITS = {"number": 32, "name": 200, "region": 200, "grade": 30, "notes": 10000,
           "product": 200, "model": 200, "serial": 64, "plate": 16}


class BadValue(ValueError):
    pass


def _text(value: str, name: str) -> str:
    if _CONTROL.search(value):
        raise BadValue("contains control characters")
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]  # our own export's guard against spreadsheet formulas
    if len(value) > _LIMITS.get(name, 200):
        raise BadValue(f"longer than {_LIMITS.get(name, 200)} characters")
    return value


def _one_of(words: dict[str, str], choices: str):
    """A parser of a cell naming one of `words` (in any of their spellings)."""
    @lru_cache(maxsize=4096)
    def parse(value: str) -> str:
        found = words.get(header_key(value))
        if found is None:
            raise BadValue(f"one of {choices}")
        return found
    return parse


parse_kind = _one_of(_KIND, "个人/person, 企业/organization")
parse_lifecycle = _one_of(_LIFECYCLE, "潜在/potential, 正常/normal, 衰退/declining, 流失/lost")


@lru_cache(maxsize=4096)
def parse_credit(value: str) -> str:
    letter = unicodedata.normalize("NFKC", value).strip().upper().rstrip("级类")
    if letter not in ("A", "B", "C", "D"):
        raise BadValue("one of A, B, C, D")
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


@lru_cache(maxsize=4096)
def parse_date(value: str) -> datetime.date:
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        raise BadValue("not a date (use YYYY-MM-DD)")
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise BadValue("not a date (use YYYY-MM-DD)") from exc
    if not 1900 <= day.year <= 2200:
        raise BadValue("year out of range")
    return day


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
_MULTI_PARSERS = {"phones": _phones, "emails": _emails, "tags": _tags}


def parse_row(row_no: int, cells: list, plan: Plan,
              groups: tuple | None = None) -> tuple[Record | None, list[dict]]:
    """The row as a Record, or None with its errors [{row, field, reason}].
    A row whose imported cells are all empty is (None, []): skipped."""
    single, multi, assets = groups or plan.groups()
    width = len(cells)
    record = Record(row_no)
    errors: list[dict] = []
    given = False
    for index, name, parser in single:
        raw = cells[index] if index < width else None
        text = raw.strip() if raw.__class__ is str else cell_text(raw)
        if text:
            given = True
            try:
                setattr(record, name, parser(text))
            except BadValue as exc:
                errors.append({"row": row_no, "field": name, "reason": str(exc)})
    if multi:
        texts: dict[str, list[str]] = {}
        for index, name in multi:
            raw = cells[index] if index < width else None
            text = raw.strip() if raw.__class__ is str else cell_text(raw)
            if text:
                texts.setdefault(name, []).append(text)
        for name, values in texts.items():
            given = True
            try:
                setattr(record, name, _MULTI_PARSERS[name](values))
            except BadValue as exc:
                errors.append({"row": row_no, "field": name, "reason": str(exc)})
    if assets:
        asset_cells = {}
        for index, name in assets:
            raw = cells[index] if index < width else None
            text = raw.strip() if raw.__class__ is str else cell_text(raw)
            if text:
                asset_cells[name] = text
        if asset_cells:
            given = True
            record.asset = _asset(row_no, asset_cells, errors)
    if not given:
        return None, []
    if not errors and record.number is None and record.name is None and not record.phones:
        errors.append({"row": row_no, "field": "name",
                       "reason": "a row needs a customer number, a name or a phone"})
    return (None, errors) if errors else (record, [])


def _asset(row_no: int, single: dict, errors: list) -> dict | None:
    asset: dict = {}
    count = len(errors)
    for name in ASSET_FIELDS:
        value = single.get(name)
        if value is None:
            asset[name] = None
            continue
        try:
            if name in ("purchased_on", "warranty_end"):
                asset[name] = parse_date(value)
            elif name in ("serial", "plate"):
                asset[name] = norm_code(_text(unicodedata.normalize("NFKC", value), name))
            else:
                asset[name] = _text(value, name)
        except BadValue as exc:
            errors.append({"row": row_no, "field": name, "reason": str(exc)})
    if len(errors) > count:
        return None
    if not asset["product"]:
        errors.append({"row": row_no, "field": "product",
                       "reason": "required when model, serial, plate or dates are given"})
        return None
    if asset["purchased_on"] and asset["warranty_end"] \
            and asset["warranty_end"] < asset["purchased_on"]:
        errors.append({"row": row_no, "field": "warranty_end",
                       "reason": "before the purchase date"})
        return None
    asset["kind"] = "vehicle" if asset["plate"] else "product"
    return asset


def parse_rows(table: Table, plan: Plan) -> tuple[list[Record], list[dict], int]:
    """(valid records, errors of bad rows, number of non-blank rows).  A customer number
    or phone given by an earlier row makes a later row bad (one row per customer)."""
    records: list[Record] = []
    errors: list[dict] = []
    total = 0
    numbers: dict[str, int] = {}
    phones_seen: dict[str, int] = {}
    groups = plan.groups()
    for row_no, cells in table.rows:
        record, row_errors = parse_row(row_no, cells, plan, groups)
        if row_errors:
            total += 1
            errors.extend(row_errors)
            continue
        if record is None:  # a blank row
            continue
        total += 1
        dup = []
        if record.number is not None and record.number in numbers:
            dup.append({"row": row_no, "field": "number",
                        "reason": f"the same customer number as row {numbers[record.number]}"})
        for e164, _ in record.phones:
            if e164 in phones_seen and phones_seen[e164] != row_no:
                dup.append({"row": row_no, "field": "phones", "reason":
                            f"{phone_rules.mask_middle(e164)} is also in row {phones_seen[e164]}"})
                break
        if dup:
            errors.extend(dup)
            continue
        if record.number is not None:
            numbers[record.number] = row_no
        for e164, _ in record.phones:
            phones_seen.setdefault(e164, row_no)
        records.append(record)
    return records, errors, total


def sort_errors(errors: list[dict]) -> list[dict]:
    order = {name: i for i, name in enumerate(("customer",) + FIELDS)}
    return sorted(errors, key=lambda e: (e["row"], order.get(e["field"], 99), e["reason"]))


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
