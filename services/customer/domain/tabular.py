"""The machine both imports of C7 share, free of I/O: reading a CSV or XLSX upload within
the limits (domain/uploads.py), finding the header row below a title, recognising Chinese
or English headers, the user's column mapping, cell conversion and the row errors, each
with its row and column.

An import is this machine with a `Spec` (which fields, their header aliases, which of
them must be present) and its own row handler: the customer import (domain/imports.py)
and the DMS visit import (domain/visits.py).
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from services.common.errors import Invalid
from services.customer.contract import imports as limits
from services.customer.domain import uploads

# ---- headers -----------------------------------------------------------------------

_OPENING, _CLOSING = "([【", ")]】"
_PUNCTUATION = re.compile(r"[\s_\-*:./\\#]")
EXCLUDE_WORDS = {"", "exclude", "excluded", "ignore", "skip", "none", "null", "-", "忽略",
                 "不导入", "排除"}


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


@dataclass(frozen=True)
class Spec:
    """What one import reads: its fields (in report order) with the label an export
    writes, header aliases per field (space-separated words), fields several columns may
    fill, fields an importer may never set (with why), and the fields of which a file
    must map at least one (`keys`, explained by `keys_reason`)."""

    subject: str
    labels: dict[str, str]
    aliases: dict[str, str]
    keys: tuple[str, ...]
    keys_reason: str
    multi: frozenset = frozenset()
    forbidden: dict[str, str] = field(default_factory=dict)
    table: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        table = {header_key(a): f for f, words in self.aliases.items() for a in words.split()}
        table.update({header_key(f): f for f in self.aliases})
        table.update({header_key(f): f for f in self.labels})
        table.update({header_key(label): f for f, label in self.labels.items()})
        object.__setattr__(self, "table", table)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def recognise(self, header) -> str | None:
        """The field a header names (forbidden ones included), or None (always for a
        text longer than any header may be)."""
        if len(str(header)) > limits.MAX_HEADER_CHARS:
            return None
        return self.table.get(header_key(header))

    def resolve_target(self, name) -> str | None:
        """A mapping target as a field: a field name or any header alias of one."""
        if name in self.labels or name in self.forbidden:
            return name
        return self.recognise(name)


# ---- reading files -----------------------------------------------------------------

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


def read_table(spec: Spec, filename: str, data: bytes, mapping: dict | None = None) -> Table:
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
    header_at = _header_index(spec, grid, mapping or {})
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


def _header_index(spec: Spec, grid, mapping: dict) -> int | None:
    """The header row: the first of the first ten rows naming two known fields (or a
    mapped column) — a title row or blank rows above it are passed over; failing that
    the first non-empty row."""
    wanted = {header_key(h) for h in mapping}
    first_nonempty = None
    for i, (_, cells) in enumerate(grid[:10]):
        texts = [cell_text(c) for c in cells]
        if not any(texts):
            continue
        if first_nonempty is None:
            first_nonempty = i
        known = sum(1 for t in texts if t and (spec.recognise(t) or header_key(t) in wanted))
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


# ---- the column plan ---------------------------------------------------------------

@dataclass
class Plan:
    columns: list[tuple[int, str]]  # (column index, field) of the columns imported
    report: list[dict]              # per column: {header, field, note}

    @property
    def fields(self) -> set[str]:
        return {f for _, f in self.columns}

    def column_of(self, name: str) -> str:
        """The file's column(s) a field comes from, as the user reads them: `C 手机`
        (letter and header; several joined by ', '), '' when no column fills it."""
        return ", ".join(f"{column_letter(i + 1)} {self.report[i]['header']}".strip()
                         for i, f in self.columns if f == name)


def column_letter(column: int) -> str:
    """`B` for 2, `AA` for 27."""
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


def build_plan(spec: Spec, headers: list[str], mapping: dict | None) -> Plan:
    """Which column fills which field.  Columns the mapping names are taken as it says
    (a field, or excluded); the others are recognised from their headers.  Invalid with
    `mapping.<header>` reasons for an unknown column or field, a forbidden field, or one
    field from two columns; `mapping` when no column gives one of the spec's keys."""
    mapping = mapping or {}
    errors: dict[str, list[str]] = {}
    by_header: dict[str, str | None] = {}
    present = set(headers)
    by_key = {header_key(h): h for h in headers}
    for source, target in mapping.items():
        header = source if source in present else by_key.get(header_key(source))
        if header is None:
            errors[f"mapping.{source}"] = ["no such column in the file"]
            continue
        if target is None or header_key(target) in EXCLUDE_WORDS:
            by_header[header] = None
            continue
        resolved = spec.resolve_target(target)
        if resolved is None:
            errors[f"mapping.{source}"] = [f"unknown field {target!r}; one of "
                                           + ", ".join(spec.fields)]
        elif resolved in spec.forbidden:
            errors[f"mapping.{source}"] = [f"importers may not set {resolved}: "
                                           + spec.forbidden[resolved]]
        else:
            by_header[header] = resolved
    columns: list[tuple[int, str]] = []
    report: list[dict] = []
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        explicit = header in by_header
        target = by_header[header] if explicit else spec.recognise(header) if header else None
        note = None
        if explicit and target is None:
            note = "excluded by the mapping"
        elif target is None:
            note = "no header" if not header else "not recognised; not imported"
        elif target in spec.forbidden:
            note = "not imported: " + spec.forbidden[target]
            target = None
        elif target in taken and target not in spec.multi:
            if explicit:
                errors[f"mapping.{header}"] = [
                    f"{target} is already filled from column {taken[target]!r}"]
            note = f"not imported: {target} already comes from column {taken[target]!r}"
            target = None
        if target is not None:
            taken.setdefault(target, header)
            columns.append((index, target))
        report.append({"header": header, "field": target, "note": note})
    if not errors and not any(f in spec.keys for _, f in columns):
        errors["mapping"] = [spec.keys_reason]
    if errors:
        raise Invalid("the column mapping is not usable", errors)
    return Plan(columns, report)


