"""Reading an uploaded import file within limits (C7; issue 9, finding 1).  No I/O: the
file's bytes are in memory (at most MAX_FILE_BYTES); nothing that grows with what they
describe is built before its limit is checked.

- CSV is decoded and split streaming.  The csv module pulls lines through a counter of
  the characters of the record being read, so a record of a million commas or a quoted
  field running to the end of the file is refused before the record exists; rows,
  columns, characters per cell and cells in all are checked record by record.
- XLSX is checked before calamine sees it.  calamine builds a dense range from the first
  to the last cell it finds — cells A1 and XFD1048576 ask for 512 GiB, and a failed
  allocation aborts the process, beyond any `except`.  So first the zip: no prefix or
  comment, no duplicate names, stored or deflated parts whose declared sizes, ratio and
  total stay within limits, and which inflate (streaming, here) to exactly the bytes
  and CRC they declare, since calamine's own zip reader trusts its input.  Then every
  part calamine could read as a sheet (any entry under xl/worksheets/, chartsheets/,
  dialogsheets/: calamine reads a sheet from no other place; and whatever the workbook's
  relationships name) is scanned for its cells, placed as calamine places them, and
  rows × columns must stay within MAX_CELLS; shared strings (calamine keeps each one)
  are counted.  A zip that another calamine reader would take (XLSB, ODS) is refused.
  Only then is calamine asked, for a range known to be small.

A file beyond a limit is Invalid with a reason under `file` naming the limit.
"""
import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from services.common.errors import Invalid
from services.customer.contract import imports as limits


def refusal(reason: str) -> Invalid:
    return Invalid("the file is beyond the import limits", {"file": [reason]})


def unreadable(reason: str) -> Invalid:
    return Invalid("the workbook cannot be read", {"file": [reason]})


# ---- CSV -------------------------------------------------------------------------

