"""CSV output written in chunks: UTF-8 with a BOM (so that Excel reads it) or CP932 (Shift_JIS).

Cells are written as given: identifiers are strings and stay strings (leading zeros kept), None
is an empty cell, a date is YYYY-MM-DD. A character CP932 cannot hold is one clear error naming the line.

Rows come one at a time (`append`, a list of cells) or already encoded (`write_rows`, from parts
made by `cells`, which a caller prepares once for its constant cells): a batch of 100,000 offices
has 5 million action rows, too many to go cell by cell.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError

# Unicode punctuation that CP932 lacks, as the CP932 characters Windows shows for it (same meaning).
CP932_LOOKALIKES = str.maketrans({"\u2013": "-", "\u2014": "\u2015", "\u2212": "\uff0d", "\u301c": "\uff5e",
                                  "\u2016": "\u2225", "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2"}
                                 | {chr(0x3251 + i): f"({21 + i})" for i in range(15)})   # ㉑–㉟: CP932 stops at ⑳
FLUSH_ROWS = 512   # rows joined and written at once: ~150 kB of actions stay in the CPU cache (4,096: 2× slower)


class CsvWriter:
    """Rows appended one at a time or as encoded parts, written every FLUSH_ROWS rows."""

    row_end = b"\r\n"    # what ends an encoded row (carekb.render.encoded_rows joins whole rows with it)

    def __init__(self, path: str | Path, headers: list[str], encoding: str = "utf-8-sig", comments=(),
                 target: str = ""):
        self.path, self.encoding, self.target = Path(path), encoding, target or str(path)
        self.rows = 0
        self._pending: list[bytes] = []   # parts of rows, joined when written
        self._unflushed = 0
        self._cp932 = encoding == "cp932"
        try:
            self._f = self.path.open("wb")
        except OSError as e:
            raise CarekbError(t("files.cannot_write_here", reason=e.strerror), self.target) from None
        if encoding == "utf-8-sig":   # the BOM once, then plain UTF-8 for every chunk
            self._f.write(b"\xef\xbb\xbf")
            self.encoding = "utf-8"
        self._write_text("".join(line.replace("\n", " ").replace("\r", " ") + "\r\n" for line in comments)
                         + row_text(headers, neutralise=False), rows=0)

    def encode(self, text: str) -> bytes:
        """`text` in the file's encoding (CP932 lookalikes applied); UnicodeEncodeError if it cannot be held."""
        return (text.translate(CP932_LOOKALIKES) if self._cp932 and not text.isascii() else text).encode(self.encoding)

    def cells(self, values, start: int = 0, end: bool = False) -> bytes:
        """Consecutive cells of a row, encoded (quoted, formulas neutralised), each followed by its comma
        unless `end` (the row ends here; `start`, the first column, matters only to the XLSX writer).
        UnicodeEncodeError if a character cannot be held: the caller then writes the row with `append`,
        which names the line."""
        text = ",".join(map(field_text, values))
        return self.encode(text if end else text + ",")

    def int_cell(self, start: int) -> tuple[bytes, bytes]:
        """(format, empty): `format % n` is the cells of an int n (not a bool) at column `start`, as
        `cells((n,), start)` renders it; `empty` those of None. For numbers that vary row by row."""
        return b"%d,", b","

    def write_row(self, cells: bytes) -> None:
        """A row from `cells` (ending with `end`)."""
        self._pending += (cells, b"\r\n")
        self._count(1)

    def write_rows(self, prefix: bytes, mids: list[bytes], ends: list[bytes]) -> None:
        """Rows prefix + mids[i] + ends[i] (parts from `cells`), without building each row's bytes."""
        k = len(mids)
        seq = [prefix, b"", b"", b"\r\n"] * k
        seq[1::4] = mids
        seq[2::4] = ends
        self._pending += seq
        self._count(k)

    def ordered_start(self) -> tuple[int, int]:
        """(file descriptor, end of what is written): where OrderedFiles may place rows (pwrite) from here."""
        self._flush()
        return self._f.fileno(), self._f.tell()

    def placed(self, end: int, rows: int) -> None:
        """`rows` whole rows were placed by OrderedFiles up to `end`: go on writing from there."""
        self._flush()
        self._f.seek(end)
        self.rows += rows

    def append(self, row) -> None:
        self._write_text(row_text(row))

    def extend(self, rows) -> None:
        for r in rows:
            self.append(r)

    def _count(self, rows: int) -> None:
        self.rows += rows
        self._unflushed += rows
        if self._unflushed >= FLUSH_ROWS:
            self._flush()

    def _write_text(self, text: str, rows: int = 1) -> None:
        try:
            data = self.encode(text)
        except UnicodeEncodeError as e:
            line = self._lines_written() + text.count("\n", 0, e.start) + 1
            raise CarekbError(t("files.unencodable", char=text[e.start], encoding=self.encoding, line=line),
                              self.target) from None
        self._pending.append(data)
        self._count(rows)

    def _lines_written(self) -> int:
        """Lines in the file so far (only when naming a bad character's line: it reads the file back)."""
        self._flush()
        n = 0
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                n += chunk.count(b"\n")
        return n

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending, self._unflushed = [], 0
        try:
            self._f.write(data)
            self._f.flush()
        except OSError as e:
            raise CarekbError(t("files.cannot_write", reason=e.strerror), self.target) from None

    def close(self) -> None:
        if self._f.closed:
            return
        try:
            self._flush()
        finally:
            self._f.close()


# A text cell that Excel/LibreOffice would run as a formula (=HYPERLINK(…), =cmd|' /C calc'!A0, +…, @…)
# gets a leading apostrophe (OWASP "CSV injection"); a plain signed number stays as it is.
_FORMULA = re.compile(r"[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")
_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?")
_QUOTE = re.compile(r'[,"\r\n]')


def _cell(c):
    if c is None:
        return ""
    if isinstance(c, dt.date):
        return c.isoformat()
    if isinstance(c, str) and _FORMULA.match(c) and not _NUMBER.fullmatch(c):
        return "'" + c
    return c


_FORMULA_FIRST = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")   # what _FORMULA matches, as a set


def field_text(value, neutralise: bool = True) -> str:
    """One cell as Python's csv module (excel dialect, minimal quoting) writes it, after `_cell`
    (the same, written for speed: it runs for every cell that is not prepared once)."""
    if isinstance(value, str):
        s = "'" + value if neutralise and value and value[0] in _FORMULA_FIRST and not _NUMBER.fullmatch(value) else value
    elif value is None:
        return ""
    elif value.__class__ is int:
        return str(value)
    elif isinstance(value, float):
        return repr(value)
    else:
        s = value.isoformat() if neutralise and isinstance(value, dt.date) else str(value)
    return '"' + s.replace('"', '""') + '"' if _QUOTE.search(s) else s


def row_text(row, neutralise: bool = True) -> str:
    """A whole row with its CRLF (a row of one empty cell is `""`, as the csv module writes it)."""
    text = ",".join(field_text(c, neutralise) for c in row)
    return (text or ('""' if len(row) == 1 else "")) + "\r\n"


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8-sig", comments: list[str] = (),
              target: str = "") -> bytes:
    """A small CSV file as bytes (the template)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        w = CsvWriter(Path(d) / "t.csv", headers, encoding, comments, target)
        try:
            w.extend(rows)
        finally:
            w.close()
        return (Path(d) / "t.csv").read_bytes()
