"""Reading a checklist workbook (`carekb init --format xlsx`) back as a profile document: the same
plain dict a YAML profile gives, with each key's cell (事業所!B5) in place of its line.

Two sheets, known by their names in either language (carekb/i18n/messages-init.yaml):
- 事業所 / Office: one row per office fact, found by its key column (a deleted row is an error, an
  empty value is unknown, as an empty YAML value);
- チェックリスト / Checklist: one numbered row per requirement, workplace item and pledge, its action
  id (cp1.1, workplace.5, pledge.cp3) and a mark; ○/はい/✓ put the id in met / workplace / pledged,
  ×/いいえ/blank leave it out. The final 以上 / end row holds the row count, so that a deleted row
  (even the last one) is reported rather than read as "not met".
Nothing is checked against the KB here; that is carekb.inputs.profile.check, as for YAML.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from carekb.i18n import LANGS, t
from carekb.inputs import normalize
from carekb.inputs.tabular import Sheet, open_xlsx
from carekb.model import actions
from carekb.model.errors import CarekbError

# The office facts of the 事業所 sheet, in the order written: profile key (group.field or field).
OFFICE_FACTS = ("office.name", "office.id", "office.service", "as_of", "office.employees",
                "office.single_office_corp", "office.region", "office.monthly_units",
                "history.shogu", "history.tokutei", "history.baseup", "top_annual_wage", "collab_corp")
OFFICE_COLUMNS = ("item", "value", "note", "key")
CHECKLIST_COLUMNS = ("no", "kind", "id", "mark", "label", "category", "source", "confidence")
LIST_OF_KIND = {actions.REQUIREMENT: "met", actions.WORKPLACE: "workplace", actions.PLEDGE: "pledged"}
MAX_CHECKLIST_ROWS = 5_000    # a period has under 100 rows (and 13 office facts); more is not a carekb init checklist


def sheet_name(kind: str, lang: str) -> str:
    return t(f"init.xlsx.sheet_{kind}", lang)


def column_name(column: str, lang: str) -> str:
    return t(f"init.xlsx.col_{column}", lang)


def cell(column: int, row: int) -> str:
    """A1-style reference of a 0-based column and a 1-based row."""
    name, i = "", column + 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return f"{name}{row}"


def read_checklist(path: str | Path) -> tuple[dict, dict, str]:
    """(data, places, source): the profile document of a checklist workbook; `places` maps
    (id(container), key) to the cell of that value, as `read_document` maps YAML keys to lines."""
    source = str(path)
    sheets = open_xlsx(path)   # rows streamed: a sheet of a million rows stops at MAX_CHECKLIST_ROWS
    data: dict = {"version": 1, "office": {}}
    places: dict = {}
    _office(_sheet(sheets, "office", source), data, places, source)
    _checklist(_sheet(sheets, "checklist", source), data, places, source)
    normalize.check_strings(data, source)
    return data, places, source


def _sheet(sheets: dict[str, Sheet], kind: str, source: str) -> tuple[str, Sheet]:
    for lang in LANGS:
        name = sheet_name(kind, lang)
        if name in sheets:
            return name, sheets[name]
    raise CarekbError(t("init.xlsx.missing_sheet", sheet=sheet_name(kind, "ja") + " / " + sheet_name(kind, "en")), source)


def _columns(name: str, sheet: Sheet, wanted: tuple[str, ...], source: str) -> dict[str, int]:
    """Column index of each wanted heading, in whichever language the heading row is written."""
    header = [h.strip() for h in sheet.header]
    by_lang = {lang: {c: header.index(column_name(c, lang)) for c in wanted if column_name(c, lang) in header}
               for lang in LANGS}
    lang = max(LANGS, key=lambda x: len(by_lang[x]))   # No. and ID are written alike in both languages
    missing = [c for c in wanted if c not in by_lang[lang]]
    if missing:
        raise CarekbError(t("init.xlsx.missing_column", column=column_name(missing[0], lang)), source,
                          f"{name}!{sheet.header_row}:{sheet.header_row}")
    return by_lang[lang]


def _office(named: tuple[str, Sheet], data: dict, places: dict, source: str) -> None:
    name, sheet = named
    col = _columns(name, sheet, ("value", "key"), source)
    seen: dict[str, str] = {}
    for k, (n, cells) in enumerate(sheet.rows):
        if k >= MAX_CHECKLIST_ROWS:
            raise CarekbError(t("init.xlsx.too_many_rows", n=f"{k + 1:,}+", max=f"{MAX_CHECKLIST_ROWS:,}"), source, name)
        key, value = cells[col["key"]], cells[col["value"]]
        if _empty(key):
            if _empty(value):
                continue            # the notes below the table
            raise CarekbError(t("init.xlsx.unknown_key", got="''"), source, f"{name}!{cell(col['key'], n)}")
        key = str(key).strip()
        here = f"{name}!{cell(col['key'], n)}"
        if key not in OFFICE_FACTS:
            raise CarekbError(t("init.xlsx.unknown_key", got=normalize._show(key)), source, here)
        if key in seen:
            raise CarekbError(t("init.xlsx.duplicate_key", key=key, first=seen[key]), source, here)
        seen[key] = here
        if _empty(value):
            continue                # unknown / not given, as an empty YAML value
        group, _, field = key.rpartition(".")
        container = data.setdefault(group, {}) if group else data
        container[field] = _value(key, value)
        places[(id(container), field)] = f"{name}!{cell(col['value'], n)}"
    missing = [k for k in OFFICE_FACTS if k not in seen]
    if missing:
        raise CarekbError(t("init.xlsx.missing_key", label=t(f"init.xlsx.fact.{missing[0]}"), key=missing[0]), source,
                          f"{name}!{cell(col['key'], sheet.header_row + 1)}:{cell(col['key'], sheet.header_row + len(OFFICE_FACTS))}")


def _value(key: str, v):
    """A cell as the YAML reader would give it: ids and names as text (a number cell loses nothing
    more here), dates as dates, the rest as written for the checker to read."""
    if isinstance(v, dt.datetime):
        return v.date() if key == "as_of" else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if key in ("office.id", "office.name", "office.service") and not isinstance(v, str):
        return str(v)
    return v.strip() if isinstance(v, str) else v


def _checklist(named: tuple[str, Sheet], data: dict, places: dict, source: str) -> None:
    name, sheet = named
    col = _columns(name, sheet, ("no", "id", "mark"), source)
    lists: dict[str, list] = {"met": [], "workplace": [], "pledged": []}
    numbers: dict[int, str] = {}
    end: tuple[int, str] | None = None
    first = last = None
    for k, (n, cells) in enumerate(sheet.rows):
        if k >= MAX_CHECKLIST_ROWS:
            raise CarekbError(t("init.xlsx.too_many_rows", n=f"{k + 1:,}+", max=f"{MAX_CHECKLIST_ROWS:,}"), source, name)
        first, last = first or n, n
        no, aid, mark = cells[col["no"]], cells[col["id"]], cells[col["mark"]]
        at = f"{name}!{cell(col['no'], n)}"
        if isinstance(no, str) and no.strip() in {t("init.xlsx.end", lang) for lang in LANGS}:
            count = aid if isinstance(aid, int) else None
            if isinstance(aid, str) and aid.strip().isdigit():
                count = int(aid)
            if count is None:
                raise CarekbError(t("init.xlsx.bad_end", got=normalize._show(aid)), source, f"{name}!{cell(col['id'], n)}")
            end = (count, at)
            continue
        number = _number(no, source, at)
        if number in numbers:
            raise CarekbError(t("init.xlsx.duplicate_no", no=number, first=numbers[number]), source, at)
        numbers[number] = at
        if _empty(aid):
            raise CarekbError(t("init.xlsx.missing_id"), source, f"{name}!{cell(col['id'], n)}")
        if not _marked(mark, source, f"{name}!{cell(col['mark'], n)}"):
            continue
        a = actions.parse(normalize.text(aid, source, f"{name}!{cell(col['id'], n)}").strip())
        if a.kind == actions.WORKPLACE:
            try:
                lists["workplace"].append(a.number)
            except ValueError:
                raise CarekbError(t("init.xlsx.bad_item", got=normalize._show(a.id)), source,
                                  f"{name}!{cell(col['id'], n)}") from None
        else:
            lists[LIST_OF_KIND[a.kind]].append(a.key)
    if end is None:
        raise CarekbError(t("init.xlsx.missing_end"), source, name)
    missing = sorted(set(range(1, end[0] + 1)) - set(numbers))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        span = f"{name}!{cell(col['no'], first)}:{cell(col['no'], last)}" if first else name
        raise CarekbError(t("init.xlsx.missing_rows", numbers=shown), source, span)
    extra = sorted(set(numbers) - set(range(1, end[0] + 1)))
    if extra:
        raise CarekbError(t("init.xlsx.bad_no", got=extra[0]), source, numbers[extra[0]])
    span = f"{name}!{cell(col['id'], first)}:{cell(col['id'], last)}" if first else name
    for key, values in lists.items():
        data[key] = values
        places[(id(data), key)] = span


def _number(v, source: str, where: str) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit():
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise CarekbError(t("init.xlsx.bad_no", got=normalize._show(v)), source, where)
    return v


def _marked(v, source: str, where: str) -> bool:
    """○/はい/✓/true: in place; ×/いいえ/blank/false: not (carekb.inputs.normalize.yes_no's words)."""
    if _empty(v):
        return False
    try:
        return normalize.yes_no(v.strip() if isinstance(v, str) else v, source, where)
    except CarekbError:
        raise CarekbError(t("init.xlsx.unknown_mark", got=normalize._show(v)), source, where) from None


def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())
