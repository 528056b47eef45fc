"""Import and export of customers (C7): what callers send and get (the operations,
their roles and errors: the index, contract/__init__.py).  An export is logged.

File bytes travel base64-encoded in the JSON message; a file may be at most
MAX_FILE_BYTES (20 MiB) once decoded.  An import file is CSV (UTF-8, UTF-8 with
BOM or GB18030) or a workbook (XLSX, XLSM, XLS, ODS: the first sheet).
"""
import base64
import binascii

from marshmallow import Schema, ValidationError, fields, validate

from services.customer.contract.levels import LEVELS
from services.customer.contract.records import CREDIT_CLASSES, KINDS, LIFECYCLES

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_EXPORT_ROWS = 100_000
EXPORT_FORMATS = ("csv", "xlsx")


class Base64File(fields.String):
    """Loads base64 text into bytes; refuses more than MAX_FILE_BYTES."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > (MAX_FILE_BYTES // 3 + 1) * 4 + 8:
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

    def _deserialize(self, value, attr, data, **kwargs):
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
    mapping = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                          values=fields.String(allow_none=True, validate=validate.Length(max=50)),
                          load_default=dict, allow_none=False)


class RowError(Schema):
    row = fields.Integer()
    field = fields.String()
    reason = fields.String()


class Column(Schema):
    """How one column of the file was read: the field it fills, or why not."""

    header = fields.String()
    field = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ImportResult(Schema):
    id = fields.String()
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
