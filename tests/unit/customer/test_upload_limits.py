"""Issue 9, findings 1 and 2: an uploaded import file is read within limits checked
before anything large is allocated — a 1.5 KB workbook that names cell XFD1048576 (a
dense range of 512 GiB in calamine), a 20 MiB CSV of newlines (20 million rows), rows
too wide, cells too long, zip entries that inflate beyond what they declare — each
refused with Invalid naming `file` and the limit, quickly and in bounded memory.  The
header normalisation is linear and headers are bounded.  Free of I/O (the bomb runs in
a child process with a low address-space limit, so a failure cannot take the test run
down)."""
import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from services.common.errors import Invalid
from services.customer.contract import imports as limits
from services.customer.domain import imports as domain
from services.customer.domain import uploads

ROOT = Path(__file__).resolve().parents[3]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def parts(sheet_data: str, extra: dict | None = None) -> dict[str, str]:
    """The parts of a minimal XLSX whose first sheet holds `sheet_data` (the content of
    <sheetData>)."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">'
             f"<sheetData>{sheet_data}</sheetData></worksheet>")
    return {"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _RELS,
            "xl/workbook.xml": _WORKBOOK, "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
            "xl/worksheets/sheet1.xml": sheet, **(extra or {})}


def workbook(sheet_data: str, extra: dict | None = None) -> bytes:
    """A minimal hand-written XLSX, as small as a workbook gets."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts(sheet_data, extra).items():
            z.writestr(name, text)
    return out.getvalue()


HEADER = '<row r="1">' + cell("A1", "姓名") + cell("B1", "手机") + "</row>"
BOMB = workbook('<row r="1">' + cell("A1", "姓名") + '</row>'
                '<row r="1048576">' + cell("XFD1048576", "x") + "</row>")


def refused(filename: str, data: bytes) -> dict:
    """The `file` reasons of the Invalid that reading this upload must raise."""
    with pytest.raises(Invalid) as caught:
        domain.read_table(filename, data)
    assert "file" in caught.value.fields, caught.value.fields
    return caught.value.fields


def in_child(filename: str, data: bytes,
             address_space: int) -> tuple[subprocess.CompletedProcess, float]:
    """Read the upload in a child process limited to `address_space` bytes: a crash
    there (calamine aborts the process when an allocation fails) cannot take the test
    run with it.  The child prints the Invalid's fields as JSON and exits 3."""
    script = textwrap.dedent(f"""
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({address_space}, {address_space}))
        from services.common.errors import Invalid
        from services.customer.domain import imports
        data = sys.stdin.buffer.read()
        try:
            table = imports.read_table({filename!r}, data)
        except Invalid as exc:
            print(json.dumps(exc.fields, ensure_ascii=False))
            sys.exit(3)
        print("read", len(table.rows), "rows")
    """)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True,
                          cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return done, time.monotonic() - started


