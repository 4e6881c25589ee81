"""The batch input table: its columns (Japanese headers, English aliases, help for the template),
the header check, and one row's cells as the profile dict of docs/profile.md (same keys and checks
as a YAML profile). Identifiers stay text: an office number keeps its leading zeros."""

from __future__ import annotations

import re
from dataclasses import dataclass

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.inputs.tabular import Sheet


@dataclass(frozen=True)
class Column:
    key: str          # the profile key path: office.service, history.shogu, met, ...
    ja: str           # Japanese header (what the template writes)
    en: str           # English header, accepted as an alias
    help_ja: str
    help_en: str
    example: object


OFFICE_COLUMNS = (
    Column("office.id", "事業所番号", "id", "10桁の事業所番号（任意）", "office number (optional)", "1312345678"),
    Column("office.name", "事業所名", "name", "事業所の名称（任意）", "office name (optional)", "ひまわり放課後等デイサービス"),
    Column("office.service", "サービス", "service", "サービスID または日本語名（carekb services）。必須",
           "service id or Japanese name (carekb services); required", "放課後等デイサービス"),
    Column("office.employees", "常時雇用者数", "employees", "常時雇用する者の数", "number of regular employees", 12),
    Column("office.single_office_corp", "1法人1事業所", "single_office_corp", "法人がこの事業所のみを運営: はい/いいえ",
           "the corporation runs only this office: yes/no", "いいえ"),
    Column("office.region", "地域区分", "region", "1級地…7級地、その他（円換算に必要）", "1級地…7級地 or その他 (for yen)", "6級地"),
    Column("office.monthly_units", "月の総単位数", "monthly_units", "この加算を除く1か月の総単位数（円換算に必要）",
           "units of the month before this addition (for yen)", 180000),
    Column("as_of", "判定日", "as_of", "ルールを適用する日 2025-07-01、2025/7/1、令和7年7月1日、R7.7.1（空欄は今日、--as-of で上書き）",
           "date of the rules: 2025-07-01, 2025/7/1, 令和7年7月1日 or R7.7.1 (blank: today; --as-of overrides)", "2025-07-01"),
    Column("history.shogu", "旧処遇改善加算", "shogu", "2024年5月に算定していた旧処遇改善加算の区分 1/2/3、なし",
           "旧処遇改善加算 tier held in May 2024: 1/2/3 or none", 1),
    Column("history.tokutei", "旧特定処遇改善加算", "tokutei", "2024年5月の旧特定処遇改善加算 1/2、なし",
           "旧特定処遇改善加算 tier held in May 2024: 1/2 or none", 2),
    Column("history.baseup", "旧ベースアップ等支援加算", "baseup", "2024年5月に算定: はい/いいえ",
           "旧ベースアップ等支援加算 held in May 2024: yes/no", "はい"),
    Column("met", "満たしている要件", "met", "要件ID（carekb requirements）を空白・カンマ・「、」で区切る",
           "requirement ids (carekb requirements), separated by spaces, commas or 、",
           "wage.1 cp1.1 cp1.2 cp1.3 cp2.1 cp2.1a cp2.2 cp3.1a cp3.2"),
    Column("top_annual_wage", "改善後の最高年額賃金", "top_annual_wage", "経験・技能のある職員の改善後見込み年額の最高（円）",
           "highest expected annual wage after improvement among experienced staff (yen)", 4300000),
    Column("workplace", "職場環境等要件の項目", "workplace", "実施している項目番号（その期間の一覧の番号、①–㉘ も可）",
           "item numbers in place (as in the period's list; ①–㉘ accepted)", "1 3 5 9 14 18 19 25"),
    Column("collab_corp", "社会福祉連携推進法人", "collab_corp", "社会福祉連携推進法人に参加: はい/いいえ",
           "member of a 社会福祉連携推進法人: yes/no", "いいえ"),
    Column("pledged", "誓約", "pledged", "計画書で誓約した要件（例 cp3）", "requirements pledged in the plan (e.g. cp3)", ""),
)

