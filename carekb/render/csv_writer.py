"""CSV output written in chunks: UTF-8 with a BOM (so that Excel reads it) or CP932 (Shift_JIS).

Cells are written as given: identifiers are strings and stay strings (leading zeros kept), None
is an empty cell, a date is YYYY-MM-DD. A character CP932 cannot hold is one clear error naming the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from carekb.model.errors import CarekbError

# Unicode punctuation that CP932 lacks, as the CP932 characters Windows shows for it (same meaning).
CP932_LOOKALIKES = str.maketrans({"\u2013": "-", "\u2014": "\u2015", "\u2212": "\uff0d", "\u301c": "\uff5e",
                                  "\u2016": "\u2225", "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2"}
                                 | {chr(0x3251 + i): f"({21 + i})" for i in range(15)})   # ㉑–㉟: CP932 stops at ⑳
FLUSH_ROWS = 5_000


class CsvWriter:
    """Rows appended one at a time (or many), encoded and written every FLUSH_ROWS rows."""

    def __init__(self, path: str | Path, headers: list[str], encoding: str = "utf-8-sig", comments=(),
                 target: str = ""):
        self.path, self.encoding, self.target = Path(path), encoding, target or str(path)
        self.rows = 0
        self._lines = 0           # lines already encoded, for the error message
        self._buf = io.StringIO(newline="")
        self._w = csv.writer(self._buf, lineterminator="\r\n")
        try:
            self._f = self.path.open("wb")
        except OSError as e:
            raise CarekbError(f"cannot write here: {e.strerror}", self.target) from None
        if encoding == "utf-8-sig":   # the BOM once, then plain UTF-8 for every chunk
            self._f.write(b"\xef\xbb\xbf")
            self.encoding = "utf-8"
        for line in comments:
            self._buf.write(line.replace("\n", " ").replace("\r", " ") + "\r\n")
        self._w.writerow(headers)
        self._pending = 0

    def append(self, row) -> None:
        self._w.writerow([_cell(c) for c in row])
        self.rows += 1
        self._pending += 1
        if self._pending >= FLUSH_ROWS:
            self._flush()

    def extend(self, rows) -> None:
        for r in rows:
            self.append(r)

    def _flush(self) -> None:
        text = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        self._pending = 0
        if self.encoding == "cp932":
            text = text.translate(CP932_LOOKALIKES)
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as e:
            line = self._lines + text.count("\n", 0, e.start) + 1
            raise CarekbError(f"character {text[e.start]!r} cannot be written in {self.encoding} (line {line}); "
                              "use --encoding utf-8", self.target) from None
        self._lines += text.count("\n")
        try:
            self._f.write(data)
        except OSError as e:
            raise CarekbError(f"cannot write: {e.strerror}", self.target) from None

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


def _cell(c):
    if c is None:
        return ""
    if isinstance(c, dt.date):
        return c.isoformat()
    if isinstance(c, str) and _FORMULA.match(c) and not _NUMBER.fullmatch(c):
        return "'" + c
    return c


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
