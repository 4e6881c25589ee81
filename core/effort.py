"""Per-action effort from a CSV file (`--effort FILE.csv`): columns action,effort or 取組,工数.

UTF-8 (with or without BOM) or Shift_JIS, as spreadsheets save it. A value here overrides the
profile's `effort:` for that action; actions not named keep the profile's value (default 1).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .errors import CarekbError
from .model import KB, Period
from .profile import is_action_id

HEADERS = {"action": "action", "取組": "action", "effort": "effort", "工数": "effort"}
MAX_EFFORT = 1_000_000
MAX_BYTES = 5_000_000


def decode(raw: bytes, source: str) -> str:
    for enc in ("utf-8-sig", "cp932"):  # cp932 is the Windows superset of Shift_JIS that Excel writes
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CarekbError("neither UTF-8 nor Shift_JIS text", source)


def read_effort_csv(path: str | Path, kb: KB) -> tuple[dict[str, int], dict[str, int]]:
    """({action: effort}, {action: row number}) from an effort CSV; a bad row is an error naming it."""
    source = str(path)
    p = Path(path)
    if not p.is_file():
        raise CarekbError("file not found", source)
    if p.stat().st_size > MAX_BYTES:
        raise CarekbError(f"file too large for an effort table (at most {MAX_BYTES:,} bytes)", source)
    rows = list(csv.reader(io.StringIO(decode(p.read_bytes(), source))))
    if not rows:
        raise CarekbError("empty file (expected the header action,effort or 取組,工数)", source)
    header = [HEADERS.get(h.strip().lower() if h.strip().isascii() else h.strip()) for h in rows[0]]
    if "action" not in header or "effort" not in header:
        raise CarekbError(f"header must name the columns action,effort (or 取組,工数), got {','.join(rows[0])!r}",
                          source, "row 1")
    ia, ie = header.index("action"), header.index("effort")
    out: dict[str, int] = {}
    where: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        place = f"row {n}"
        if len(row) <= max(ia, ie):
            raise CarekbError(f"expected {len(rows[0])} columns, got {len(row)}", source, place)
        action, value = row[ia].strip(), row[ie].strip().replace(",", "")
        if not is_action_id(kb, action):
            raise CarekbError(f"unknown action '{action}' (an atom id, workplace.N or pledge.X)", source, place)
        if action in out:
            raise CarekbError(f"action '{action}' given twice (first on row {where[action]})", source, place)
        if not value.isdigit() or not 1 <= int(value) <= MAX_EFFORT:
            raise CarekbError(f"effort must be a whole number from 1 to {MAX_EFFORT:,}, got {row[ie]!r}", source, place)
        out[action], where[action] = int(value), n
    return out, where


def check_in_period(effort: dict[str, int], rows: dict[str, int], kb: KB, period: Period, source: str) -> None:
    """workplace.N must name an item of the period's list (numbers differ between R6 and R7+)."""
    items = kb.items[period.item_list]
    for action in effort:
        if action.startswith("workplace.") and int(action.split(".")[1]) not in items:
            raise CarekbError(f"{action} is not in the {period.id} item list (1–{max(items)})", source,
                              f"row {rows.get(action, '?')}")