STAFF_COLUMNS = (
    Column("office_id", "事業所番号", "office_id", "職員が属する事業所の事業所番号（事業所シートの値）",
           "the office's id, as in the offices table", "1312345678"),
    Column("name", "氏名", "name", "氏名（任意）", "name (optional)", "山田 花子"),
    Column("role", "職種", "role", "職種", "occupation", "保育士"),
    Column("qualifications", "資格", "qualifications", "資格を「;」または「、」で区切る", "qualifications separated by ; or 、",
           "保育士"),
    Column("years_in_corp", "法人での勤続年数", "years_in_corp", "法人での勤続年数", "years in the corporation", 11),
    Column("annual_wage_after", "改善後年額賃金", "annual_wage_after", "改善後の見込み年額（円）",
           "expected annual wage after improvement (yen)", 4400000),
    Column("annual_wage_before", "改善前年額賃金", "annual_wage_before", "改善前の年額（円、任意）",
           "annual wage before improvement (yen, optional)", 4100000),
)
STAFF_SHEETS = ("職員", "staff")
Table = tuple[list[str], list[list]]
LIST_SPLIT = re.compile(r"[\s,，、;；]+")
QUAL_SPLIT = re.compile(r"\s*[;；、]\s*")
YES = {"true", "yes", "y", "1", "はい", "○", "〇", "有", "あり"}
NO = {"false", "no", "n", "0", "いいえ", "×", "無", "なし"}
CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)} | {chr(0x3251 + i): i + 21 for i in range(15)}


# --------------------------------------------------------------------------- headers and cells

def header_map(sheet: Sheet, columns: tuple[Column, ...], required: tuple[str, ...]) -> dict[int, Column]:
    """Column index → Column, by Japanese or English header; unknown, duplicate or missing → file error."""
    by_name = {}
    for c in columns:
        for name in (c.ja, c.en, c.key):
            by_name[_norm(name)] = c
    out: dict[int, Column] = {}
    seen: dict[str, str] = {}
    for i, h in enumerate(sheet.header):
        if not h:
            continue
        col = by_name.get(_norm(h))
        if col is None:
            known = ", ".join(c.ja for c in columns)
            raise CarekbError(t("inputs.batch.unknown_column", column=h, known=known), sheet.source,
                              t("inputs.place.row", row=sheet.header_row))
        if col.key in seen:
            raise CarekbError(t("inputs.batch.same_field", first=seen[col.key], second=h), sheet.source,
                              t("inputs.place.row", row=sheet.header_row))
        seen[col.key] = h
        out[i] = col
    missing = [c for c in columns if c.key in required and c.key not in seen]
    if missing:
        raise CarekbError(t("inputs.batch.missing_column", ja=missing[0].ja, en=missing[0].en), sheet.source,
                          t("inputs.place.row", row=sheet.header_row))
    return out


def _norm(h: str) -> str:
    return str(h).strip().lower().replace(" ", "").replace("　", "")


def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _scalar(v):
    """A cell as the value a YAML profile would hold: whole floats become ints, text is stripped."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        digits = s.replace(",", "")
        if digits.isdigit():
            try:
                return int(digits)
            except ValueError:  # '²' is a digit to isdigit() but not to int(); 4,300+ digits: left as text
                pass
        return s
    return v


def ident(v) -> str:
    """An identifier or name cell as text: kept as written (leading zeros, no exponent); a number
    cell of a workbook (Excel has already dropped its leading zeros) as its whole digits."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def _bool(v):
    if isinstance(v, bool):
        return v
    s = str(_scalar(v)).strip().lower()
    if s in YES:
        return True
    if s in NO:
        return False
    return s  # left as text: profile.check reports "expected true or false"


def _list(v) -> list:
    if isinstance(v, (int, float)):
        return [_scalar(v)]
    return [x for x in LIST_SPLIT.split(str(v).strip()) if x]


