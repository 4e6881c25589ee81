"""The fast batch row check (carekb.app.batch_rows.check_row) gives exactly what the full path gives
(row profile dict → inputs.profile.check → bind): the same Office, field by field with the types of
its values and the profile document it keeps, or the same row error text; for generated tables,
the example tables (a staff roster included) and hypothesis-made odd and hostile rows."""

import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from carekb.app import batch_rows, batch_rows_columns
from carekb.app.batch import open_offices
from carekb.graph.kbload import load_kb
from carekb.app.batch_columns import OFFICE_COLUMNS, STAFF_COLUMNS, header_map, staff_by_office
from carekb.inputs.profile import Office
from carekb.inputs.tabular import Sheet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from batch_bench import row as bench_row  # noqa: E402
from offices import generate  # noqa: E402

DATA = ROOT / "tests" / "data" / "batch"
SOURCE = "offices.csv"


def typed(v):
    """A value with the type of every part and the order of every mapping: 1 is not True nor 1.0,
    {"a", "b"} is compared sorted, a dict's keys in their order."""
    if isinstance(v, (frozenset, set)):
        return type(v).__name__, sorted((typed(x) for x in v), key=repr)
    if isinstance(v, dict):
        return "dict", [(typed(k), typed(x)) for k, x in v.items()]
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [typed(x) for x in v]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return type(v).__name__, [(f.name, typed(getattr(v, f.name))) for f in dataclasses.fields(v)]
    return type(v).__name__, repr(v)


def assert_same(kb, n, cells, cols, roster, as_of=None):
    """The fast path's answer is the full path's, in every detail."""
    slow = batch_rows.check_row_slow(kb, SOURCE, n, list(cells), cols, roster, as_of)
    fast = batch_rows.check_row(kb, SOURCE, n, list(cells), cols, roster, as_of)
    assert fast[:3] == slow[:3]
    if isinstance(slow[3], batch_rows.RowError):
        assert isinstance(fast[3], batch_rows.RowError), (cells, fast[3])
        assert str(fast[3]) == str(slow[3]) and fast[3] == slow[3]
    else:
        assert isinstance(fast[3], Office), (cells, str(fast[3]))
        assert fast[3] == slow[3]
        assert typed(fast[3]) == typed(slow[3]), cells   # also lines and the document, outside ==
    return slow[3]


def assert_same_chunk(kb, raw, cols, roster, as_of=None, documents=True):
    """check_rows over a chunk gives, row by row, what the full path gives (without documents: the
    same Office but for its document, None or the full path's)."""
    fast = batch_rows_columns.check_rows(kb, SOURCE, [(n, list(c)) for n, c in raw], cols, roster, as_of, documents)
    assert len(fast) == len(raw)
    for (n, cells), got in zip(raw, fast):
        slow = batch_rows.check_row_slow(kb, SOURCE, n, list(cells), cols, roster, as_of)
        assert got[:3] == slow[:3]
        if isinstance(slow[3], batch_rows.RowError):
            assert isinstance(got[3], batch_rows.RowError), (cells, got[3])
            assert str(got[3]) == str(slow[3]) and got[3] == slow[3]
            continue
        assert isinstance(got[3], Office), (cells, str(got[3]))
        want = slow[3] if documents or got[3].document is not None else dataclasses.replace(slow[3], document=None)
        assert got[3] == want
        assert typed(got[3]) == typed(want), cells
    return fast


def columns(headers):
    return header_map(Sheet(SOURCE, list(headers)), OFFICE_COLUMNS, ("office.service",))


JA = [c.ja for c in OFFICE_COLUMNS]
COLS = columns(JA)
NO_ROSTER = staff_by_office(Sheet("staff.csv", [c.ja for c in STAFF_COLUMNS]))


@pytest.fixture(autouse=True)
def fresh_memos():
    batch_rows._state = None
    yield
    batch_rows._state = None


