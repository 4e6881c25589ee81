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
file (unreadable, damaged, unknown or missing column) is a CarekbError.

Process layout: this process reads the rows and hands them out in chunks (the first, small one
it checks and evaluates itself, so that the workers forked after it inherit the compiled rules);
a pool of forked workers, kept for the whole run, checks and evaluates the others (`batch_rows`:
memoised cell readings; `batch_eval`: the whole-chunk array path), at most a few chunks ahead of
the consumer, and sends back compact results, in file order. Memory stays bounded by the chunks in
flight, whatever the file's size.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import count, islice, repeat
from operator import attrgetter
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.inputs.tabular import Sheet, open_table
from carekb.solver.gap import evaluate
from carekb.solver.vectorized import evaluate_modes, fork_stream, gc_paused, shared
from carekb.app.batch_columns import OFFICE_COLUMNS, STAFF_SHEETS, Column, Roster, header_map, ident, staff_by_office, _empty
from carekb.app.batch_eval import briefs
from carekb.app.batch_rows import RowError
from carekb.app.batch_rows_columns import check_rows
from carekb.i18n import t
from carekb.app.batch_sheets import Summary, tier_order
from carekb.app import fidelity
from carekb.app.report import to_dict

MODES = ("counted", "ignored")      # pledge modes: pledges counted as met / ignored (`--no-pledge`)
FIRST = 2_000                       # rows of the first chunk, done here before the workers are forked
CHUNK = 10_000                      # rows of a worker's chunk: large enough that numpy calls are shared widely

# everything an evaluation reads of an Office but its staff roster (`carekb.inputs.profile.Office`)
_FACTS = attrgetter("service", "employees", "single_office_corp", "region", "monthly_units", "as_of", "shogu", "tokutei",
                    "baseup", "history_given", "met", "top_annual_wage", "workplace", "collab_corp", "pledged", "effort",
                    "guidance_done")
_STAFF, _SERVICE, _AS_OF = attrgetter("staff"), attrgetter("service"), attrgetter("as_of")

__all__ = ["RowError", "OfficeResult", "Offices", "Batch", "MODES", "open_offices", "stream", "collect", "run"]


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
    evaluated: int = 0                                     # offices solved
    read_seconds: float = 0.0                              # wall time spent reading rows (in this process)
    evaluate_seconds: float = 0.0                          # wall time spent waiting for checked and evaluated rows

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
        raise CarekbError(t("inputs.batch.no_office_sheet"), str(path))
    cols = header_map(office_sheet, OFFICE_COLUMNS, ("office.service",))
    if staff_path is not None:
        sheets = open_table(staff_path)
        staff_sheet = next((s for name, s in sheets.items() if name.strip().lower() in STAFF_SHEETS), None) \
            or next(iter(sheets.values()))
    roster = staff_by_office(staff_sheet) if staff_sheet is not None else Roster()
    return Offices(office_sheet, cols, roster)


def stream(kb: KB, offices: Offices, as_of: dt.date | None = None, modes: tuple[str, ...] = MODES, json: bool = False,
           alternatives: bool = False, workers: int | None = None, chunk: int = CHUNK, tick=None,
           stats: Batch | None = None, lang: str = "ja", keep_offices: bool = False, render=None) -> Iterator:
    """Every row's result or error, in file order. `json`: also each office's `carekb gap --format json`
    dict (under the first mode, readings in `lang`; with `alternatives` the equal-effort swaps too,
    one office at a time). `keep_offices`: each OfficeResult also carries its bound Office (.office).
    `render(items, ordinal) -> list`: applied to each chunk's items (and the chunk's ordinal in the
    file) in the worker that made them (an output writer's encoder, inherited, never pickled), whose
    list is yielded instead of the items.
    `tick(k)`: k more rows done. `stats` (a Batch) receives the counts and timings."""
    for m in modes:
        if m not in MODES:
            raise CarekbError(t("inputs.batch.unknown_mode", mode=m), "modes")
    stats = stats if stats is not None else Batch()
    stats.modes = tuple(modes)
    job = _Job(offices.sheet.source, offices.cols, offices.roster, as_of, tuple(m == "counted" for m in modes), json,
               alternatives, lang, keep_offices, render)
    known_ids: set[str] = set()
    results = fork_stream(_check_and_evaluate, enumerate(_chunks(offices, known_ids, chunk, stats)), (kb, job), workers)
    while True:
        started, reading = time.perf_counter(), stats.read_seconds
        part = next(results, None)
        stats.evaluate_seconds += time.perf_counter() - started - (stats.read_seconds - reading)
        if part is None:
            break
        items, evaluated, rows = part
        stats.evaluated += evaluated
        for item in items:
            if isinstance(item, RowError):
                stats.errors.append(item)
            yield item
        if tick:
            tick(rows)
    roster = offices.roster
    for oid in sorted(set(roster) - known_ids - {""}):
        e = RowError(roster.source, roster.first_row[oid], oid, t("err.batch.staff_unknown_office"))
        stats.errors.append(e)
        yield e


