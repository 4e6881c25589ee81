"""Batch gap analysis: one office per table row, each built into the profile dict of docs/profile.md,
checked by carekb.profile.check (same messages as a YAML profile), bound, evaluated and reported.

A bad row becomes a RowError and does not stop the others; a bad file (unreadable, unknown or
missing column) is a CarekbError. Identical office facts are evaluated once per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.inputs.tabular import Sheet, read_table


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
    Column("as_of", "判定日", "as_of", "ルールを適用する日 YYYY-MM-DD（空欄は今日、--as-of で上書き）",
           "date of the rules, YYYY-MM-DD (blank: today; --as-of overrides)", "2025-07-01"),
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
LIST_SPLIT = re.compile(r"[\s,，、;；]+")
QUAL_SPLIT = re.compile(r"\s*[;；、]\s*")
YES = {"true", "yes", "y", "1", "はい", "○", "〇", "有", "あり"}
NO = {"false", "no", "n", "0", "いいえ", "×", "無", "なし"}
CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)} | {chr(0x3251 + i): i + 21 for i in range(15)}


@dataclass
class RowError:
    source: str
    row: int
    office: str
    message: str

    def __str__(self) -> str:
        who = f" (id {self.office})" if self.office else ""
        return f"{self.source}: row {self.row}{who}: {self.message}"


@dataclass
class Batch:
    results: list[tuple[int, dict]] = field(default_factory=list)   # (row number, to_dict) per good row, in file order
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    evaluated: int = 0                                     # distinct office facts solved (cache misses)


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
            raise CarekbError(f"unknown column '{h}' (columns: {known}; English names accepted)", sheet.source,
                              f"row {sheet.header_row}")
        if col.key in seen:
            raise CarekbError(f"columns '{seen[col.key]}' and '{h}' are the same field", sheet.source,
                              f"row {sheet.header_row}")
        seen[col.key] = h
        out[i] = col
    missing = [c for c in columns if c.key in required and c.key not in seen]
    if missing:
        raise CarekbError(f"missing required column '{missing[0].ja}' ({missing[0].en})", sheet.source,
                          f"row {sheet.header_row}")
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
        return int(digits) if digits.isdigit() else s
    return v


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
            out.append(int(x) if x.isdigit() else x)
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
            elif sub in ("id", "name", "service", "region"):
                v = str(_scalar(v)) if sub != "region" else _scalar(v)
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
            raise CarekbError("staff row without an office id (事業所番号)", sheet.source, f"row {n}")
        entry = {}
        for key, v in row.items():
            if key == "qualifications":
                entry[key] = [q for q in QUAL_SPLIT.split(str(v).strip()) if q]
            elif key in ("name", "role"):
                entry[key] = str(_scalar(v))
            else:
                entry[key] = _scalar(v)
        oid = str(_scalar(oid))
        out.setdefault(oid, []).append(entry)
        out.first_row.setdefault(oid, n)
    return out


# --------------------------------------------------------------------------- running

def read_offices(path: str | Path, staff_path: str | Path | None = None) -> tuple[Sheet, dict[int, Column], Roster]:
    """The offices sheet, its column map, and the staff roster by office id (from --staff or a 職員 sheet)."""
    sheets = read_table(path)
    staff_sheet = next((s for name, s in sheets.items() if name.strip().lower() in STAFF_SHEETS), None)
    office_sheet = next((s for name, s in sheets.items()
                         if name.strip().lower() not in STAFF_SHEETS and not name.startswith(("説明", "notes"))), None)
    if office_sheet is None:
        raise CarekbError("no sheet of offices in the workbook", str(path))
    cols = header_map(office_sheet, OFFICE_COLUMNS, ("office.service",))
    if staff_path is not None:
        sheets = read_table(staff_path)
        staff_sheet = next((s for name, s in sheets.items() if name.strip().lower() in STAFF_SHEETS), None) \
            or next(iter(sheets.values()))
    roster = staff_by_office(staff_sheet) if staff_sheet is not None else Roster()
    return office_sheet, cols, roster


def run(kb: KB, sheet: Sheet, cols: dict[int, Column], roster: Roster | None = None, as_of=None,
        use_pledges: bool = True, alternatives: bool = False, tick=None, workers: int | None = None) -> Batch:
    """Check every row, then evaluate each distinct office once (many at a time, on `workers`
    processes); `tick(k)` reports k more rows done (for a progress bar)."""
    from carekb.inputs.profile import bind, check

    out = Batch(rows=len(sheet.rows))
    roster = Roster() if roster is None else roster
    known_ids = set()
    good: list[tuple[int, object, int]] = []  # (row number, office, index of its distinct facts)
    distinct: dict = {}
    for n, cells in sheet.rows:
        values = {cols[i].key: v for i, v in enumerate(cells) if i in cols}
        oid = "" if _empty(values.get("office.id")) else str(_scalar(values["office.id"]))
        known_ids.add(oid)
        try:
            data = row_profile(values)
            if oid in roster:
                data["staff"] = roster[oid]
            office = check(data, {}, f"{sheet.source}: row {n}" + (f" (id {oid})" if oid else ""), kb)
            office, _ = bind(office, kb, as_of)
            good.append((n, office, distinct.setdefault(_fact_key(office), len(distinct))))
        except CarekbError as e:
            out.errors.append(RowError(sheet.source, n, oid, _row_message(e, sheet.source, n, oid)))
            if tick:
                tick(1)
    firsts = {}
    for _, office, k in good:
        firsts.setdefault(k, office)
    offices = [firsts[k] for k in range(len(firsts))]
    results = _evaluate(kb, offices, use_pledges, alternatives, workers, tick, len(good))
    out.evaluated = len(offices)
    for n, office, k in good:
        # Results are shared between rows with the same facts: re-stamp this row's identity on a copy.
        out.results.append((n, dict(results[k], office=office.id or office.name or None, office_name=office.name or None)))
    for oid in sorted(set(roster) - known_ids):
        out.errors.append(RowError(roster.source, roster.first_row[oid], oid,
                                   "staff rows name an office id that is not in the offices table"))
    return out


def _evaluate(kb: KB, offices: list, use_pledges: bool, alternatives: bool, workers, tick, rows: int) -> list[dict]:
    """`carekb gap --format json` of each office, in order, ticking the rows they stand for."""
    from carekb.app.report import to_dict

    out: list[dict] = []
    ticked = 0

    def progress():
        nonlocal ticked
        if tick and offices:
            now = rows * len(out) // len(offices)
            tick(now - ticked)
            ticked = now

    if alternatives:  # alternatives need the one-office path (the equal-effort swaps)
        from carekb.solver.gap import evaluate
        for o in offices:
            out.append(to_dict(evaluate(kb, o, kb.period_at(o.as_of), use_pledges, alternatives=True)))
            progress()
    else:
        from carekb.solver.vectorized import reports
        for chunk in reports(kb, offices, use_pledges, workers):
            out += chunk
            progress()
    for r in out:
        r["engine"] = "dnf"  # as `carekb gap --format json` reports it
    return out


def _row_message(e: CarekbError, source: str, n: int, oid: str) -> str:
    """The error without the 'FILE: row N (id X)' prefix that RowError adds back."""
    prefix = f"{source}: row {n}" + (f" (id {oid})" if oid else "")
    text = str(e)
    return text[len(prefix) + 2:] if text.startswith(prefix + ": ") else text


def _fact_key(office):
    """Everything an evaluation depends on: the office minus its identity (id, name, file)."""
    staff = tuple(tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in s.items()))
                  if isinstance(s, dict) else s for s in office.staff)
    return replace(office, id="", name="", source="", staff=()), staff


# --------------------------------------------------------------------------- result tables

Table = tuple[list[str], list[list]]


def _t(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


def _tier_rank(kb: KB, tid: str):
    """Columns: the latest period's tiers first, each period's by the KB's nominal rank (highest first)."""
    periods = sorted(kb.periods.values(), key=lambda p: p.valid_from, reverse=True)
    for n, p in enumerate(periods):
        if tid in kb.tiers.get(p.id, {}):
            return (n, -kb.tiers[p.id][tid].rank, tid)
    return (len(periods), 0, tid)