class TestFinding1Bombs:
    def test_finding1_xlsx_dimension_bomb_is_refused_before_allocation(self):
        """Finding 1: cells A1 and XFD1048576 in a 1.5 KB workbook made calamine ask for
        a 16384 × 1048576 range (512 GiB) and abort the process.  Refused from the
        sheet's real extent before calamine runs: Invalid naming `file` and the column
        limit, within seconds, in a process allowed 1.5 GiB."""
        assert len(BOMB) < 2048
        done, seconds = in_child("bomb.xlsx", BOMB, 1536 * 1024 * 1024)
        assert done.returncode == 3, (done.returncode, done.stdout, done.stderr[-2000:])
        reasons = json.loads(done.stdout)["file"]
        assert any(str(limits.MAX_COLUMNS) in r for r in reasons), reasons
        assert seconds < 20

    def test_finding1_xlsx_far_row_is_refused_before_allocation(self):
        data = workbook(HEADER + f'<row r="{limits.MAX_ROWS + 1}">'
                        + cell(f"A{limits.MAX_ROWS + 1}", "x") + "</row>")
        reasons = refused("far.xlsx", data)["file"]
        assert any(f"{limits.MAX_ROWS:,}" in r for r in reasons), reasons

    def test_finding1_xlsx_cells_without_references_are_placed_as_calamine_places_them(self):
        """Cells without `r` follow the one before them: 300 of them in one row reach
        beyond the column limit although no reference says so."""
        data = workbook(HEADER + '<row r="2">'
                        + "<c><v>1</v></c>" * (limits.MAX_COLUMNS + 1) + "</row>")
        assert any(str(limits.MAX_COLUMNS) in r for r in refused("wide.xlsx", data)["file"])
        data = workbook(HEADER + f'<row r="{limits.MAX_ROWS + 5}"><c><v>1</v></c></row>')
        assert refused("tall.xlsx", data)

    def test_finding1_prefixed_and_reordered_cells_are_seen(self):
        """calamine matches element names without their namespace prefix and takes `r`
        wherever it stands in the tag: so does the check."""
        prefixed = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
                    '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>姓名</x:t></x:is></x:c>'
                    '</x:row><x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c>'
                    "</x:row></x:sheetData></x:worksheet>")
        refused("p.xlsx", workbook("", extra={"xl/worksheets/sheet1.xml": prefixed}))
        reordered = workbook(HEADER + '<row r="2"><c t="n" s="0" r="XFD2"><v>1</v></c></row>')
        refused("o.xlsx", reordered)

    def test_finding1_a_sheet_the_workbook_points_elsewhere_is_checked(self):
        """The first sheet is wherever the workbook's relationships say, not only under
        xl/worksheets/."""
        rels = _WORKBOOK_RELS.replace("worksheets/sheet1.xml", "/xl/elsewhere/data.bin")
        data = workbook(HEADER, extra={
            "xl/_rels/workbook.xml.rels": rels,
            "xl/elsewhere/data.bin": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
                                     f'{cell("XFD1", "x")}</row></sheetData></worksheet>'})
        refused("e.xlsx", data)

    def test_finding1_csv_of_newlines_is_refused_with_bounded_memory(self):
        """Finding 1: a 20 MiB CSV of newlines held 20 million rows in memory (≈ 3 GB).
        Read streaming with a row limit: Invalid naming the limit, in a process allowed
        1 GiB."""
        data = b"\n" * limits.MAX_FILE_BYTES
        done, seconds = in_child("lines.csv", data, 1024 * 1024 * 1024)
        assert done.returncode == 3, (done.returncode, done.stdout, done.stderr[-2000:])
        reasons = json.loads(done.stdout)["file"]
        assert any(f"{limits.MAX_ROWS:,}" in r for r in reasons), reasons
        assert seconds < 20

    def test_finding1_csv_rows_columns_cells_and_total_are_bounded(self):
        too_many_rows = b"name\n" + b"a\n" * limits.MAX_ROWS
        assert any(f"{limits.MAX_ROWS:,}" in r for r in refused("r.csv", too_many_rows)["file"])
        wide = ("姓名," * (limits.MAX_COLUMNS + 1) + "\n").encode()
        assert any(str(limits.MAX_COLUMNS) in r for r in refused("w.csv", wide)["file"])
        long_cell = ("姓名,手机\n张三," + "1" * (limits.MAX_CELL_CHARS + 1) + "\n").encode()
        assert any(f"{limits.MAX_CELL_CHARS:,}" in r for r in refused("c.csv", long_cell)["file"])
        # one record of a million commas: refused before the csv module builds it
        commas = b"a" + b"," * (2 * limits.MAX_RECORD_CHARS)
        assert refused("commas.csv", commas)
        # a quoted field running over many lines counts as one record
        runaway = b'name\n"' + b"x\n" * limits.MAX_RECORD_CHARS + b'"\n'
        assert refused("q.csv", runaway)
        rows = limits.MAX_CELLS // 200 + 1
        total = ("\n".join([",".join(["x"] * 200)] * rows) + "\n").encode()
        assert any(f"{limits.MAX_CELLS:,}" in r for r in refused("t.csv", total)["file"])

    def test_finding1_limits_leave_real_files_alone(self):
        rows = [["姓名", "手机", "备注"]] + [[f"客户{i}", "13800138000", "x" * 100]
                                            for i in range(2000)]
        out = io.StringIO(newline="")
        csv.writer(out).writerows(rows)
        table = domain.read_table("ok.csv", out.getvalue().encode())
        assert len(table.rows) == 2000
        data = workbook(HEADER + "".join(
            f'<row r="{n}">{cell(f"A{n}", "张三")}<c r="B{n}"><v>13800138000</v></c></row>'
            for n in range(2, 500)))
        table = domain.read_table("ok.xlsx", data)
        assert table.headers == ["姓名", "手机"] and len(table.rows) == 498
        assert table.rows[0] == (2, ["张三", 13800138000.0])


