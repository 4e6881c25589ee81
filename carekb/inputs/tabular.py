"""Reading tables from CSV (UTF-8 with or without BOM, or Shift_JIS/CP932) and XLSX files.

A table is a header row and data rows; blank rows and rows whose first cell starts with '#'
(explanations, as in `carekb batch --template`) are skipped. Every row keeps its row number in
the file (1-based, as a spreadsheet shows it), so that messages can point at it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from carekb.model.errors import CarekbError

MAX_TABLE_BYTES = 200_000_000


@dataclass
class Sheet:
    source: str                 # file name (and sheet name for a workbook)
    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)   # (row number, cells)
    header_row: int = 1


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM optional), else CP932 (Shift_JIS)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as e:
        bad_utf8 = e.start
    # Multi-byte UTF-8 before the bad byte: a UTF-8 file with a broken byte, not Shift_JIS mojibake.
    if any(c >= 0x80 for c in raw[:bad_utf8]):
        _undecodable(raw, bad_utf8, source)
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError as e:
        _undecodable(raw, e.start, source)
    # Python's cp932 maps the unassigned bytes 0xA0, 0xFD–0xFF to private-use characters: not text.
    odd = next((i for i, ch in enumerate(text) if "\uf8f0" <= ch <= "\uf8f3"), None)
    if odd is not None:
        _undecodable(raw, len(text[:odd].encode("cp932")), source)
    return text, "cp932"


def _undecodable(raw: bytes, offset: int, source: str):
    line = raw.count(b"\n", 0, offset) + 1
    raise CarekbError(f"neither UTF-8 nor Shift_JIS (CP932) text: byte 0x{raw[offset:offset + 1].hex()} at offset "
                      f"{offset} cannot be read", source, f"line {line}")


def _blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _comment(cells: list) -> bool:
    first = next((c for c in cells if c is not None and str(c).strip()), None)
    return isinstance(first, str) and first.lstrip().startswith("#")


def _sheet(source: str, numbered: list[tuple[int, list]]) -> Sheet:
    body = [(n, cells) for n, cells in numbered if not _blank(cells) and not _comment(cells)]
    if not body:
        raise CarekbError("no header row (the file is empty or holds only comments)", source)
    (hn, header), rows = body[0], body[1:]
    header = ["" if h is None else str(h).strip() for h in header]
    width = len(header)
    for n, cells in rows:
        if len(cells) > width and not _blank(cells[width:]):
            raise CarekbError(f"{len(cells)} cells but the header has {width} columns", source, f"row {n}")
    return Sheet(source, header, [(n, (cells + [None] * width)[:width]) for n, cells in rows], hn)


def read_csv(path: str | Path, raw: bytes | None = None) -> tuple[Sheet, str]:
    """The CSV file as a Sheet, and the encoding it was read with."""
    source = str(path)
    raw = _read_bytes(path) if raw is None else raw
    if b"\0" in raw:
        raise CarekbError("binary file, not CSV text", source)
    text, enc = decode(raw, source)
    # Comma-separated, or tab for .tsv; no sniffing: it misreads Japanese text with few commas.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if source.lower().endswith(".tsv") else ",")
    numbered = []
    try:
        for cells in reader:
            numbered.append((reader.line_num, list(cells)))
    except csv.Error as e:
        raise CarekbError(f"not valid CSV: {e}", source, f"line {reader.line_num}") from None
    return _sheet(source, numbered), enc


def read_xlsx(path: str | Path) -> dict[str, Sheet]:
    """Every non-empty sheet of the workbook by name (values, not formulas)."""
    import zipfile

    from openpyxl import load_workbook

    source = str(path)
    _read_bytes(path, check_only=True)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise CarekbError(f"not a readable .xlsx workbook ({e.__class__.__name__}: {e})", source) from None
    try:
        out = {}
        for ws in wb.worksheets:
            numbered = [(n, list(cells)) for n, cells in enumerate(ws.iter_rows(values_only=True), start=1)]
            if any(not _blank(c) for _, c in numbered):
                out[ws.title] = _sheet(f"{source} [{ws.title}]", numbered)
        return out
    finally:
        wb.close()


def read_table(path: str | Path) -> dict[str, Sheet]:
    """A CSV file as one sheet named '' or a workbook's sheets; the kind is decided by the suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        sheets = read_xlsx(path)
        if not sheets:
            raise CarekbError("the workbook has no data", str(path))
        return sheets
    if suffix in (".csv", ".txt", ".tsv"):
        return {"": read_csv(path)[0]}
    raise CarekbError(f"unsupported table type '{suffix or '(none)'}' (use .csv or .xlsx)", str(path))