def text_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, else GB18030 (what Excel in
    Chinese Windows writes).  UTF-8 is checked in pieces: no copy of the text."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), 1 << 16):
            decoder.decode(view[start:start + (1 << 16)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


class _Lines:
    """The lines of the text for the csv module, refusing a record (its lines together:
    a quoted field may hold line breaks) longer than MAX_RECORD_CHARS before it is
    built."""

    def __init__(self, text: io.TextIOWrapper):
        self.text, self.used = text, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.text.readline(limits.MAX_RECORD_CHARS - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > limits.MAX_RECORD_CHARS:
            raise refusal(f"a row longer than {limits.MAX_RECORD_CHARS:,} characters")
        return line


def csv_rows(data: bytes, tab: bool) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each record, streaming, within the row, column, cell and
    total limits."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding=text_encoding(data), newline="")
    lines = _Lines(text)
    budget = Budget()
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter="\t" if tab else ","),
                                       start=1):
            budget.row(number, cells)
            lines.used = 0
            yield number, cells
    except UnicodeError as exc:
        raise Invalid("the file is not readable text",
                      {"file": ["not UTF-8, UTF-16 or GB18030 text"]}) from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise refusal(f"a cell longer than {limits.MAX_CELL_CHARS:,} characters") from exc
        raise Invalid("the file is not valid CSV", {"file": [f"not valid CSV: {exc}"]}) from exc


def first_line(data: bytes) -> str:
    """The start of the file's first line (for guessing its delimiter)."""
    head = data[:16384].decode(text_encoding(data[:16384]), errors="ignore")
    return head.lstrip("\ufeff").split("\n", 1)[0]


class Budget:
    """Rows, columns, characters per cell and cells in all, counted as rows come."""

    def __init__(self):
        self.cells = 0

    def row(self, number: int, cells: list) -> None:
        if number > limits.MAX_ROWS:
            raise refusal(f"more than {limits.MAX_ROWS:,} rows")
        if len(cells) > limits.MAX_COLUMNS:
            raise refusal(f"row {number} has more than {limits.MAX_COLUMNS} columns")
        self.cells += len(cells)
        if self.cells > limits.MAX_CELLS:
            raise refusal(f"more than {limits.MAX_CELLS:,} cells")
        if max(map(_length, cells), default=0) > limits.MAX_CELL_CHARS:
            column = next(i for i, v in enumerate(cells, 1) if _length(v) > limits.MAX_CELL_CHARS)
            raise refusal(f"row {number}, column {column}: a cell longer than"
                          f" {limits.MAX_CELL_CHARS:,} characters")


def _length(value) -> int:
    """Characters of a text cell (a workbook's numbers and dates count none)."""
    return len(value) if value.__class__ is str else 0


# ---- XLSX ------------------------------------------------------------------------

# calamine reads a sheet only from a path whose second part is one of these.
SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")
# Inside a zip, these make calamine pick another reader than the XLSX one.
OTHER_READERS = {"xl/workbook.bin": "XLSB", "content.xml": "ODS"}
_CHUNK = 1 << 20
_EOCD = struct.Struct("<4s4H2LH")
_LOCAL = struct.Struct("<4s5H3L2H")


def workbook_rows(data: bytes) -> list[tuple[int, list]]:
    """(row number, cells) of the first sheet, rows numbered as in the sheet; Invalid
    (field `file`) when the workbook is beyond a limit or unreadable."""
    check_workbook(data)
    import python_calamine  # imported on use: a Rust extension, loaded only by importers

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 — calamine raises many kinds; all mean unreadable
        raise unreadable(f"not a readable workbook ({type(exc).__name__})") from exc
    budget, out = Budget(), []
    for number, cells in enumerate(rows, start=1):
        budget.row(number, cells)
        out.append((number, cells))
    return out


def check_workbook(data: bytes) -> None:
    """Everything calamine will build from this workbook is within the limits."""
    archive = _open_zip(data)
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if len(infos) > limits.MAX_PARTS:
        raise refusal(f"a workbook of more than {limits.MAX_PARTS:,} parts")
    if len(set(names)) != len(names):
        raise unreadable("a zip with two entries of the same name")
    if "xl/workbook.xml" not in names:
        raise unreadable("not an XLSX workbook (no xl/workbook.xml)")
    for name, kind in OTHER_READERS.items():
        if name in names:
            raise unreadable(f"an {kind} workbook inside a zip: save it as XLSX or CSV")
    if sum(i.file_size for i in infos) > limits.MAX_UNZIPPED_BYTES:
        raise refusal(f"parts larger than {limits.MAX_UNZIPPED_BYTES >> 20} MiB"
                      " once decompressed")
    for info in infos:
        _check_declared(info)
    sheets = {n for n in names if n.lower().startswith(SHEET_FOLDERS)}
    sheets |= _related_sheets(data, archive) & set(names)
    shared_strings = SharedStrings()
    for info in infos:
        if info.filename in sheets:
            _check_sheet(data, info)
        else:
            for piece in _inflate(data, info):
                shared_strings.feed(piece)


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip, when it starts at the first byte and ends with its directory (no
    comment): where every zip reader finds the same entries at the same offsets."""
    if not data.startswith(b"PK\x03\x04") or len(data) < _EOCD.size:
        raise unreadable("not a readable workbook (not a zip)")
    signature, disk, first, here, total, size, offset, comment = _EOCD.unpack(
        data[-_EOCD.size:])
    if signature != b"PK\x05\x06" or comment or disk or first or here != total \
            or offset + size != len(data) - _EOCD.size:
        raise unreadable("not a readable workbook (a zip with a comment, a prefix, several"
                         " volumes or a zip64 directory)")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 — zipfile raises many kinds; all mean unreadable
        raise unreadable(f"not a readable workbook ({type(exc).__name__})") from exc


def _check_declared(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if info.flag_bits & 0x1:
        raise unreadable(f"{name}: encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise unreadable(f"{name}: compressed with method {info.compress_type}")
    big = name.lower().startswith(SHEET_FOLDERS) or name.lower().endswith("sharedstrings.xml")
    most = limits.MAX_PART_BYTES if big else limits.MAX_META_BYTES
    if info.file_size > most:
        raise refusal(f"{name}: larger than {most >> 20} MiB once decompressed")
    if info.file_size > (1 << 20) and info.file_size > limits.MAX_RATIO * info.compress_size:
        raise refusal(f"{name}: compressed more than {limits.MAX_RATIO} times")


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes, a piece at a time, refused as soon as they exceed what the
    directory declares; at the end their size and CRC must be the declared ones."""
    name = info.filename
    header = data[info.header_offset:info.header_offset + _LOCAL.size]
    if len(header) < _LOCAL.size:
        raise unreadable(f"{name}: truncated")
    fields = _LOCAL.unpack(header)
    name_length, extra_length = fields[9], fields[10]
    start = info.header_offset + _LOCAL.size
    encoded = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
    if fields[0] != b"PK\x03\x04" or data[start:start + name_length] != encoded:
        raise unreadable(f"{name}: its local header disagrees with the directory")
    start += name_length + extra_length
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise unreadable(f"{name}: truncated")
    left, crc = info.file_size, 0
    inflater = None
    if info.compress_type == zipfile.ZIP_STORED:
        pieces: Iterator[bytes] = (bytes(raw[i:i + _CHUNK]) for i in range(0, len(raw), _CHUNK))
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        pieces = _inflated(inflater, raw, lambda: left, name)
    for piece in pieces:
        if len(piece) > left:
            raise refusal(f"{name}: decompresses beyond the {info.file_size:,} bytes it declares")
        left -= len(piece)
        crc = zlib.crc32(piece, crc)
        yield piece
    if left or crc != info.CRC or (inflater is not None and not inflater.eof):
        raise unreadable(f"{name}: does not decompress to what it declares")


def _inflated(inflater, raw: memoryview, room, name: str) -> Iterator[bytes]:
    """Inflate `raw`, never asking for more than one byte beyond what may still come."""
    position = 0
    while not inflater.eof:
        if inflater.unconsumed_tail:
            feed = inflater.unconsumed_tail
        elif position < len(raw):
            feed, position = raw[position:position + _CHUNK], position + _CHUNK
        else:
            return
        try:
            piece = inflater.decompress(feed, min(_CHUNK, room() + 1))
        except zlib.error as exc:
            raise unreadable(f"{name}: does not decompress") from exc
        if piece:
            yield piece


def _related_sheets(data: bytes, archive: zipfile.ZipFile) -> set[str]:
    """The parts the workbook's relationships name, turned into paths as calamine does
    (the sheets among them; the others are scanned too, to no harm)."""
    name = "xl/_rels/workbook.xml.rels"
    if name not in archive.NameToInfo:
        return set()
    text = b"".join(_inflate(data, archive.getinfo(name)))
    if b"&" in text:  # calamine reads targets raw: an entity would be read two ways
        raise unreadable(f"{name}: a character reference in a relationship")
    targets: list[str] = []

    def start(tag, attributes):
        if tag.rpartition(":")[2] == "Relationship":
            targets.extend(v for k, v in attributes.items() if k.rpartition(":")[2] == "Target")

    parser = _parser(name)
    parser.StartElementHandler = start
    _parse(parser, text, True, name)
    return {t[1:] if t.startswith("/xl/") else t if t.startswith("xl/") else "xl/" + t
            for t in targets}


def _parser(name: str):
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def no_doctype(*_):
        raise unreadable(f"{name}: a document type declaration")

    parser.StartDoctypeDeclHandler = no_doctype
    return parser


def _parse(parser, piece: bytes, final: bool, name: str) -> None:
    try:
        parser.Parse(piece, final)
    except expat.ExpatError as exc:
        raise unreadable(f"{name}: not well-formed XML ({exc})") from exc


class SharedStrings:
    """calamine keeps every shared string (`<si/>`, five bytes, costs it a String):
    they are counted in every part that is not a sheet."""

    PATTERN = re.compile(rb"[<:]si[\s/>]")

    def __init__(self):
        self.count, self.tail = 0, b""

    def feed(self, piece: bytes) -> None:
        text = self.tail + piece
        cut = text.rfind(b"<")  # a tag holds no "<": none straddles the cut
        if cut <= 0:  # no tag starts after the first byte: text (or binary) only
            cut = max(len(text) - 8, 0)
        self.count += len(self.PATTERN.findall(text, 0, cut))
        self.tail = text[cut:]
        if self.count > limits.MAX_CELLS:
            raise refusal(f"more than {limits.MAX_CELLS:,} shared strings")


class _Unusual(Exception):
    """A cell spelled otherwise than `<c r="A1"`: the part goes the exact way."""


def _check_sheet(data: bytes, info: zipfile.ZipInfo) -> None:
    """The sheet's extent within the limits: the fast way, else the exact one."""
    try:
        fast = FastCells(info.filename)
        for piece in _inflate(data, info):
            fast.feed(piece)
        fast.close()
    except _Unusual:
        exact = ExactCells(info.filename)
        for piece in _inflate(data, info):
            exact.feed(piece)
        exact.close()


class Extent:
    """The last row and column calamine will give a sheet, refused as soon as they are
    beyond the limits (calamine's range runs from A1 to them: rows × columns cells)."""

    def __init__(self, name: str):
        self.name, self.rows, self.columns = name, 0, 0

    def place(self, row: int, column: int) -> None:
        if row <= self.rows and column <= self.columns:
            return
        self.rows, self.columns = max(self.rows, row), max(self.columns, column)
        if self.columns > limits.MAX_COLUMNS:
            raise refusal(f"{self.name}: a cell beyond column {limits.MAX_COLUMNS}")
        if self.rows > limits.MAX_ROWS:
            raise refusal(f"{self.name}: a cell beyond row {limits.MAX_ROWS:,}")
        if self.rows * self.columns > limits.MAX_CELLS:
            raise refusal(f"{self.name}: {self.rows:,} rows × {self.columns} columns, more"
                          f" than {limits.MAX_CELLS:,} cells")


def _start(piece: bytes, name: str) -> None:
    """A sheet calamine would decode otherwise than as UTF-8 is not read: its cells
    would hide from a scan of the bytes."""
    head = piece[:1024]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in head or _NOT_UTF8.match(head):
        raise unreadable(f"{name}: not UTF-8")


_NOT_UTF8 = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*[\"'](?!utf-8[\"'])",
                       re.IGNORECASE)


class FastCells:
    """The cells of a sheet written as Excel, LibreOffice and openpyxl write them, every
    one `<c r="A1" ...`.  A piece costs one regular-expression scan: the last cell's row
    is the likely new last row, and the scan looks for any cell beyond it or beyond the
    last column so far (then that piece's cells are read one by one).  Any other
    spelling of a cell (a prefix, `r` not first, other quotes or spaces, a character
    reference, no `r`) raises _Unusual."""

    CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
    UNUSUAL = rb'<c(?:[\t\n\r/>]| (?!r="[A-Z]{1,3}[1-9][0-9]{0,6}"))'
    PREFIXED = re.compile(rb":c[\s/>]")

    def __init__(self, name: str):
        self.name, self.extent, self.tail = name, Extent(name), b""
        self.started = False

    def feed(self, piece: bytes) -> None:
        if not self.started:
            self.started = True
            _start(piece, self.name)
        text = self.tail + piece
        cut = text.rfind(b"<")  # neither a tag nor a reference holds "<": none straddles
        if cut <= 0:
            if len(text) > limits.MAX_RECORD_CHARS:  # no cell within the limits needs it
                raise refusal(f"{self.name}: a tag or text longer than"
                              f" {limits.MAX_RECORD_CHARS:,} bytes")
            self.tail = text
            return
        self._cells(text[:cut])
        self.tail = text[cut:]

    def close(self) -> None:
        self._cells(self.tail)

    def _cells(self, text: bytes) -> None:
        if self.PREFIXED.search(text):
            raise _Unusual
        extent = self.extent
        last = self.CELL.match(text, max(text.rfind(b'<c r="'), 0))
        rows = max(extent.rows, int(last.group(2)) if last else 0)
        if _beyond(rows, extent.columns).search(text) is None:
            if rows > extent.rows:
                extent.place(rows, 1)
            return
        if re.search(self.UNUSUAL, text):
            raise _Unusual
        for letters, digits in self.CELL.findall(text):
            extent.place(int(digits), _column(letters))


def _beyond(rows: int, columns: int) -> re.Pattern:
    """A cell not spelled `<c r="A1"`, or one beyond this row or this column."""
    letters = _letters(columns) if columns else ""
    wider = _greater(letters, "A", "Z", 3) if letters else "[A-Z]{1,3}"
    return re.compile(FastCells.UNUSUAL + b'|<c r="(?:(?:' + wider.encode()
                      + b')[1-9]|[A-Z]{1,3}' + _greater(str(rows), "0", "9", 7).encode()
                      + b'")')


def _greater(text: str, low: str, high: str, longest: int) -> str:
    """A regular expression for the strings over low..high (the first not `low` when
    they are digits) greater than `text`: longer ones, or as long and greater at the
    first place they differ."""
    first = chr(ord(low) + 1) if low == "0" else low
    options = [f"[{first}-{high}][{low}-{high}]{{{len(text)},{longest - 1}}}"] \
        if len(text) < longest else []
    for i, c in enumerate(text):
        if c < high:
            options.append(re.escape(text[:i]) + f"[{chr(ord(c) + 1)}-{high}]"
                           + f"[{low}-{high}]{{{len(text) - i - 1}}}")
    return "(?:" + "|".join(options) + ")" if options else "(?!)"


def _letters(column: int) -> str:
    """`B` for 2, `AA` for 27."""
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


class ExactCells:
    """Every cell placed as calamine places it: by its `r`, else after the cell before
    it (`<row r>` sets the row, the end of a row moves to the next), element names
    matched without their prefix.  A prefixed `r`, which calamine ignores, is counted
    too."""

    def __init__(self, name: str):
        self.name, self.extent = name, Extent(name)
        self.row = self.column = 0  # calamine's counters, from 0
        self.since_tag = 0
        self.started = False
        self.parser = _parser(name)
        self.parser.StartElementHandler = self._open
        self.parser.EndElementHandler = self._close

    def feed(self, piece: bytes) -> None:
        if not self.started:
            self.started = True
            _start(piece, self.name)
        last = piece.rfind(b">")
        self.since_tag = len(piece) - last - 1 if last >= 0 else self.since_tag + len(piece)
        if self.since_tag > limits.MAX_RECORD_CHARS:
            raise refusal(f"{self.name}: a tag or text longer than"
                          f" {limits.MAX_RECORD_CHARS:,} bytes")
        _parse(self.parser, piece, False, self.name)

    def close(self) -> None:
        _parse(self.parser, b"", True, self.name)

    def _open(self, tag: str, attributes: dict) -> None:
        local = tag.rpartition(":")[2]
        if local == "row":
            if "r" in attributes:
                self.row = _row(attributes["r"], self.name) - 1
        elif local == "c":
            for key, value in attributes.items():
                if key != "r" and key.rpartition(":")[2] == "r":
                    self.extent.place(*_reference(value, self.name))
            if "r" in attributes:
                row, column = _reference(attributes["r"], self.name)
                self.column = column - 1
                self.extent.place(row, column)
            else:
                self.extent.place(self.row + 1, self.column + 1)

    def _close(self, tag: str) -> None:
        local = tag.rpartition(":")[2]
        if local == "row":
            self.row, self.column = self.row + 1, 0
        elif local == "c":
            self.column += 1


_REFERENCE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def _column(letters: bytes | str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ((letter if isinstance(letter, int) else ord(letter)) - 64)
    return number


def _reference(text: str, part: str) -> tuple[int, int]:
    """(row, column), both from 1, of a cell reference such as `B12`."""
    match = _REFERENCE.fullmatch(text)
    if match is None:
        raise unreadable(f"{part}: {text[:20]!r} is not a cell reference")
    return int(match.group(2)), _column(match.group(1))


def _row(text: str, part: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 7 or int(text) < 1:
        raise unreadable(f"{part}: {text[:20]!r} is not a row number")
    return int(text)
