"""Per-action effort from a CSV file (`--effort FILE.csv`): columns action,effort or 取組,工数.

Read by carekb.tabular: UTF-8 (with or without BOM) or Shift_JIS, as spreadsheets save it; blank
rows and rows starting with '#' are skipped; other columns are ignored. A value here overrides the
profile's `effort:` for that action; actions not named keep the profile's value (default 1).
"""

from __future__ import annotations

from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Period
from carekb.inputs.profile import check_effort, check_effort_items
from carekb.inputs.tabular import read_csv

HEADERS = {"action": "action", "取組": "action", "effort": "effort", "工数": "effort"}


def read_effort_csv(path: str | Path, kb: KB) -> tuple[dict[str, int], dict[str, int]]:
    """({action: effort}, {action: row number}) from an effort CSV; a bad row is an error naming it."""
    source = str(path)
    sheet, _ = read_csv(path)
    header = [HEADERS.get(h.lower() if h.isascii() else h) for h in sheet.header]
    if "action" not in header or "effort" not in header:
        raise CarekbError(t("inputs.effort.header", got=repr(",".join(sheet.header))),
                          source, t("inputs.place.row", row=sheet.header_row))
    ia, ie = header.index("action"), header.index("effort")
    out: dict[str, int] = {}
    where: dict[str, int] = {}
    for n, cells in sheet.rows:
        place = t("inputs.place.row", row=n)
        if cells[ia] is None or cells[ie] is None:   # read_csv pads a short row with None
            raise CarekbError(t("inputs.effort.columns", expected=len(cells), got=cells.index(None)), source, place)
        action, value = cells[ia].strip(), cells[ie].strip().replace(",", "")
        if action in out:
            raise CarekbError(t("inputs.effort.twice", action=action, row=where[action]), source, place)
        try:  # the checks (and messages) of a profile's `effort:`, placed at this row
            out |= check_effort({action: cells[ie]}, kb, source)   # check_effort reads "3", "３", not "²" or 5,000 digits
        except CarekbError as e:
            e.where = place
            raise
        where[action] = n
    return out, where


def check_in_period(effort: dict[str, int], rows: dict[str, int], kb: KB, period: Period, source: str) -> None:
    """workplace.N must name an item of the period's list (numbers differ between R6 and R7+)."""
    check_effort_items(effort, kb, period, source, lambda a: t("inputs.place.row", row=rows.get(a, '?')))
