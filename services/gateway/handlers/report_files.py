"""Report tables as files (issue 13, R3): CSV and XLSX, written in bounded memory.

CSV: UTF-8 with a byte-order mark (Excel reads Chinese right only with it), made as it
is sent, a batch of rows at a time.  A text cell that a spreadsheet would take for a
formula (= + - @ first) is written with a leading apostrophe.

XLSX: xlsxwriter in `constant_memory` mode — each row goes to disk as it is written, so
memory stays flat whatever the row count (bench/p6_export.py: 1,000,000 rows) — into an
anonymous temporary file (gone when closed, even if the process dies), which is then
sent in chunks (`chunks`).  Chinese headers, dates as dates (yyyy-mm-dd), numbers as
numbers, no text ever read as a formula or a link.
"""
import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import xlsxwriter

from services.gateway.domain.report_tables import DATE, TEXT, Column

CHUNK = 64 << 10
CSV_BATCH = 500  # rows per piece of a CSV answer
BOM = "\ufeff"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WIDTH = {DATE: 12, TEXT: 24}
_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


# -- CSV ---------------------------------------------------------------------------------
def csv_chunks(header: list[str], rows: Iterable[tuple]) -> Iterator[bytes]:
    """The CSV file in pieces: the BOM and the header, then CSV_BATCH rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        count += 1
        if count % CSV_BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# -- XLSX --------------------------------------------------------------------------------
def write_xlsx(out: IO[bytes], sheet: str, columns: tuple[Column, ...], rows: Iterable[tuple],
               tmpdir: str | None = None) -> int:
    """The sheet (the header, then every row) written to `out` as an XLSX workbook, one
    row at a time to disk (`tmpdir`: where xlsxwriter keeps its row files, default the
    system's); the rows written."""
    book = xlsxwriter.Workbook(out, {
        "constant_memory": True, "tmpdir": tmpdir, "strings_to_formulas": False,
        "strings_to_urls": False, "strings_to_numbers": False})
    try:
        bold = book.add_format({"bold": True})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        page = book.add_worksheet(sheet.translate(_SHEET_FORBIDDEN)[:31] or "Sheet1")
        for number, column in enumerate(columns):
            page.set_column(number, number, _WIDTH.get(column.kind, 12))
        page.freeze_panes(1, 0)
        page.write_row(0, 0, [column.title for column in columns], bold)
        written = 0
        for written, row in enumerate(rows, start=1):
            for number, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    page.write_string(written, number, value)
                elif isinstance(value, datetime.date):
                    page.write_datetime(written, number, value, day)
                else:
                    page.write_number(written, number, value)
    finally:
        book.close()
    return written


def xlsx_file(sheet: str, columns: tuple[Column, ...], rows: Iterable[tuple],
              tmpdir: str | None = None) -> tuple[IO[bytes], int]:
    """The workbook in an anonymous temporary file, read from its start, and its size.
    Closing it removes it."""
    out = tempfile.TemporaryFile(dir=tmpdir)
    try:
        write_xlsx(out, sheet, columns, rows, tmpdir)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def chunks(file: IO[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """The file's bytes in pieces of `size`; closed (and so removed) at the end, or when
    the client leaves early (the server closes the answer's iterator)."""
    try:
        while piece := file.read(size):
            yield piece
    finally:
        file.close()