def _items(v) -> list:
    out = []
    for x in _list(v):
        if isinstance(x, int):
            out.append(x)
        elif x in CIRCLED:
            out.append(CIRCLED[x])
        else:
            # not int("²"), int() of 4,300+ digits nor a fraction (3.5 from a workbook): left for check to report
            out.append(int(x) if isinstance(x, str) and x.isdecimal() and len(x) <= 15 else x)
    return out


def _history(v):
    v = _scalar(v)
    return "none" if isinstance(v, str) and v.lower() in NO | {"none", "-"} else v


def row_profile(cells: dict[str, object]) -> dict:
    """A row's non-empty cells (by key path) as the dict a YAML profile would parse into."""
    data: dict = {"version": 1, "office": {}}
    for key, v in cells.items():
        if _empty(v):
            continue
        head, _, sub = key.partition(".")
        if head == "office":
            if sub == "single_office_corp":
                v = _bool(v)
            elif sub in ("id", "name", "service"):
                v = ident(v)
            elif sub == "region":
                v = _scalar(v)
            else:
                v = _scalar(v)
            data["office"][sub] = v
        elif head == "history":
            data.setdefault("history", {})[sub] = _bool(v) if sub == "baseup" else _history(v)
        elif key in ("met", "pledged"):
            data[key] = [str(x) for x in _list(v)]
        elif key == "workplace":
            data[key] = _items(v)
        elif key == "collab_corp":
            data[key] = _bool(v)
        elif key == "as_of":
            data[key] = v if not isinstance(v, str) else v.strip()
        else:
            data[key] = _scalar(v)
    return data


class Roster(dict):
    """Office id → list of staff dicts; remembers where each office's first staff row is."""

    def __init__(self, source: str = ""):
        super().__init__()
        self.source = source
        self.first_row: dict[str, int] = {}


def staff_by_office(sheet: Sheet) -> Roster:
    """Roster rows grouped by office id, each a dict with the keys of the profile's `staff:` entries."""
    cols = header_map(sheet, STAFF_COLUMNS, ("office_id", "role"))
    out = Roster(sheet.source)
    for n, cells in sheet.rows:
        row = {cols[i].key: v for i, v in enumerate(cells) if i in cols and not _empty(v)}
        oid = row.pop("office_id", None)
        if oid is None:
            raise CarekbError(t("inputs.batch.staff_without_office"), sheet.source, t("inputs.place.row", row=n))
        entry = {}
        for key, v in row.items():
            if key == "qualifications":
                entry[key] = [q for q in QUAL_SPLIT.split(str(v).strip()) if q]
            elif key in ("name", "role"):
                entry[key] = str(_scalar(v))
            else:
                entry[key] = _scalar(v)
        oid = ident(oid)
        out.setdefault(oid, []).append(entry)
        out.first_row.setdefault(oid, n)
    return out


# --------------------------------------------------------------------------- the template

def template_tables(lang: str = "ja") -> dict[str, Table]:
    """The input template: offices and staff with one example row each, and a sheet explaining each column."""
    def sheet(cols):
        return [c.ja for c in cols], [[c.example for c in cols]]

    notes = [[c.ja, c.en, c.help_ja, c.help_en, str(c.example)] for c in OFFICE_COLUMNS]
    notes += [[f"{c.ja}（職員シート）", c.en, c.help_ja, c.help_en, str(c.example)] for c in STAFF_COLUMNS]
    return {"事業所": sheet(OFFICE_COLUMNS), "職員": sheet(STAFF_COLUMNS),
            "説明": (["列", "English header", "説明", "description", "例"], notes)}


def template_csv_comments() -> list[str]:
    """Comment rows that head a CSV template (the reader skips rows starting with '#')."""
    out = ["# carekb batch の入力: 1行に1事業所。'#' で始まる行は読み飛ばします。英語の列名も使えます。"]
    out += [f"# {c.ja} ({c.en}): {c.help_ja}" for c in OFFICE_COLUMNS]
    out.append("# 職員名簿は別ファイル (--staff) で: " + ", ".join(f"{c.ja} ({c.en})" for c in STAFF_COLUMNS))
    return out