def summary_table(kb: KB, batch: Batch, lang: str = "ja") -> Table:
    """One row per office: highest tier, rate, yen, and per higher tier the missing count and yen gain."""
    from carekb.app.report import short_tier

    tiers = sorted({t["tier"] for _, r in batch.results for t in r["targets"]}, key=lambda t: _tier_rank(kb, t))
    headers = [_t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "事業所名", "name"),
               _t(lang, "サービス", "service"), _t(lang, "ルール期間", "period"), _t(lang, "判定日", "as_of"),
               _t(lang, "最上位区分", "highest"), _t(lang, "区分ID", "highest_id"), _t(lang, "加算率(%)", "rate_pct"),
               _t(lang, "月額(円)", "yen_per_month")]
    for tid in tiers:
        name = short_tier(tid, lang)
        headers += [_t(lang, f"{name} 不足件数", f"{name} missing"), _t(lang, f"{name} 月額増加(円)", f"{name} yen gain")]
    headers.append(_t(lang, "注意", "warnings"))
    rows = []
    for n, r in batch.results:
        svc = kb.services[r["service"]]
        row = [n, r["office"] if r["office"] != r["office_name"] else None, r["office_name"],
               svc.label_ja if lang == "ja" else svc.label_en, r["period"], r["as_of"],
               short_tier(r["highest"], lang), r["highest"], r["rate_pct"], r["yen_per_month"]]
        by_tier = {t["tier"]: t for t in r["targets"]}
        for tid in tiers:
            t = by_tier.get(tid)
            if t is None:
                row += [None, None]
            elif not t["reachable"]:
                row += [_t(lang, "到達不可", "unreachable"), None]
            else:
                row += [t["missing_count"], t["yen_per_month_gain"]]
        row.append("; ".join(r["warnings"]) or None)
        rows.append(row)
    return headers, rows


