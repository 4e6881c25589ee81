"""Reading tables from CSV (UTF-8 with or without BOM, or Shift_JIS/CP932) and XLSX files, row by row.

A table is a header row and data rows; blank rows and rows whose first cell starts with '#'
(explanations, as in `carekb batch --template`) are skipped. Every row keeps its row number in
the file (1-based, as a spreadsheet shows it), so that messages can point at it.

Rows are streamed: `Sheet.rows` is an iterator for `open_table` (memory bounded by one row, the
XLSX shared strings and the caller), a list for `read_csv` and `read_table` (small files: effort
tables, staff rosters, tests). A damaged file (bad zip, bad XML, bad cell reference, a workbook
that claims more cells than it holds) is one CarekbError, never a traceback nor a MemoryError.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.i18n import t

MAX_CSV_BYTES = 4_000_000_000          # read as a stream: the limit is only against mistakes (a disk image)
MAX_XLSX_BYTES = 500_000_000           # the zip itself
MAX_XLSX_PART_BYTES = 2_000_000_000    # one sheet's XML once inflated (streamed, never held)
MAX_SHARED_STRINGS_BYTES = 200_000_000  # the shared strings are held in memory by openpyxl
MAX_CELL_CHARS = 32_767                # Excel's own limit on a cell
MAX_COLUMNS = 16_384                   # Excel's XFD
_CHUNK = 1 << 18           # encoding check: 256 kB read at a time


@dataclass
class Sheet:
    source: str                 # file name (and sheet name for a workbook)
    header: list[str]
    rows: Iterable[tuple[int, list]] = field(default_factory=list)   # (row number, cells), cells padded to the header
    header_row: int = 1
    encoding: str = ""


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM optional), else CP932 (Shift_JIS)."""
    enc = detect_encoding(lambda: iter([raw]), source)
    return raw.decode(enc), enc


