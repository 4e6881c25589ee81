"""Table rows as carekb.inputs.tabular streams them: blank rows and comment rows ('#' first) skipped,
short rows padded, rows past the header refused unless the extra cells are blank, each with its
line number. The reader decides most rows from their first cell alone; these tests hold it to
the whole-row rules (tabular._blank, tabular._comment) for any cells, as CSV text and as workbook
values."""

import csv
import io

import pytest
from hypothesis import given, settings, strategies as st

from carekb.model.errors import CarekbError
from carekb.inputs import tabular

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=4)
CELL = st.sampled_from(["", " ", "\u3000", "\t", "#", " #x", "\u3000#", "x", "x#", "1", "ｘ", "# note", "\ufeff#"]) | TEXT
VALUE = CELL | st.sampled_from([None, 0, 1, 1.5, True, False])


def expected(header_width: int, rows: list) -> list | str:
    """The rows the rules keep (n, cells), or "refused" for a row with cells past the header."""
    out = []
    for n, cells in rows:
        if tabular._blank(cells) or tabular._comment(cells):
            continue
        if len(cells) > header_width:
            if not tabular._blank(cells[header_width:]):
                return "refused"
            cells = cells[:header_width]
        out.append((n, list(cells) + [None] * (header_width - len(cells))))
    return out


def streamed(sheet) -> list | str:
    try:
        return [(n, list(c)) for n, c in sheet.rows]
    except CarekbError:
        return "refused"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELL, max_size=5), max_size=12))
def test_csv_rows_follow_the_whole_row_rules(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("t") / "t.csv"
    text = io.StringIO()
    csv.writer(text).writerows([["a", "b", "c"], *rows])
    path.write_text(text.getvalue(), encoding="utf-8")
    sheet = tabular.open_csv(path)
    assert sheet.header == ["a", "b", "c"]
    back = list(csv.reader(io.StringIO(text.getvalue(), newline="")))[1:]   # the cells as the csv module reads them
    want, got = expected(3, list(enumerate(back))), streamed(sheet)
    assert (want == got == "refused") or [c for _, c in got] == [c for _, c in want]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(VALUE, max_size=5), max_size=12))
def test_workbook_values_follow_the_whole_row_rules(rows):
    numbered = list(enumerate(rows, 2))
    sheet = tabular._sheet("book.xlsx [s]", iter([(1, ["a", "b", "c"]), *numbered]))
    assert streamed(sheet) == expected(3, numbered)


@pytest.mark.parametrize("first", ["#x", " #x", "\u3000#x", "", " ", "\u3000"])
def test_a_row_is_kept_or_skipped_by_its_first_non_blank_cell(first):
    sheet = tabular._sheet("t", iter([(1, ["a", "b"]), (2, [first, "#y"]), (3, [first, "y"])]))
    kept = [n for n, _ in sheet.rows]
    assert kept == ([] if first.strip().startswith("#") else [3] if not first.strip() else [2, 3])