def _read_bytes(path: str | Path, check_only: bool = False) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise CarekbError("file not found", str(path))
    size = p.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise CarekbError(f"file too large ({size:,} bytes; at most {MAX_TABLE_BYTES:,})", str(path))
    if check_only:
        return b""
    try:
        return p.read_bytes()
    except OSError as e:
        raise CarekbError(f"cannot read: {e.strerror}", str(path)) from None


# --------------------------------------------------------------------------- writing

# Unicode punctuation that CP932 lacks, as the CP932 characters Windows shows for it (same meaning).
CP932_LOOKALIKES = str.maketrans({"\u2013": "-", "\u2014": "\u2015", "\u2212": "\uff0d", "\u301c": "\uff5e",
                                  "\u2016": "\u2225", "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2"}
                                 | {chr(0x3251 + i): f"({21 + i})" for i in range(15)})   # ㉑–㉟: CP932 stops at ⑳


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8-sig", comments: list[str] = (),
              target: str = "") -> bytes:
    """A CSV file as bytes: UTF-8 with a BOM (so Excel reads it) or CP932; a character CP932 lacks is an error."""
    buf = io.StringIO(newline="")
    for line in comments:
        buf.write(line.replace("\n", " ") + "\r\n")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows([["" if c is None else c for c in r] for r in rows])
    text = buf.getvalue()
    if encoding == "cp932":
        text = text.translate(CP932_LOOKALIKES)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as e:
        line = text.count("\n", 0, e.start) + 1
        raise CarekbError(f"character {text[e.start]!r} cannot be written in {encoding} (line {line}); "
                          "use --encoding utf-8", target or "--encoding") from None


def xlsx_bytes(sheets: dict[str, tuple[list[str], list[list]]]) -> bytes:
    """A workbook (one sheet per entry, bold frozen header, fitted column widths) as bytes.

    Written directly as SpreadsheetML: openpyxl's write-only mode needs ~9 µs a cell with or without
    lxml (29–34 s for the 3.4 million cells of a 10,000-office batch, against ~4 s here). Strings
    always stay text (never formulas).
    """
    import zipfile

    strings: dict[str, int] = {}
    parts = {}
    for i, (headers, rows) in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(headers, rows, strings)
    names = [_esc(n[:31]) for n in sheets]
    n = len(names)
    parts["xl/sharedStrings.xml"] = (f'{_XML}<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                                     + "".join(f'<si><t xml:space="preserve">{_esc(t)}</t></si>' for t in strings)
                                     + "</sst>")
    parts["xl/workbook.xml"] = (f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                                + "".join(f'<sheet name="{nm}" sheetId="{i}" r:id="rId{i}"/>' for i, nm in enumerate(names, 1))
                                + "</sheets></workbook>")
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        + f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["xl/styles.xml"] = _STYLES
    parts["_rels/.rels"] = (f'{_XML}<Relationships xmlns="{_PKG_REL}">'
                            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts["[Content_Types].xml"] = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>' for i in range(1, n + 1))
        + f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/sharedStrings.xml", *sorted(k for k in parts if k.startswith("xl/worksheets/"))):
            z.writestr(name, parts[name].encode("utf-8"))
    return buf.getvalue()


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_STYLES = (f'{_XML}<styleSheet xmlns="{_MAIN}">'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
# Characters XML 1.0 cannot hold (C0 controls other than tab, newline, carriage return).
_BAD_XML = {c: None for c in range(32) if c not in (9, 10, 13)}


def _esc(s: str) -> str:
    return s.translate(_BAD_XML).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _sheet_xml(headers: list[str], rows: list[list], strings: dict[str, int]) -> str:
    import unicodedata

    def width(v) -> int:
        t = "" if v is None else str(v)
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in t[:60])

    cols = [_col(i) for i in range(len(headers))]

    def cells(n: int, values: list, style: str = "") -> str:
        out = []
        for c, v in zip(cols, values):
            if v is None or v == "":
                continue
            if isinstance(v, bool):
                out.append(f'<c r="{c}{n}"{style} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                out.append(f'<c r="{c}{n}"{style}><v>{v!r}</v></c>')
            else:
                k = strings.setdefault(str(v), len(strings))
                out.append(f'<c r="{c}{n}"{style} t="s"><v>{k}</v></c>')
        return f'<row r="{n}">' + "".join(out) + "</row>"

    sample = [headers] + rows[:200]
    widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{min(60, max(6, max(width(r[i]) for r in sample) + 2))}" '
                     'customWidth="1"/>' for i in range(len(headers)))
    body = [cells(1, headers, ' s="1"')] + [cells(n, r) for n, r in enumerate(rows, start=2)]
    return (f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>" + "".join(body) + "</sheetData></worksheet>")
