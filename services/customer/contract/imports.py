"""Import and export of customers (C7): what callers send and get (the operations,
their roles and errors: the index, contract/__init__.py).  An export is logged.

File bytes travel base64-encoded in the JSON message; a file may be at most
MAX_FILE_BYTES (20 MiB) once decoded.  An import file is CSV (UTF-8, UTF-8 with
BOM, UTF-16 or GB18030) or an XLSX/XLSM workbook (its first sheet); XLS, XLSB and
ODS are refused (save the file as XLSX or CSV).

The limits below are checked while the file is read, before anything they bound is
built (issue 9, finding 1); a file beyond one is Invalid with a reason under `file`
naming the limit.
"""
import base64
import binascii

from marshmallow import Schema, ValidationError, fields, validate

from services.customer.contract.levels import LEVELS
from services.customer.contract.records import CREDIT_CLASSES, KINDS, LIFECYCLES

# The fields a file's column may fill (C7), with the Chinese labels an import recognises
# as headers and an export writes; the console shows them in its column mapping.
LABELS = {
    "number": "客户编号", "name": "客户名称", "kind": "类型", "phones": "手机",
    "emails": "邮箱", "region": "地区", "tags": "标签", "credit_class": "信用等级",
    "lifecycle": "客户分类", "grade": "客户级别", "notes": "备注",
    "gender": "性别", "birth_date": "出生日期", "occupation": "职业", "education": "学历",
    "marital_status": "婚姻状况", "address": "地址", "work_address": "单位地址",
    "product": "产品", "model": "型号", "serial": "序列号", "vin": "车架号", "plate": "车牌",
    "purchased_on": "购买日期", "warranty_end": "保修截止",
}
# The fields of a DMS visit file (C7): visits of vehicles to the workshop.
VISIT_LABELS = {
    "plate": "车牌号", "vin": "车架号", "visited_on": "进厂日期", "service_type": "服务类型",
    "mileage": "里程", "amount": "金额",
}
LIFECYCLE_LABELS = {"potential": "潜在", "normal": "正常", "declining": "衰退", "lost": "流失"}
KIND_LABELS = {"person": "个人", "organization": "企业"}
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000             # rows of a file: header, title and blank rows count
MAX_COLUMNS = 256              # columns of a row (A to IV)
MAX_CELL_CHARS = 32_767        # characters in one cell (Excel's own limit)
MAX_CELLS = 4_000_000          # CSV: cells read; XLSX: the sheet's extent, rows × columns
MAX_RECORD_CHARS = 1_048_576   # characters in one CSV record (quoted line breaks included)
MAX_HEADER_CHARS = 200         # characters in one column header
# An XLSX is a zip: each part is inflated (streaming) and checked against what it declares.
MAX_PARTS = 1_000              # parts (zip entries) of a workbook
MAX_PART_BYTES = 256 * 1024 * 1024      # a sheet or the shared strings, inflated
MAX_META_BYTES = 16 * 1024 * 1024       # any other part, inflated
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # all parts together, inflated
MAX_RATIO = 100                # inflated ÷ compressed size of a part over 1 MiB
MAX_EXPORT_ROWS = 100_000
EXPORT_FORMATS = ("csv", "xlsx")


class Base64File(fields.String):
    """Loads base64 text into bytes; refuses more than MAX_FILE_BYTES."""

    max_length = (MAX_FILE_BYTES // 3 + 1) * 4 + 8  # the base64 text of MAX_FILE_BYTES

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > self.max_length:
            raise ValidationError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError("not base64") from exc
        if not raw:
            raise ValidationError("the file is empty")
        if len(raw) > MAX_FILE_BYTES:
            raise ValidationError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        return raw


class TagList(fields.Field):
    """A list of tags, or one comma-separated string of them (from a query string)."""

    max_length = 20 * 51  # 20 tags of 50 characters, with their commas

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str | list) and len(value) > self.max_length:
            raise ValidationError("a list of up to 20 tags of 1–50 characters")
        if isinstance(value, str):
            value = [t.strip() for t in value.replace("，", ",").split(",") if t.strip()]
        if not isinstance(value, list) or len(value) > 20 or not all(
                isinstance(t, str) and 0 < len(t.strip()) <= 50 for t in value):
            raise ValidationError("a list of up to 20 tags of 1–50 characters")
        return [t.strip() for t in value]


class ImportRequest(Schema):
    """`mapping`: {column header in the file: field name (or an alias of one), or null /
    "" / "exclude" to leave the column out}; columns it does not name are recognised
    from their headers."""

    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content = Base64File(required=True)
    dry_run = fields.Boolean(load_default=False)
    mapping = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=MAX_HEADER_CHARS)),
                          values=fields.String(allow_none=True, validate=validate.Length(max=50)),
                          load_default=dict, allow_none=False,
                          validate=validate.Length(max=MAX_COLUMNS))


class RowError(Schema):
    """A bad line: its row in the file, the field and the file's column(s) it is about
    (`D 出生日期`; empty when the line as a whole is bad), and why."""

    row = fields.Integer()
    field = fields.String()
    column = fields.String()
    reason = fields.String()


class Column(Schema):
    """How one column of the file was read: the field it fills, or why not."""

    header = fields.String()
    field = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ImportResult(Schema):
    """Counts are of customers (lines of one customer count once), or of visits."""

    id = fields.String()
    subject = fields.String()  # customers | visits
    file_name = fields.String()
    sha256 = fields.String()
    format = fields.String()
    dry_run = fields.Boolean()
    status = fields.String()  # dry_run | done
    actor_id = fields.String()
    actor_name = fields.String()
    total_rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    columns = fields.List(fields.Nested(Column))
    errors = fields.List(fields.Nested(RowError))
    phases = fields.Dict(keys=fields.String(), values=fields.Float())  # seconds per phase
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime()
    seconds = fields.Float()


class ExportQuery(Schema):
    """A segment: every filter is optional; `region` is a prefix (广东 matches 广东深圳);
    `tags` (a list or comma-separated) must all be present; `level` is the effective level.
    `unmask=true` exports full phone numbers where the reader may unmask them (logged)."""

    format = fields.String(load_default="csv", validate=validate.OneOf(EXPORT_FORMATS))
    kind = fields.String(validate=validate.OneOf(KINDS))
    level = fields.Integer(validate=validate.OneOf(LEVELS))
    region = fields.String(validate=validate.Length(min=1, max=200))
    tags = TagList()
    lifecycle = fields.String(validate=validate.OneOf(LIFECYCLES))
    credit_class = fields.String(validate=validate.OneOf(CREDIT_CLASSES))
    grade = fields.String(validate=validate.Length(min=1, max=30))
    unmask = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=MAX_EXPORT_ROWS,
                           validate=validate.Range(min=1, max=MAX_EXPORT_ROWS))


class ExportFile(Schema):
    filename = fields.String()
    content_type = fields.String()
    content = fields.String()  # base64
    count = fields.Integer()
    truncated = fields.Boolean()