def _chunks(offices: Offices, known_ids: set, chunk: int, stats: Batch) -> Iterator[list]:
    """The rows in chunks (the first one small), noting the office ids seen (only a staff roster's
    rows of no office need them) and the time spent reading."""
    id_col = next((i for i, c in offices.cols.items() if c.key == "office.id"), None) if offices.roster else None
    rows = iter(offices.sheet.rows)
    size = min(FIRST, chunk)
    while True:
        started = time.perf_counter()
        with gc_paused():     # lists of cells make no cycles: the collector's passes over them would be waste
            raw = list(islice(rows, size))
        if id_col is not None:
            for n, cells in raw:
                if id_col < len(cells) and not _empty(cells[id_col]):
                    known_ids.add(ident(cells[id_col]))
        stats.rows += len(raw)
        stats.read_seconds += time.perf_counter() - started
        if not raw:
            return
        yield raw
        size = chunk


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
    render: object = None         # the output's encoder, run in the workers (stream)


def _check_and_evaluate(chunk: tuple[int, list]) -> tuple[list, int, int]:
    """(each row's OfficeResult or RowError — or what job.render makes of them —, distinct offices
    evaluated, rows) of the chunk (its ordinal in the file, its rows), in a worker. Offices with the
    same facts but for their id and name (and without staff rows) are evaluated once."""
    kb, job = shared()
    ordinal, raw = chunk
    with gc_paused():
        items, evaluated, rows = _check_and_evaluate_rows(kb, job, raw)
        return (job.render(items, ordinal) if job.render else items), evaluated, rows


def _check_and_evaluate_rows(kb: KB, job: _Job, raw: list) -> tuple[list, int, int]:
    # the chunk's rows checked column by column; an Office keeps its profile document only when it
    # leaves the worker (keep_offices: what-if edits it), no evaluation reads it
    checked = check_rows(kb, job.source, raw, job.cols, job.roster, job.as_of, documents=job.keep_offices)
    good = [r for r in checked if not isinstance(r[3], RowError)]
    if not good:
        return [r[3] for r in checked], 0, len(raw)
    ns, oids, names, offs = zip(*good)
    keys = list(map(_FACTS, offs))
    if any(map(_STAFF, offs)):    # an office with staff rows is its own
        keys = [r if r[3].staff else k for r, k in zip(good, keys)]
    first: dict = {}              # facts → the first row with them (dict order: first seen first)
    firsts = list(map(first.setdefault, keys, range(len(keys))))
    offices = list(map(offs.__getitem__, first.values()))
    ks = list(map(dict(zip(first.values(), count())).__getitem__, firsts))    # row → its office in `offices`
    modes = briefs(kb, offices, job.flags) if job.flags else [()] * len(offices)
    datas = _json(kb, offices, job.flags[0] if job.flags else True, job.alternatives, job.lang) if job.json else None
    data = repeat(None)
    if datas is not None:   # shared between rows with the same facts: this row's identity on a copy
        data = [dict(datas[k], office=o.id or o.name or None, office_name=o.name or None, warnings=list(datas[k]["warnings"]))
                for k, o in zip(ks, offs)]
    services, days = list(map(_SERVICE, offs)), list(map(_AS_OF, offs))
    at = list(zip(services, days))
    periods = {k: kb.for_service(k[0]).period_at(k[1]).id for k in set(at)}
    items = list(map(OfficeResult, ns, oids, names, services, map(periods.__getitem__, at), days,
                     map(modes.__getitem__, ks), data, offs if job.keep_offices else repeat(None)))
    if len(good) < len(checked):    # the row errors in their places
        results = iter(items)
        items = [r[3] if isinstance(r[3], RowError) else next(results) for r in checked]
    return items, len(offices), len(raw)


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