class TestFinding1Zip:
    def _entry_larger_than_declared(self) -> bytes:
        """A zip whose sheet entry declares 300 bytes (and the CRC of those 300 bytes)
        but inflates to megabytes naming far cells."""
        honest = HEADER + '<row r="2">' + cell("A2", "张三") + "</row>"
        tail = '<row r="3"><c r="XFD3"><v>1</v></c></row>' * 40_000
        sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>{honest}{tail}</sheetData>'
                 "</worksheet>").encode()
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = deflater.compress(sheet) + deflater.flush()
        entries = [(name, text.encode()) for name, text in parts(honest).items()]
        return _hand_zip(entries, lie={"xl/worksheets/sheet1.xml":
                                       (300, zlib.crc32(sheet[:300]), raw)})

    def test_finding1_an_entry_that_inflates_beyond_its_declared_size_is_refused(self):
        data = self._entry_larger_than_declared()
        reasons = refused("lie.xlsx", data)["file"]
        assert any("declares" in r for r in reasons), reasons

    def test_finding1_compression_ratio_and_total_size_are_bounded(self):
        # 60 MiB of one repeated text cell compresses about a thousand times
        filler = "<row><c t=\"inlineStr\"><is><t>" + "a" * 1000 + "</t></is></c></row>"
        sheet_data = HEADER + filler * 60_000
        reasons = refused("ratio.xlsx", workbook(sheet_data))["file"]
        assert any("compress" in r for r in reasons), reasons

    def test_finding1_duplicate_names_and_other_workbook_formats_are_refused(self):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z, pytest.warns(UserWarning):
            z.writestr("xl/workbook.xml", _WORKBOOK)
            z.writestr("xl/workbook.xml", _WORKBOOK)
        refused("dup.xlsx", out.getvalue())
        # an XLSB or ODS inside a zip would be read by another calamine reader
        refused("b.xlsx", workbook(HEADER, extra={"xl/workbook.bin": "x"}))
        refused("o.xlsx", workbook(HEADER, extra={"content.xml": "<x/>"}))
        for name, head in (("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600),
                           ("sheet.ods", b"PK\x03\x04" + b"\0" * 600),
                           ("b.xlsb", b"PK\x03\x04" + b"\0" * 600)):
            reasons = refused(name, head)["file"]
            assert any("XLSX" in r and "CSV" in r for r in reasons), (name, reasons)

    def test_finding1_shared_strings_are_bounded(self, monkeypatch):
        """calamine keeps every shared string: `<si/>` (5 bytes) costs a String each."""
        monkeypatch.setattr(limits, "MAX_CELLS", 1000)
        sst = '<sst xmlns="' + MAIN + '">' + "<si><t>x</t></si>" * 1001 + "</sst>"
        reasons = refused("s.xlsx", workbook(HEADER, extra={"xl/sharedStrings.xml": sst}))
        assert any("shared strings" in r for r in reasons["file"]), reasons


def _hand_zip(entries: list[tuple[str, bytes]], lie: dict) -> bytes:
    """A deflated zip written byte by byte; `lie[name] = (size, crc, raw)` stores `raw`
    for that entry and declares `size` and `crc` for it."""
    import struct
    body, central = io.BytesIO(), io.BytesIO()
    for name, content in entries:
        encoded = name.encode()
        if name in lie:
            size, crc, raw = lie[name]
        else:
            deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = deflater.compress(content) + deflater.flush()
            size, crc = len(content), zlib.crc32(content)
        offset = body.tell()
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw),
                               size, len(encoded), 0) + encoded + raw)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                                  len(raw), size, len(encoded), 0, 0, 0, 0, 0, offset)
                      + encoded)
    start, directory = body.tell(), central.getvalue()
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                      len(directory), start, 0)
    return body.getvalue() + directory + end