@pytest.mark.parametrize("seed", [7, 8])
def test_generated_tables_as_text_and_as_workbook_values(kb, seed):
    offices = generate(kb, 1500, seed)
    for n, o in enumerate(offices, 2):
        cells = bench_row(o)
        text = ["" if cells[c.key] is None else str(cells[c.key]) for c in OFFICE_COLUMNS]     # as a CSV gives them
        assert_same(kb, n, text, COLS, NO_ROSTER)
        raw = [cells[c.key] if cells[c.key] != "" else None for c in OFFICE_COLUMNS]       # numbers as a workbook
        assert_same(kb, n, raw, COLS, NO_ROSTER)
    for n, o in enumerate(offices[:200], 2):   # --as-of over the rows' dates: some fall outside the rules
        cells = bench_row(o)
        text = ["" if cells[c.key] is None else str(cells[c.key]) for c in OFFICE_COLUMNS]
        assert_same(kb, n, text, COLS, NO_ROSTER, dt.date(2024, 3, 1))
        assert_same(kb, n, text, COLS, NO_ROSTER, dt.date(2026, 8, 1))


@pytest.mark.parametrize("documents", [True, False])
def test_generated_tables_checked_a_chunk_at_a_time(kb, monkeypatch, documents):
    offices = generate(kb, 3000, 11)
    cells = [bench_row(o) for o in offices]
    text = [(n, ["" if c[k.key] is None else str(c[k.key]) for k in OFFICE_COLUMNS]) for n, c in enumerate(cells, 2)]
    raw = [(n, [c[k.key] if c[k.key] != "" else None for k in OFFICE_COLUMNS]) for n, c in enumerate(cells, 2)]
    alone = []     # rows the column path could not vouch for: none, in a well-formed table
    monkeypatch.setattr(batch_rows_columns, "check_row", lambda *a: alone.append(a) or batch_rows.check_row(*a))
    for table in (text, raw):
        for start in range(0, len(table), 1000):   # the first chunk fills the memos, the next ones read them
            assert_same_chunk(kb, table[start:start + 1000], COLS, NO_ROSTER, documents=documents)
    assert not alone
    assert_same_chunk(kb, text[:300], COLS, NO_ROSTER, dt.date(2024, 3, 1), documents)   # some fall outside the rules
    assert_same_chunk(kb, text[:300], COLS, NO_ROSTER, dt.date(2026, 8, 1), documents)


@pytest.mark.parametrize("table,staff", [(ROOT / "examples" / "batch" / "offices.csv", None),
                                         (ROOT / "examples" / "batch" / "offices-sjis.csv", None),
                                         (DATA / "mixed.csv", DATA / "staff.csv")])
def test_example_tables_with_a_roster(kb, table, staff):
    offices = open_offices(table, staff)
    rows = list(offices.sheet.rows)
    results = [assert_same(kb, n, cells, offices.cols, offices.roster) for n, cells in rows]
    assert results
    batch_rows._state = None
    assert_same_chunk(kb, rows, offices.cols, offices.roster)
    if staff is not None:   # the roster's rows reached an office, and some rows of the table are errors
        assert any(isinstance(r, Office) and r.staff for r in results)
        assert any(isinstance(r, batch_rows.RowError) for r in results)


