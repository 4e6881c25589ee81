"""The checklist workbook of `carekb init --format xlsx` (carekb.app.init_checklist) as .xlsx bytes,
written with the project's XLSX writer: a 事業所 / Office sheet (one labelled row per office fact)
and a チェックリスト / Checklist sheet (one row per requirement, workplace item and pledge, with an
empty ○/× cell to fill in, and a final 以上 / end row holding the row count). Sheet and column
names come from the catalogue, so that carekb.inputs.profile.read_xlsx finds them in either language.

The value and mark columns are text-formatted: an office number keeps its leading zero and a date
typed as 2026/7/1 stays as written, for the profile reader to parse as it parses YAML."""

from __future__ import annotations

import tempfile
from pathlib import Path

from carekb.app.init_checklist import Checklist
from carekb.i18n import t
from carekb.inputs.profile.read_xlsx import CHECKLIST_COLUMNS, OFFICE_COLUMNS, column_name, sheet_name
from carekb.render.xlsx_writer import ID, INT, TEXT, WRAP, Layout, XlsxWriter

_OFFICE_KINDS = {"item": WRAP, "value": ID, "note": WRAP, "key": ID}
_CHECKLIST_KINDS = {"no": INT, "kind": WRAP, "id": ID, "mark": ID, "label": WRAP, "category": WRAP, "source": WRAP,
                    "confidence": TEXT}


def workbook_bytes(c: Checklist) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "checklist.xlsx"
        book = XlsxWriter(path)
        try:
            office = book.sheet(sheet_name("office", c.lang), [column_name(k, c.lang) for k in OFFICE_COLUMNS],
                                Layout(kinds=[_OFFICE_KINDS[k] for k in OFFICE_COLUMNS], autofilter=False))
            for f in c.facts:
                office.append(_ordered(OFFICE_COLUMNS, item=f.label, value=f.value, note=f.note, key=f.key))
            for line in c.notes:
                office.note(line)
            sheet = book.sheet(sheet_name("checklist", c.lang), [column_name(k, c.lang) for k in CHECKLIST_COLUMNS],
                               Layout(kinds=[_CHECKLIST_KINDS[k] for k in CHECKLIST_COLUMNS], freeze_columns=4))
            for r in c.rows:
                sheet.append(_ordered(CHECKLIST_COLUMNS, no=r.no, kind=r.kind, id=r.id, label=r.label,
                                      category=r.category, source=r.source, confidence=r.confidence))
            sheet.append(_ordered(CHECKLIST_COLUMNS, no=t("init.xlsx.end", c.lang), id=len(c.rows),
                                  label=t("init.xlsx.end_note", c.lang, n=len(c.rows))))
            book.close()
        except BaseException:
            book.discard()
            raise
        return path.read_bytes()


def _ordered(columns: tuple[str, ...], **cells) -> list:
    return [cells.get(k) for k in columns]