def cells_of(cells: list, columns: list[tuple[int, str]]) -> dict[str, list[str]]:
    """The non-empty texts of a row per field, in column order."""
    width = len(cells)
    out: dict[str, list[str]] = {}
    for index, name in columns:
        raw = cells[index] if index < width else None
        text = raw.strip() if raw.__class__ is str else cell_text(raw)
        if text:
            out.setdefault(name, []).append(text)
    return out


_FOOTER = ("合计", "总计", "小计", "共计")


def is_footer(cells: list) -> bool:
    """A totals line at the end of an export (its first non-empty cell 合计…): not data."""
    for value in cells:
        t = cell_text(value)
        if t:
            return t.startswith(_FOOTER)
    return False


# ---- values ------------------------------------------------------------------------

class BadValue(ValueError):
    pass


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Anchored with \Z (not $, which also matches before a final newline); every repeat is
# bounded and the text is cut at _DATE_MOST before matching, so no input backtracks.
_DATE = re.compile(r"(\d{4}) {0,3}[-/.年] {0,3}(\d{1,2}) {0,3}[-/.月] {0,3}(\d{1,2}) {0,3}日?"
                   r"(?:[ T][0-9:.+\-Z ]{0,20})?\Z")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})\Z")
_DATE_MOST = 40


def text(value: str, most: int) -> str:
    """A text cell: no control characters, at most `most` characters; our own export's
    guard against spreadsheet formulas (a leading ') removed."""
    if CONTROL.search(value):
        raise BadValue("contains control characters")
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]
    if len(value) > most:
        raise BadValue(f"longer than {most} characters")
    return value


@lru_cache(maxsize=4096)
def parse_date(value: str) -> datetime.date:
    """2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501 (a time after it is
    ignored); an impossible day (1990-02-30) is a bad value."""
    if len(value) > _DATE_MOST:
        raise BadValue(f"{value[:20]!r}...: longer than {_DATE_MOST} characters, not a date")
    t = unicodedata.normalize("NFKC", value).strip()
    match = _DATE.match(t) or _COMPACT_DATE.match(t)
    if not match:
        raise BadValue(f"{value[:20]!r}: not a date (use YYYY-MM-DD)")
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise BadValue(f"{value[:20]!r}: no such day (use YYYY-MM-DD)") from exc
    if not 1900 <= day.year <= 2200:
        raise BadValue(f"{value[:20]!r}: year out of range")
    return day


def row_error(row: int, name: str, reason: str) -> dict:
    return {"row": row, "field": name, "reason": reason}


def with_columns(errors: list[dict], plan: Plan, order: tuple[str, ...]) -> list[dict]:
    """The errors sorted by row and field, each naming the column(s) of its field."""
    rank = {name: i for i, name in enumerate(order)}
    return [{**e, "column": e.get("column") or plan.column_of(e["field"])}
            for e in sorted(errors, key=lambda e: (e["row"], rank.get(e["field"], 99),
                                                  e["reason"]))]