def test_the_memos_stay_bounded_and_keep_the_answers(kb, monkeypatch):
    monkeypatch.setattr(batch_rows, "MEMO_ENTRIES", 40)
    monkeypatch.setattr(batch_rows, "MEMO_CHARS", 600)
    for n, o in enumerate(generate(kb, 600, 3), 2):
        cells = bench_row(o)
        assert_same(kb, n, ["" if cells[c.key] is None else str(cells[c.key]) for c in OFFICE_COLUMNS], COLS, NO_ROSTER)
    rows = batch_rows._state
    memos = [*rows.memos.values(), rows.words, rows.digits, *rows.ids_of.values()]
    assert max(len(m) for m in memos) <= 40 and max(m.chars for m in memos) <= 600
    assert sum(len(m) for m in memos) > 40        # they were used
    base = ["", "", "employment-b"] + [""] * 13
    for n in range(300):   # a hostile file: every cell new, some past the remembered size
        long = f"{n}級地" + "x" * (250 if n % 2 else 300)
        assert_same(kb, n, [long if c.key == "office.region" else x for c, x in zip(OFFICE_COLUMNS, base)], COLS, NO_ROSTER)
    batch_rows._state = None
    table = [(n, ["" if c[k.key] is None else str(c[k.key]) for k in OFFICE_COLUMNS])
             for n, c in enumerate(map(bench_row, generate(kb, 600, 4)), 2)]
    for start in range(0, 600, 200):
        assert_same_chunk(kb, table[start:start + 200], COLS, NO_ROSTER)
    rows = batch_rows._state
    memos = [*rows.memos.values(), rows.words, rows.digits, *rows.ids_of.values()]
    assert max(len(m) for m in memos) <= 40 and max(m.chars for m in memos) <= 600
    region = batch_rows._state.memos["office.region"]
    assert 0 < len(region) <= 40 and region.chars <= 600 and all(len(k) <= batch_rows.MEMO_KEY_CHARS for k in region)


# --------------------------------------------------------------------------- odd and hostile rows

YES_NO = ("はい", "いいえ", "yes", "no", "○", "×", "あり", "なし", "true", "1", "0", " はい ", "", 1, 0, True, 1.0)
MET_WORDS = ("wage.1", "wage.2", "cp1.1", "cp1.2", "cp1.3", "cp2.1", "cp2.1a", "cp2.2", "cp3.1a", "cp3.2", "cp4", "cp5",
             "visibility", "見える化要件", "見える化", "キャリアパス要件Ⅰ")
PLEDGE_WORDS = ("cp3", "pledge.cp3", "キャリアパス要件Ⅲ")
ITEM_WORDS = ("1", "3", "5", "9", "14", "18", "22", "25", "①", "㉒", "①⑤⑨", "２２", "(22)")
SEPARATORS = (" ", ",", "、", "，", ";", "；", "  ", "\t", " , ")