class TestFinding2Headers:
    def test_finding2_header_key_is_linear(self):
        """Finding 2: `header_key` removed bracketed remarks with a lazy regex that is
        quadratic on unclosed brackets (20,000 of them took 3 s)."""
        for text in ("(" * 20_000, "【" * 20_000, "(a" * 10_000 + ")"):
            started = time.monotonic()
            domain.header_key(text)
            assert time.monotonic() - started < 0.2, text[:10]
        assert domain.header_key("手机（必填）") == "手机"
        assert domain.header_key("(a)(b") == "(b"
        assert domain.header_key("a(b\nc)d") == "a(b\nc)d".replace("\n", "")

    def test_finding2_a_header_longer_than_the_limit_is_invalid(self):
        long_header = "姓" * (limits.MAX_HEADER_CHARS + 1)
        data = f"姓名,手机,{long_header}\n张三,13800138000,x\n".encode()
        reasons = refused("h.csv", data)["file"]
        assert any(str(limits.MAX_HEADER_CHARS) in r for r in reasons), reasons
        # a long title row above the header is no header: it is skipped, not refused
        table = domain.read_table("t.csv", (long_header + "\n姓名,手机\n张三,1\n").encode())
        assert table.headers == ["姓名", "手机"]


class TestFinding1SheetScan:
    """The scan must see every cell calamine will place: its fast way (one regular
    expression a piece, for `<c r="A1"` cells) and its exact way (an XML parser) agree
    with each other and with calamine on random sheets, whatever the pieces."""

    @staticmethod
    def scanned(xml: bytes, rng) -> tuple[int, int]:
        def run(cls):
            scanner, position = cls("sheet"), 0
            while position < len(xml):
                step = rng.choice((1, 7, 64, 4096))
                scanner.feed(xml[position:position + step])
                position += step
            scanner.close()
            return scanner.extent.rows, scanner.extent.columns
        exact = run(uploads.ExactCells)
        try:
            fast = run(uploads.FastCells)
        except uploads._Unusual:  # noqa: SLF001 — the fast way hands over, as designed
            fast = exact
        assert fast == exact
        return exact

    def test_finding1_fast_and_exact_scans_agree_with_calamine(self):
        import random

        import python_calamine
        rng = random.Random(91)
        for trial in range(60):
            spelling = trial % 4  # 0, 1: `<c r=` first; 2: r last; 3: some without r
            rows = []
            for r in rng.sample(range(1, 40), rng.randint(1, 8)):
                columns = sorted(rng.sample(range(1, 60), rng.randint(1, 6)))
                if trial % 5 == 0:
                    rng.shuffle(columns)
                cells = []
                for c in columns:
                    ref = f"{uploads._letters(c)}{r}"  # noqa: SLF001
                    if spelling == 2:
                        cells.append(f'<c t="n" r="{ref}"><v>{c}</v></c>')
                    elif spelling == 3 and rng.random() < 0.5:
                        cells.append(f"<c><v>{c}</v></c>")
                    else:
                        cells.append(f'<c r="{ref}"><v>{c}</v></c>')
                rows.append(f'<row r="{r}">' + "".join(cells) + "</row>")
            data = workbook("".join(rows))
            xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
            expected = (len(grid), max(len(row) for row in grid))
            assert self.scanned(xml, rng) == expected, (trial, xml[:300])