def detect_encoding(chunks, source: str) -> str:
    """'utf-8-sig' or 'cp932' for the bytes that `chunks()` yields (read once or twice, never held).

    UTF-8 unless a byte cannot be UTF-8; a broken byte after valid multi-byte UTF-8 is an error (a
    damaged UTF-8 file, not Shift_JIS). CP932 must then decode everything, and Python's cp932 maps
    the unassigned bytes 0xA0, 0xFD–0xFF to private-use characters: those are not text either."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    offset, high, lines = 0, False, 0
    for c in chunks():
        held = utf8.getstate()[0]   # an unfinished character from the last chunk: decoded with this one
        base = offset - len(held)
        try:
            utf8.decode(c)
        except UnicodeDecodeError as e:
            data = held + c
            if high or not data[:e.start].isascii():
                _undecodable(data[e.start:e.start + 1], base + e.start, lines + data.count(b"\n", 0, e.start) + 1, source)
            return _check_cp932(chunks, source)
        high = high or not c.isascii()
        offset += len(c)
        lines += c.count(b"\n")
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        if high:
            _undecodable(utf8.getstate()[0][:1], offset - len(utf8.getstate()[0]), lines + 1, source)
        return _check_cp932(chunks, source)
    return "utf-8-sig"


def _check_cp932(chunks, source: str) -> str:
    dec = codecs.getincrementaldecoder("cp932")()
    offset, lines = 0, 0
    for c in chunks():
        try:
            text = dec.decode(c)
        except UnicodeDecodeError as e:
            _undecodable(c[e.start:e.start + 1], offset + e.start, lines + c.count(b"\n", 0, e.start) + 1, source)
        odd = next((i for i, ch in enumerate(text) if "\uf8f0" <= ch <= "\uf8f3"), None)
        if odd is not None:
            at = len(text[:odd].encode("cp932"))
            _undecodable(c[at:at + 1], offset + at, lines + c.count(b"\n", 0, at) + 1, source)
        offset += len(c)
        lines += c.count(b"\n")
    return "cp932"


def _undecodable(byte: bytes, offset: int, line: int, source: str):
    raise CarekbError(t("inputs.table.undecodable", byte=byte.hex(), offset=offset), source, t("err.place.line", line=line))


def _blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _comment(cells: list) -> bool:
    first = next((c for c in cells if c is not None and str(c).strip()), None)
    return isinstance(first, str) and first.lstrip().startswith("#")


def _sheet(source: str, numbered: Iterator[tuple[int, list]], encoding: str = "") -> Sheet:
    """The header (first row that is neither blank nor a comment) and a lazy iterator of the rest."""
    for hn, header in numbered:
        if not _blank(header) and not _comment(header):
            break
    else:
        raise CarekbError(t("inputs.table.no_header"), source)
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header = header[:-1]
    header = ["" if h is None else str(h).strip() for h in header]
    width = len(header)

    def body():
        for n, cells in numbered:
            first = cells[0] if cells else None
            # most rows start with a number or a text that starts with neither a space nor '#': not
            # blank, not a comment, known from that cell alone (the serial part of a batch reads every row)
            if not (type(first) is str and first and not first[0].isspace() and first[0] != "#"
                    or type(first) in _NUMBER_TYPES):
                if _blank(cells) or _comment(cells):
                    continue
            if len(cells) != width:
                if len(cells) > width:
                    if not _blank(cells[width:]):
                        raise CarekbError(t("inputs.table.too_many_cells", cells=len(cells), width=width), source,
                                          t("inputs.place.row", row=n))
                    cells = cells[:width]
                else:
                    cells = list(cells) + [None] * (width - len(cells))
            yield n, cells
    return Sheet(source, header, body(), hn, encoding)


_NUMBER_TYPES = (int, float)    # exactly these (not bool): a cell that is neither blank nor a comment's start


# --------------------------------------------------------------------------- CSV

def open_csv(path: str | Path) -> Sheet:
    """The CSV file as a Sheet whose rows are read lazily (two passes: the encoding, then the rows)."""
    source = str(path)
    p = _checked(path, MAX_CSV_BYTES)
    enc = detect_encoding(lambda: _chunks(p, source), source)
    return _sheet(source, _csv_rows(p, source, enc), enc)


def _chunks(p: Path, source: str) -> Iterator[bytes]:
    try:
        with p.open("rb") as f:
            while chunk := f.read(_CHUNK):
                if b"\0" in chunk:
                    raise CarekbError(t("inputs.table.binary"), source)
                yield chunk
    except OSError as e:
        raise CarekbError(t("inputs.cannot_read", why=e.strerror), source) from None


def _csv_rows(p: Path, source: str, enc: str) -> Iterator[tuple[int, list]]:
    # Comma-separated, or tab for .tsv; no sniffing: it misreads Japanese text with few commas.
    delimiter = "\t" if source.lower().endswith(".tsv") else ","
    try:
        with p.open("r", encoding=enc, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            try:
                for cells in reader:
                    if len(cells) > MAX_COLUMNS:
                        raise CarekbError(t("inputs.table.row_too_wide", cells=len(cells), limit=MAX_COLUMNS), source,
                                          t("err.place.line", line=reader.line_num))
                    yield reader.line_num, cells
            except csv.Error as e:
                raise CarekbError(t("inputs.table.bad_csv", why=e), source, t("err.place.line", line=reader.line_num)) from None
    except OSError as e:
        raise CarekbError(t("inputs.cannot_read", why=e.strerror), source) from None


def read_csv(path: str | Path, raw: bytes | None = None) -> tuple[Sheet, str]:
    """The whole CSV file as a Sheet (rows in a list), and the encoding it was read with."""
    sheet = open_csv(path)
    sheet.rows = list(sheet.rows)
    return sheet, sheet.encoding


# Cells are text, whatever their length: the csv module's 128 kB default would make a long
# cell a file error; the per-cell check (MAX_CELL_CHARS) is the caller's, on the columns it reads.
csv.field_size_limit(16 * MAX_CELL_CHARS)


# --------------------------------------------------------------------------- XLSX

def open_xlsx(path: str | Path) -> dict[str, Sheet]:
    """Every non-empty sheet of the workbook by name (values, not formulas), rows read lazily.

    The workbook's own claim of its size (<dimension>) is ignored: a 5 kB file may claim
    1,048,576 × 16,384 cells, and openpyxl would pad every row to it."""
    from openpyxl import load_workbook

    source = str(path)
    p = _checked(path, MAX_XLSX_BYTES)
    try:
        with zipfile.ZipFile(p) as z:
            for info in z.infolist():
                limit = MAX_SHARED_STRINGS_BYTES if info.filename.lower().endswith("sharedstrings.xml") else MAX_XLSX_PART_BYTES
                if info.file_size > limit:
                    raise CarekbError(t("inputs.table.xlsx_part_too_large", part=info.filename,
                                        size=info.file_size, limit=limit), source)
        wb = load_workbook(p, read_only=True, data_only=True)
    except CarekbError:
        raise
    except Exception as e:  # anything raised while parsing an untrusted zip/XML means a damaged file
        raise CarekbError(t("inputs.table.bad_xlsx", why=_why(e)), source) from None
    out = {}
    try:
        for ws in wb.worksheets:
            name = f"{source} [{ws.title}]"
            ws.reset_dimensions()
            rows = _xlsx_rows(ws, name)
            try:
                out[ws.title] = _sheet(name, rows)
            except CarekbError as e:
                if "no header row" not in e.message:
                    raise
    except Exception:
        wb.close()
        raise
    return out   # each sheet's row iterator holds the workbook (and its open zip) while it is read


def _xlsx_rows(ws, source: str) -> Iterator[tuple[int, list]]:
    it = ws.iter_rows(values_only=True)
    n = 0
    while True:
        try:
            cells = next(it)
        except StopIteration:
            return
        except CarekbError:
            raise
        except Exception as e:
            raise CarekbError(t("inputs.table.damaged_sheet", row=n, why=_why(e)), source) from None
        n += 1
        yield n, list(cells)


def _why(e: BaseException) -> str:
    text = str(e).splitlines()[0][:200] if str(e) else ""
    return f"{e.__class__.__name__}: {text}" if text else e.__class__.__name__


def read_xlsx(path: str | Path) -> dict[str, Sheet]:
    """Every non-empty sheet of the workbook, rows in lists."""
    sheets = open_xlsx(path)
    for s in sheets.values():
        s.rows = list(s.rows)
    return sheets


# --------------------------------------------------------------------------- either

def open_table(path: str | Path) -> dict[str, Sheet]:
    """A CSV file as one sheet named '' or a workbook's sheets, rows read lazily; the kind is decided
    by the suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheets = open_xlsx(path)
        if not sheets:
            raise CarekbError(t("inputs.table.empty_workbook"), str(path))
        return sheets
    if suffix in (".csv", ".txt", ".tsv"):
        return {"": open_csv(path)}
    raise CarekbError(t("inputs.table.unsupported_type", suffix=suffix or t("inputs.table.no_suffix")), str(path))


def read_table(path: str | Path) -> dict[str, Sheet]:
    """`open_table` with every sheet's rows read into a list."""
    sheets = open_table(path)
    for s in sheets.values():
        s.rows = list(s.rows)
    return sheets


def _checked(path: str | Path, limit: int) -> Path:
    p = Path(path)
    if not p.is_file():
        raise CarekbError(t("err.file_not_found"), str(path))
    size = p.stat().st_size
    if size > limit:
        raise CarekbError(t("inputs.table.too_large", size=size, limit=limit), str(path))
    return p