# odd but good spellings of each column: rows made of these pass, so the fast path's own readings are compared
GOOD = {
    "office.id": ("1312345678", "0012345678", " 1312345678 ", 1312345678.0, 1312345678, "", "１３１２"),
    "office.name": ("ひまわり", "", " 名前 ", 12),
    "office.service": ("放課後等デイサービス", "after-school-day", "employment-b", "就労継続支援B型", " 居宅介護 ", "group-home-day",
                       "計画相談支援"),
    "office.employees": ("12", "１２", "4,500", "12人", 12.0, 12, "1000000", "0", "", " 7 "),
    "office.single_office_corp": YES_NO,
    "office.region": ("6級地", "６級地", "6", 6, 6.0, "その他", "other", "その他地域", "", "1級地 "),
    "office.monthly_units": ("180000", "1,800,000", "100000000", 180000, 1.5e5, "１８００００", ""),
    "as_of": ("2025-07-01", "2025/7/1", "令和7年7月1日", "R7.7.1", dt.date(2025, 7, 1), dt.datetime(2026, 7, 1, 9, 30),
              "2024-07-01", "2026-11-21", " 2025-07-01 ", ""),
    "history.shogu": ("1", "2", "3", "なし", "Ⅰ", "I", "II", "１", "0", "none", "-", 1, 2.0, "", "いいえ"),
    "history.tokutei": ("1", "2", "なし", "", 2, "Ⅱ"),
    "history.baseup": YES_NO,
    "met": ("wage.1 cp1.1", "cp1.1、cp1.2，cp1.3", "見える化要件", "cp1.1 cp1.1", 1, ""),
    "top_annual_wage": ("4300000", "450万円", "4,500,000円", 4300000, 4.3e6, "４３０００００", ""),
    "workplace": ("1 3 5", "①⑤⑨⑭", "２２、(22)", 1, 3.0, "㉒ ①", ""),
    "collab_corp": YES_NO,
    "pledged": ("cp3", "pledge.cp3", "キャリアパス要件Ⅲ", "cp3 cp3", ""),
}
# what a row must not get past: each column's bad values (and odd ones the full path may refuse)
ODD = {
    "office.id": ("id\udc80", 1.5, "9999999999", "1300000002", "x" * 300),
    "office.name": ("n\udc80", "x" * 300),
    "office.service": ("B型", "居宅介護", "unknown service", "kaigo-day-service", 3, "\udc80", True),
    "office.employees": ("-1", "3.5", 3.5, True, "0x10", "²", "1" * 20, "1000001", "12 人", "1:30", "Ⅻ", "1" + "," * 33_000),
    "office.single_office_corp": ("maybe", 2, "²", 0.5),
    "office.region": ("8級地", "²級地", "0", 8, 1.5, "級地", "\udc80"),
    "office.monthly_units": ("100000001", "abc", "1e5", 1.5, -3, "٣", ",", "1,,000", "180000,", ",1" + "0" * 15),
    "as_of": ("20250701", "2025-02-30", "平成32年1月1日", "2019-01-01", "2030-01-01", 20250701, 2025, 1.5, "2025W271",
              "令和0年1月1日", "x"),
    "history.shogu": ("4", 2.5, "Ⅳ", "²", "1.0", True, "-1"),
    "history.tokutei": ("3", "Ⅲ", 3),
    "history.baseup": ("maybe", 2),
    "met": ("cp9.9", "CP1.1", "ｃｐ１．１", "wage", "cp", "pledge.cp3", "\udc80", "old.baseup-wage tokurei.a", 1.5, True,
            "wage.1\x00"),
    "top_annual_wage": ("1億", "abc", "99999999999", "450万5000円", "4.5万", -1, 4.5),
    "workplace": ("29", "0", "99", "²", "½", "1" * 20, "0" * 15 + "3", "a", "1.5", "①x", 3.5, True, "1 ² 3", "٣", "1\x1c3",
                  "1,,3;;5 ", "1\u30003"),
    "collab_corp": ("maybe", "²"),
    "pledged": ("cp9", "cp1", "wage.1", 3, "\udc80"),
}


def _cells(good: tuple, odd: tuple, words=None):
    values = st.sampled_from(good + odd)
    if words:   # lists: also words of the column's vocabulary run together with any separators
        vocabulary = words + tuple(x for x in odd if isinstance(x, str))
        values = st.one_of(values, st.builds(lambda ws, seps: "".join(w + x for w, x in zip(ws, seps)).strip(),
                                             st.lists(st.sampled_from(vocabulary), max_size=10),
                                             st.lists(st.sampled_from(SEPARATORS), min_size=10, max_size=10)))
    return st.one_of(values, st.text(max_size=8))


CELLS = {k: _cells(GOOD[k], ODD[k], {"met": MET_WORDS, "pledged": PLEDGE_WORDS, "workplace": ITEM_WORDS}.get(k))
         for k in GOOD}
GOOD_CELLS = {k: st.sampled_from(v) for k, v in GOOD.items()}
HUGE = "1" * 33_000 + " "     # past a cell's limit: the row's error names the column


def _staff():
    sheet = Sheet("staff.csv", [c.ja for c in STAFF_COLUMNS], [
        (2, ["1312345678", "山田 花子", "保育士", "保育士;社会福祉士", "11", "4400000", "4100000"]),
        (3, ["1312345678", "", "児童指導員", "介護福祉士、社会福祉士", "3", "3600000", ""]),
        (4, ["9999999999", "", "未知の職種", "", "3", "3600000", ""]),
        (5, ["1300000002", "", "生活支援員", "", "x", "3600000", ""])])
    return staff_by_office(sheet)


ROSTER = _staff()