def actions_table(kb: KB, batch: Batch, lang: str = "ja") -> Table:
    """One row per office × higher tier × missing action, with label, category, source and confidence."""
    from carekb.app.report import short_tier

    headers = [_t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "事業所名", "name"),
               _t(lang, "サービス", "service"), _t(lang, "ルール期間", "period"), _t(lang, "目標区分", "target"),
               _t(lang, "区分ID", "target_id"), _t(lang, "加算率(%)", "rate_pct"), _t(lang, "不足件数", "missing_count"),
               _t(lang, "月額増加(円)", "yen_gain"), _t(lang, "誓約を含む", "uses_pledge"), _t(lang, "取組ID", "action"),
               _t(lang, "取組", "label"), _t(lang, "分類", "category"), _t(lang, "出典", "source"),
               _t(lang, "確度", "confidence")]
    yes, no = _t(lang, "はい", "yes"), _t(lang, "いいえ", "no")
    rows = []
    for n, r in batch.results:
        svc = kb.services[r["service"]]
        head = [n, r["office"] if r["office"] != r["office_name"] else None, r["office_name"],
                svc.label_ja if lang == "ja" else svc.label_en, r["period"]]
        for t in r["targets"]:
            tier = [short_tier(t["tier"], lang), t["tier"], t["rate_pct"]]
            if not t["reachable"]:
                rows.append(head + tier + [None, None, None, None, _t(lang, "到達不可: ", "unreachable: ") + t["reason"],
                                           None, None, None])
                continue
            for a in t["actions"]:
                rows.append(head + tier + [t["missing_count"], t["yen_per_month_gain"], yes if t["uses_pledge"] else no,
                                           a["id"], a["label_ja"] if lang == "ja" else a["label_en"],
                                           _category(kb, a, lang), a["source"], a["confidence"]])
    return headers, rows


def _category(kb: KB, action: dict, lang: str) -> str:
    kind = action["id"].partition(".")[0]
    if kind == "workplace":
        ja, en = kb.categories.get(action.get("category"), (action.get("category"), action.get("category")))
        return _t(lang, f"職場環境等要件: {ja}", f"workplace: {en}")
    if kind == "pledge":
        return _t(lang, "誓約", "pledge")
    return _t(lang, "要件", "requirement")


def errors_table(batch: Batch, lang: str = "ja") -> Table:
    headers = [_t(lang, "ファイル", "file"), _t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "エラー", "error")]
    return headers, [[e.source, e.row, e.office or None, e.message] for e in batch.errors]


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
