"""Batch gap analysis: one office per table row, streamed from the file in chunks, each row built
into the profile dict of docs/profile.md, checked (same messages as a YAML profile), bound and
evaluated under one or both pledge modes; results and row errors come out in file order.

Entry points (also for carekb.app.api and the web API):

    offices = open_offices(path, staff_path=None)          # header checked; rows not read yet
    for item in stream(kb, offices, as_of=None, modes=MODES, json=False, workers=None):
        ...   # OfficeResult or RowError, in file order; memory bounded by `chunk` rows
    batch = collect(kb, offices, **same options)          # everything in lists (small inputs)
    batch = run(kb, *read_offices(path), use_pledges=True)  # one mode, with gap JSON dicts (carekb.batch)

A bad row becomes a RowError (`FILE: row N (id X): message`) and does not stop the others; a bad
file (unreadable, damaged, unknown or missing column) is a CarekbError. Rows are checked, bound and
evaluated on forked workers (solver.vectorized.fork_map), span by span; identical office facts
within a span (up to 6,000 rows) are evaluated once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from carekb.model.dates import parse_date
from carekb.model.errors import CarekbError, CarekbErrors
from carekb.model.types import KB
from carekb.inputs.profile import bind, check
from carekb.inputs.tabular import MAX_CELL_CHARS, Sheet, open_table
from carekb.solver.gap import evaluate
from carekb.solver.vectorized import evaluate_modes, fork_map, shared
from carekb.app.batch_columns import (OFFICE_COLUMNS, STAFF_SHEETS, Column, Roster, header_map, ident, row_profile,
                                      staff_by_office, _empty)
from carekb.app.batch_sheets import Summary, brief, tier_order
from carekb.app import fidelity
from carekb.app.report import to_dict

MODES = ("counted", "ignored")      # pledge modes: pledges counted as met / ignored (`--no-pledge`)
CHUNK = 25_000                      # rows held at once: bounds memory whatever the file's size


@dataclass
class RowError:
    source: str
    row: int
    office: str
    message: str

    def __str__(self) -> str:
        who = f" (id {self.office})" if self.office else ""
        return f"{self.source}: row {self.row}{who}: {self.message}"


@dataclass(slots=True)
class OfficeResult:
    row: int
    office_id: str
    office_name: str
    service: str
    period: str
    as_of: dt.date
    modes: tuple            # per pledge mode (in Offices.modes order): batch_sheets.brief() of the evaluation
    data: dict | None = None   # the `carekb gap --format json` dict (first mode), when asked for
    office: object = None      # the checked, bound Office, when asked for (keep_offices: a report per office)


@dataclass
class Offices:
    """An opened input: the offices sheet (rows streamed), its columns, and the staff roster."""
    sheet: Sheet
    cols: dict[int, Column]
    roster: Roster


@dataclass
class Batch:
    items: list[OfficeResult] = field(default_factory=list)   # good rows, in file order
    errors: list[RowError] = field(default_factory=list)
    modes: tuple[str, ...] = MODES
    rows: int = 0
    evaluated: int = 0                                     # distinct office facts solved
    evaluate_seconds: float = 0.0                          # wall time spent evaluating (the rest is reading and checking)

    @property
    def results(self) -> list[tuple[int, dict]]:
        """(row number, `carekb gap --format json` dict) per good row (with json=True)."""
        return [(r.row, r.data) for r in self.items]


def open_offices(path: str | Path, staff_path: str | Path | None = None) -> Offices:
    """The offices sheet and its column map, and the staff roster by office id (from `staff_path` or
    a 職員/staff sheet of the workbook). Raises CarekbError for a file that cannot be used."""
    sheets = open_table(path)
    staff_sheet = next((s for name, s in sheets.items() if name.strip().lower() in STAFF_SHEETS), None)
    office_sheet = next((s for name, s in sheets.items()
                         if name.strip().lower() not in STAFF_SHEETS and not name.startswith(("説明", "notes"))), None)
    if office_sheet is None:
        raise CarekbError("no sheet of offices in the workbook", str(path))
    cols = header_map(office_sheet, OFFICE_COLUMNS, ("office.service",))
    if staff_path is not None:
        sheets = open_table(staff_path)
        staff_sheet = next((s for name, s in sheets.items() if name.strip().lower() in STAFF_SHEETS), None) \
            or next(iter(sheets.values()))
    roster = staff_by_office(staff_sheet) if staff_sheet is not None else Roster()
    return Offices(office_sheet, cols, roster)


def stream(kb: KB, offices: Offices, as_of: dt.date | None = None, modes: tuple[str, ...] = MODES, json: bool = False,
           alternatives: bool = False, workers: int | None = None, chunk: int = CHUNK, tick=None,
           stats: Batch | None = None, lang: str = "ja", keep_offices: bool = False) -> Iterator[OfficeResult | RowError]:
    """Every row's result or error, in file order. `json`: also each office's `carekb gap --format json`
    dict (under the first mode, readings in `lang`; with `alternatives` the equal-effort swaps too,
    one office at a time). `keep_offices`: each OfficeResult also carries its bound Office (.office).
    `tick(k)`: k more rows done. `stats` (a Batch) receives the counts."""
    for m in modes:
        if m not in MODES:
            raise CarekbError(f"unknown pledge mode '{m}' (counted, ignored)", "modes")
    stats = stats if stats is not None else Batch()
    stats.modes = tuple(modes)
    job = _Job(offices.sheet.source, offices.cols, offices.roster, as_of, tuple(m == "counted" for m in modes), json,
               alternatives, lang, keep_offices)
    known_ids: set[str] = set()
    raw: list = []
    id_col = next((i for i, c in offices.cols.items() if c.key == "office.id"), None)
    for n, cells in offices.sheet.rows:
        stats.rows += 1
        raw.append((n, cells))
        if id_col is not None and not _empty(cells[id_col]):
            known_ids.add(ident(cells[id_col]))
        if len(raw) >= chunk:
            yield from _chunk(kb, raw, job, workers, tick, stats)
            raw = []
    yield from _chunk(kb, raw, job, workers, tick, stats)
    roster = offices.roster
    for oid in sorted(set(roster) - known_ids - {""}):
        e = RowError(roster.source, roster.first_row[oid], oid, "staff rows name an office id that is not in the offices table")
        stats.errors.append(e)
        yield e


@dataclass(frozen=True)
class _Job:
    """What every row of a run is checked and evaluated with (inherited by the forked workers)."""
    source: str
    cols: dict
    roster: Roster
    as_of: dt.date | None
    flags: tuple[bool, ...]       # pledge modes: counted → True
    json: bool
    alternatives: bool
    lang: str
    keep_offices: bool = False


def _chunk(kb: KB, raw: list, job: _Job, workers, tick, stats: Batch):
    """Check, bind and evaluate a chunk of rows, span by span on the workers, and yield in file order."""
    span = _span(len(raw))
    parts = fork_map(_check_and_evaluate, [(i, min(i + span, len(raw))) for i in range(0, len(raw), span)],
                     (kb, raw, job), workers)
    while True:
        started = time.perf_counter()
        try:
            part, evaluated = next(parts)
        except StopIteration:
            break
        finally:
            stats.evaluate_seconds += time.perf_counter() - started
        stats.evaluated += evaluated
        for item in part:
            if isinstance(item, RowError):
                stats.errors.append(item)
            yield item
    if tick and raw:
        tick(len(raw))


def _check_and_evaluate(span: tuple[int, int]) -> tuple[list, int]:
    """(each row's OfficeResult or RowError, number of distinct office facts evaluated), in a worker."""
    kb, raw, job = shared()
    checked = [_check_row(kb, job.source, n, cells, job.cols, job.roster, job.as_of) for n, cells in raw[span[0]:span[1]]]
    distinct: dict = {}
    offices = []
    for _, _, _, office in checked:
        if not isinstance(office, RowError):
            k = _fact_key(office)
            if k not in distinct:
                distinct[k] = len(offices)
                offices.append(office)
    briefs = evaluate_modes(kb, offices, job.flags, brief) if job.flags else [()] * len(offices)
    datas = _json(kb, offices, job.flags[0] if job.flags else True, job.alternatives, job.lang) if job.json else None
    out = []
    for n, oid, name, office in checked:
        if isinstance(office, RowError):
            out.append(office)
            continue
        k = distinct[_fact_key(office)]
        data = None
        if datas is not None:  # shared between rows with the same facts: re-stamp this row's identity on a copy
            data = dict(datas[k], office=office.id or office.name or None, office_name=office.name or None,
                        warnings=list(datas[k]["warnings"]))
        out.append(OfficeResult(n, oid, name, office.service, kb.for_service(office.service).period_at(office.as_of).id,
                                office.as_of, briefs[k], data, office if job.keep_offices else None))
    return out, len(offices)


def collect(kb: KB, offices: Offices, **options) -> Batch:
    """`stream` into lists (for small inputs, tests and the library API)."""
    out = Batch()
    for item in stream(kb, offices, stats=out, **options):
        if isinstance(item, OfficeResult):
            out.items.append(item)
    return out


def read_offices(path: str | Path, staff_path: str | Path | None = None) -> tuple[Sheet, dict[int, Column], Roster]:
    """`open_offices` as (sheet, columns, roster)."""
    o = open_offices(path, staff_path)
    return o.sheet, o.cols, o.roster


def run(kb: KB, sheet: Sheet, cols: dict[int, Column], roster: Roster | None = None, as_of=None, use_pledges: bool = True,
        alternatives: bool = False, tick=None, workers: int | None = None) -> Batch:
    """One pledge mode, with each office's JSON dict (`Batch.results`): what `carekb batch --out X.json`
    and `carekb.batch()` give."""
    return collect(kb, Offices(sheet, cols, roster or Roster()), as_of=as_of, modes=(MODES[0] if use_pledges else MODES[1],),
                   json=True, alternatives=alternatives, tick=tick, workers=workers)


def summary_table(kb: KB, batch: Batch, lang: str = "ja") -> tuple[list[str], list[list]]:
    """The summary sheet of a collected batch: headers and rows (the tiers of the periods present)."""
    summary = Summary(kb, tier_order(kb, {r.period for r in batch.items}), batch.modes, lang)
    return summary.headers, [summary.row(r) for r in batch.items]


def _check_row(kb: KB, source: str, n: int, cells: list, cols: dict[int, Column], roster: Roster, as_of):
    values = {cols[i].key: v for i, v in enumerate(cells) if i in cols}
    oid = "" if _empty(values.get("office.id")) else ident(values["office.id"])
    name = "" if _empty(values.get("office.name")) else ident(values["office.name"])
    prefix = f"{source}: row {n}" + (f" (id {oid})" if oid else "")
    try:
        long = next((k for k, v in values.items() if isinstance(v, str) and len(v) > MAX_CELL_CHARS), None)
        if long:
            raise CarekbError(f"cell of {len(values[long]):,} characters (at most {MAX_CELL_CHARS:,})", prefix, long)
        data = row_profile(values)
        if "as_of" in data and not isinstance(data["as_of"], dt.date):
            data["as_of"] = parse_date(data["as_of"], prefix, "as_of")
        if oid in roster:
            data["staff"] = roster[oid]
        office = check(data, {}, prefix, kb)
        office, _ = bind(office, kb, as_of)
        return n, oid, name, office
    except CarekbError as e:
        return n, oid, name, RowError(source, n, oid, _row_message(e, prefix))


def _span(n: int) -> int:
    """Rows a worker checks and evaluates at once: large spans share numpy calls among more offices
    (1.9 → 1.5 ms an office from 3,000 to 12,000) but hold their Evaluations until rendered; the
    first span is the parent's, whose compiled rules the workers then inherit."""
    return max(500, min(6_000, n // 5 + 1))


def _json(kb: KB, offices: list, use_pledges: bool, alternatives: bool, lang: str) -> list[dict]:
    """`carekb gap --format json` of each office, in order."""
    if alternatives:  # alternatives need the one-office path (the equal-effort swaps)
        out = []
        for o in offices:
            okb = kb.for_service(o.service)
            ev = evaluate(okb, o, okb.period_at(o.as_of), use_pledges, alternatives=True)
            out.append(_as_json(kb, lang, ev, alternatives=True))
    else:
        out = evaluate_modes(kb, offices, use_pledges, partial(_as_json, kb, lang))
    for r in out:
        r["engine"] = "dnf"  # as `carekb gap --format json` reports it
    return out


def _as_json(kb: KB, lang: str, ev, alternatives: bool = False) -> dict:
    """The dict `carekb gap --format json` prints, readings and user rates included."""
    return fidelity.annotate(to_dict(ev, alternatives=alternatives), kb, ev, lang)


def _row_message(e: CarekbError, prefix: str) -> str:
    """The error without the 'FILE: row N (id X)' prefix that RowError adds back; every problem of
    the row on one line, separated by ' / '."""
    if isinstance(e, CarekbErrors):
        shown = [_row_message(CarekbError(p.message, p.source, p.where), prefix) for p in e.problems[:CarekbErrors.SHOWN]]
        more = len(e.problems) - len(shown)
        return " / ".join(shown + ([f"… +{more}"] if more > 0 else []))
    text = str(e)
    return text[len(prefix) + 2:] if text.startswith(prefix + ": ") else text


def _fact_key(office):
    """Everything an evaluation depends on: the office minus its identity (id, name, file)."""
    staff = tuple(tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in s.items()))
                  if isinstance(s, dict) else s for s in office.staff)
    return replace(office, id="", name="", source="", staff=()), staff