@st.composite
def rows(draw):
    keys = [c.key for c in OFFICE_COLUMNS]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True))   # a subset of the columns, in any order
    if "office.service" not in chosen:    # a table without it is refused whole (header_map)
        chosen.insert(draw(st.integers(0, len(chosen))), "office.service")
    english = draw(st.booleans())
    headers = [next(c.en if english else c.ja for c in OFFICE_COLUMNS if c.key == k) for k in chosen]
    odd = draw(st.sampled_from((0.0, 0.1, 0.3, 1.0)))   # share of cells drawn from all values and any text
    cells = [draw(CELLS[k] if draw(st.floats(0, 1)) < odd else GOOD_CELLS[k]) for k in chosen]
    if draw(st.integers(0, 30)) == 0:
        cells[draw(st.integers(0, len(cells) - 1))] = HUGE
    return headers, cells


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows(), st.sampled_from([None, dt.date(2025, 7, 1), dt.date(2024, 1, 1)]), st.booleans(), st.integers(1, 3))
def test_odd_and_hostile_rows(row, as_of, with_roster, repeat):
    kb = load_kb()     # not a fixture: hypothesis would print the whole KB with a failing example
    headers, cells = row
    cols = columns(headers)
    for _ in range(repeat):    # the second time from the memos
        assert_same(kb, 7, cells, cols, ROSTER if with_roster else NO_ROSTER, as_of)


@st.composite
def tables(draw):
    """Headers and a few rows under them, each drawn as `rows` draws one (same columns)."""
    headers, cells = draw(rows())
    keys = [next(c.key for c in OFFICE_COLUMNS if h in (c.ja, c.en)) for h in headers]
    more = draw(st.lists(st.tuples(*(CELLS[k] if k in CELLS else GOOD_CELLS[k] for k in keys)), max_size=6))
    same = draw(st.lists(st.sampled_from([cells, *map(list, more)]), max_size=4))   # equal rows: one table entry
    return headers, [cells, *map(list, more), *same]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables(), st.sampled_from([None, dt.date(2025, 7, 1), dt.date(2024, 1, 1)]), st.booleans(), st.booleans(),
       st.integers(1, 2))
def test_odd_and_hostile_rows_a_chunk_at_a_time(table, as_of, with_roster, documents, repeat):
    kb = load_kb()
    headers, cells = table
    cols = columns(headers)
    for _ in range(repeat):    # the second time from the memos
        assert_same_chunk(kb, list(enumerate(cells, 2)), cols, ROSTER if with_roster else NO_ROSTER, as_of, documents)


@pytest.mark.parametrize("as_of", [None, dt.date(2026, 7, 1)])
def test_each_good_and_odd_value_in_otherwise_good_rows(kb, as_of):
    bases = [bench_row(o) for o in generate(kb, 3, 5)]
    for base in bases:
        for key in GOOD:
            for value in GOOD[key] + ODD[key] + (HUGE,):
                cells = [value if c.key == key else base[c.key] for c in OFFICE_COLUMNS]
                assert_same(kb, 2, ["" if v is None else v for v in cells], COLS, NO_ROSTER, as_of)
                assert_same(kb, 2, ["" if v is None else v for v in cells], COLS, ROSTER, as_of)


def test_a_row_shorter_than_its_header_and_an_unmapped_column(kb):
    cols = columns(["サービス", "", "満たしている要件"])   # a blank header: its column is ignored
    assert_same(kb, 2, ["employment-b", "anything", "cp1.1"], cols, NO_ROSTER)
    assert_same(kb, 3, ["employment-b"], cols, NO_ROSTER)
    assert_same(kb, 4, [], cols, NO_ROSTER)
    assert_same_chunk(kb, [(2, ["employment-b", "anything", "cp1.1"]), (3, ["employment-b"]), (4, [])], cols, NO_ROSTER)
    assert_same_chunk(kb, [(2, ["employment-b", "anything", "cp1.1"]), (3, ["employment-b", "", ""])], cols, NO_ROSTER)
    assert batch_rows_columns.check_rows(kb, SOURCE, [], cols, NO_ROSTER, None) == []
