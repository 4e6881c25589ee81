"""The one door to carekb: load the KB and profiles, and ask what the commands ask.

    import carekb
    office = carekb.load_profile("examples/r7-after-school-day.yaml")  # a path, a dict, or YAML/JSON text
    r = carekb.gap(office)                 # likewise tiers, explain, whatif, plan, requirements, services
    r.highest, r.targets[0].missing        # the contract's keys read as attributes
    r.to_dict()                            # == `carekb gap PROFILE --format json`

Every function takes `kb=` (a KB from `load_kb`, reused across calls) or `overlays=` (rule overlays:
Turtle paths or `Overlay(name, turtle)`; the KB is then loaded with them), and returns a result
object whose `to_dict()` is exactly the JSON the command prints.  Bad input raises CarekbError
with the file and place, as the command line reports it.  The command line (carekb.cli) and the
web API (carekb.web) call these functions and only present their results.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence, Union

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.overlay import Overlay
from carekb.model.types import KB
from carekb.graph import kbload
from carekb.inputs import normalize
from carekb.inputs.effort import check_in_period, read_effort_csv
from carekb.inputs.profile import Office, bind, check, check_effort, check_effort_items, parse_date, read_source
from carekb.solver.explain import explain as explain_tier
from carekb.solver.gap import evaluate
from carekb.app import batch as batch_run
from carekb.app import fidelity
from carekb.app import kb_view
from carekb.app import plan as planning
from carekb.app import staff as staff_view
from carekb.app import whatif as changes
from carekb.app.contract import note_overlays
from carekb.app.guidance import load_guidance
from carekb.app.report import short_tier, tiers_dict, to_dict
from carekb.app.results import (ExplainResult, GapResult, PlanResult, Record, RequirementsResult, ServicesResult,
                                SparqlResult, StaffResult, TiersResult, WhatifResult, _pandas)
from carekb.app.sparql import evaluations_dataset, kb_from_endpoint, oxigraph_store, query_store

__all__ = ["Overlay", "Office", "KB", "load_kb", "load_profile", "gap", "tiers", "explain", "whatif", "plan",
           "requirements", "services", "staff", "sparql", "batch", "BatchResults"]

OverlayLike = Union[str, "os.PathLike[str]", Overlay]
ProfileLike = Union[Office, str, "os.PathLike[str]", Mapping]
DateLike = Union[dt.date, str, None]

# The overlays each loaded KB was built with, by KB version (the version hashes them): results list them.
_overlays_by_version: dict[str, tuple] = {}


# --------------------------------------------------------------------------- loading

def load_kb(overlays: Sequence[OverlayLike] = (), *, endpoint: str | None = None, cache: bool = True) -> KB:
    """The compiled KB of this installation (cached on disk), plus rule overlays; or the rules a
    remote SPARQL endpoint serves.  Its `version` hashes the KB and the overlays."""
    if endpoint:
        if overlays:
            raise CarekbError(t("inputs.api.overlay_endpoint"), "--rules-overlay")
        return kb_from_endpoint(endpoint)
    overlays = tuple(overlays)
    kb = kbload.load_kb(overlays=overlays, use_cache=cache)   # cache=False: no disk file (per-request overlays)
    _overlays_by_version[kb.version] = overlays
    for old in list(_overlays_by_version)[:-64]:   # bounded: a server sees a new overlay text per request
        _overlays_by_version.pop(old, None)
    return kb


def overlays_of(kb: KB) -> tuple:
    """The rule overlays a KB was loaded with (by load_kb)."""
    return _overlays_by_version.get(fidelity.base_version(kb), ())


def _kb(kb: KB | None, overlays: Sequence[OverlayLike]) -> KB:
    if kb is None:
        return load_kb(overlays)
    if overlays and [str(o) for o in overlays] != [str(o) for o in overlays_of(kb)]:
        raise CarekbError(t("inputs.api.overlays_twice"),
                          "overlays")
    return kb


def load_profile(src: ProfileLike, *, kb: KB | None = None) -> Office:
    """An office profile (docs/profile.md), checked against the KB: a path (YAML, JSON or Turtle),
    a dict with the same keys, or the text of a YAML/JSON/Turtle profile."""
    if isinstance(src, Office):
        return src
    data, lines, source = read_source(src)
    return check(data, lines, source, kb if kb is not None else load_kb())


def _date(as_of: DateLike, where: str = "as_of") -> dt.date | None:
    if as_of is None or isinstance(as_of, dt.date):
        return as_of
    return parse_date(as_of, where, "")


def _bound(office: ProfileLike, kb: KB, as_of: DateLike):
    return bind(load_profile(office, kb=kb), kb, _date(as_of, "--as-of"))


# --------------------------------------------------------------------------- one office

def _tier_id(kb: KB, period, ev, written: str, where: str) -> str:
    """A tier as a person writes it (Ⅱロ, ii-ro, 2ロ, Ⅴ(3)) as the id of one of the office's tiers."""
    period_tiers = ev.kb.tiers.get(period.id, {})  # the tiers of the office's scheme
    return normalize.tier(written, {t: period_tiers[t] for t in ev.results}, where, None, short_tier, period_tiers)


def gap(office: ProfileLike, *, as_of: DateLike = None, no_pledge: bool = False, target: str | None = None,
        engine: str = "dnf", kb: KB | None = None, overlays: Sequence[OverlayLike] = (),
        rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None, lang: str = "ja") -> GapResult:
    """The highest attainable tier, and for every higher tier the least-effort set of actions
    (requirement ids, workplace.N, pledge.X) with equal-effort alternatives and the yen gained.
    `target` keeps one tier; `engine` is "dnf" (compiled rules) or "csp" (constraint model, slow).
    `rates`: a CSV of user-supplied rates; `reading`: the id(s) of contested readings to apply."""
    root, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    bound, period = _bound(office, kb, as_of)
    alternatives = engine == "dnf"
    ev = evaluate(kb, bound, period, use_pledges=not no_pledge, alternatives=alternatives, engine=engine)
    data = note_overlays(to_dict(ev, alternatives=alternatives), overlays_of(kb))
    data["engine"] = engine
    fidelity.annotate(data, root, ev, lang)
    note = load_guidance().checklist_note(bound.service, bound.guidance_done)  # the two halves meet (介護 offices)
    if note:
        data["warnings"].append(note)
    if target:
        target = _tier_id(kb, period, ev, target, "--target")
        data["targets"] = [t for t in data["targets"] if t["tier"] == target]
        if not data["targets"]:
            data["note"] = f"tier {target} is not above the highest attainable tier"
    return GapResult(data, ev)


def tiers(office: ProfileLike, *, as_of: DateLike = None, no_pledge: bool = False, kb: KB | None = None,
          overlays: Sequence[OverlayLike] = (), rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None,
          lang: str = "ja") -> TiersResult:
    """Every tier of the office's service in the period, highest first: rate, attained, actions missing."""
    root, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    bound, period = _bound(office, kb, as_of)
    ev = evaluate(kb, bound, period, use_pledges=not no_pledge)
    return TiersResult(fidelity.annotate(note_overlays(tiers_dict(ev), overlays_of(kb)), root, ev, lang), ev)


def explain(office: ProfileLike, tier: str, *, full: bool = False, as_of: DateLike = None, no_pledge: bool = False,
            kb: KB | None = None, overlays: Sequence[OverlayLike] = (), rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None,
            lang: str = "ja") -> ExplainResult:
    """Why `tier` is or is not attained: its rule tree on this office, each node with label, source
    and confidence, and the failing requirements with how far off they are.  (`full` asks the text
    view for the whole tree; the dict always holds it.)  Each rule node cites its provisions."""
    root, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    bound, period = _bound(office, kb, as_of)
    ev = evaluate(kb, bound, period, use_pledges=not no_pledge)
    tier = _tier_id(kb, period, ev, tier, "TIER")
    data = explain_tier(ev, tier, lang)
    data.update({"office": bound.id or bound.name or None, "as_of": bound.as_of.isoformat(), "period": period.id,
                 "service": bound.service, "kb_version": kb.version})
    if overlays_of(kb):
        note_overlays(data, overlays_of(kb))
    for node in [data["tree"], *data.get("failing", ())]:
        fidelity.cite_provisions(node, kb.for_service(bound.service), period.id)
    fidelity.annotate(data, root, ev, lang)
    result = ExplainResult(data, ev)
    return result


def whatif(office: ProfileLike, *, add: Iterable[str] = (), remove: Iterable[str] = (),
           set: Mapping[str, object] | Iterable[str] | None = None, compare_periods: Sequence[str] | str | None = None,
           as_of: DateLike = None, no_pledge: bool = False, kb: KB | None = None,
           overlays: Sequence[OverlayLike] = (), rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None,
           lang: str = "ja") -> WhatifResult:
    """The office before and after a change — `add`/`remove` action ids, `set` profile keys
    ({"top_annual_wage": 4700000, "office.region": "3級地"} or "KEY=VALUE" strings) — or under
    several periods' rules (`compare_periods=["R7", "R8"]`), side by side with the difference."""
    _, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    o = load_profile(office, kb=kb)
    sets = list(set.items()) if isinstance(set, Mapping) else list(set or ())
    data, columns = changes.whatif(kb, o, tuple(add), tuple(remove), sets, compare_periods, _date(as_of, "--as-of"),
                                   not no_pledge, overlays_of(kb))
    data["user_rates"] = fidelity.user_rates_info(kb)
    return WhatifResult(data, columns)


def plan(office: ProfileLike, *, budget: int | None = None, effort: str | os.PathLike | Mapping[str, int] | None = None,
         as_of: DateLike = None, no_pledge: bool = False, kb: KB | None = None,
         overlays: Sequence[OverlayLike] = (), rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None,
         lang: str = "ja") -> PlanResult:
    """The higher tier with the best gain within an effort `budget`, and its actions in stages.
    `effort` is a CSV file (action,effort) or a dict of action id → effort; it overrides the
    profile's `effort` for the actions it names."""
    _, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    bound, period = _bound(office, kb, as_of)
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
        raise CarekbError(t("inputs.api.budget", got=repr(budget)), "--budget")
    extra, effort_file = None, None
    if isinstance(effort, Mapping):
        extra = check_effort(dict(effort), kb, "effort")
        check_effort_items(extra, kb, period, "effort", lambda a: a)
    elif effort is not None:
        effort_file = str(effort)
        extra, rows = read_effort_csv(effort_file, kb)
        check_in_period(extra, rows, kb, period, effort_file)
    data = planning.plan(kb, bound, period, budget, use_pledges=not no_pledge, extra_effort=extra)
    data["effort_file"] = effort_file
    data["user_rates"] = fidelity.user_rates_info(kb)
    note_overlays(data, overlays_of(kb))
    return PlanResult(data, (bound, period))


def staff(office: ProfileLike | None = None, *, as_of: DateLike = None, scheme: str | None = None, kb: KB | None = None,
          overlays: Sequence[OverlayLike] = (), lang: str = "ja") -> StaffResult:
    """Without an office: the staff definitions (※1–※3) and the priority-staff rule of a scheme
    (default: the KB's default scheme).  With one: each member of its `staff:` roster, who counts
    for cp4 under the period's threshold of the office's scheme, who is priority staff."""
    kb = _kb(kb, overlays).of_scheme(scheme)
    if office is None:
        _date(as_of, "--as-of")   # not used without an office, but a bad date is still an error, not ignored
        return StaffResult({"kb_version": kb.version, **staff_view.definitions(kb, lang)}, (kb, None, None))
    bound, period = _bound(office, kb, as_of)
    kb = kb.for_service(bound.service)
    if not bound.staff:
        raise CarekbError(t("roster.none"), bound.source, "staff")
    return StaffResult(staff_view.roster_rows(kb, bound, period, lang), (kb, bound, period))


# --------------------------------------------------------------------------- the KB

def requirements(period: str | None = None, *, as_of: DateLike = None, scheme: str | None = None, kb: KB | None = None,
                 overlays: Sequence[OverlayLike] = (), with_text: bool = False, lang: str = "ja") -> RequirementsResult:
    """The rules of a period (default: the one in force on `as_of`, else today): requirement atoms,
    tier expressions, workplace items and counting rules, pledges, old additions and grants.
    `scheme` names the scheme (shogai, kaigo; default: the KB's default scheme)."""
    kb = _kb(kb, overlays).of_scheme(scheme)
    p = kb_view.select_period(kb, period, _date(as_of, "--as-of"))
    data = kb_view.requirements_dict(kb, p, lang)
    if with_text:  # each rule beside its provision, the rate tables' provisions, the contested readings
        fidelity.add_provisions(data, kb, p.id)
    return RequirementsResult(data, (kb, p))


def services(period: str | None = None, *, scheme: str | None = None, kb: KB | None = None,
             overlays: Sequence[OverlayLike] = (), lang: str = "ja") -> ServicesResult:
    """Every service of a scheme (the service_id of profiles) with its groups, and its tiers and
    rates in a period. `scheme`: shogai, kaigo, ... (default: the KB's default scheme)."""
    kb = _kb(kb, overlays).of_scheme(scheme)
    p = kb_view.select_period(kb, period)
    return ServicesResult(kb_view.services_dict(kb, p), (kb, p))


def sparql(query: str, offices: Iterable[ProfileLike] = (), *, as_of: DateLike = None, kb: KB | None = None,
           max_rows: int | None = None, timeout: float | None = None) -> SparqlResult:
    """A read-only SPARQL query over the KB's graph plus the evaluations of `offices` (profiles:
    paths, dicts, text or loaded offices), in the SPARQL 1.1 JSON results shape (`.rows` for plain values)."""
    kb = kb if kb is not None else load_kb()
    evs = []
    for o in offices:
        bound, period = _bound(o, kb, as_of)
        evs.append(evaluate(kb, bound, period))
    store = oxigraph_store(evaluations_dataset(evs))
    answer = query_store(store, query, "<query>", max_rows=max_rows, timeout=timeout)
    if isinstance(answer, str):  # CONSTRUCT / DESCRIBE: N-Triples
        return SparqlResult({"ntriples": answer}, store)
    return SparqlResult(answer, store)


# --------------------------------------------------------------------------- many offices

class BatchResults:
    """The answers of `carekb batch`: one gap result per good row (in file order) and one error per
    bad row.  Iterating gives the GapResults; `to_frame()` the summary sheet as a DataFrame."""

    def __init__(self, kb: KB, run, lang: str):
        self.kb, self.run, self.lang = kb, run, lang
        self.results = [GapResult(d, None) for _, d in run.results]
        self.rows = [n for n, _ in run.results]
        self.errors = list(run.errors)

    def __iter__(self) -> Iterator[GapResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> GapResult:
        return self.results[i]

    def to_list(self) -> list[dict]:
        """What `carekb batch --out X.json` writes: a list of gap results."""
        return [r.to_dict() for r in self.results]

    def to_frame(self):
        """The summary sheet (one row per office: highest tier, rate, yen, each higher tier's gap)
        as a pandas DataFrame (needs the optional extra `carekb[pandas]`)."""
        headers, rows = batch_run.summary_table(self.kb, self.run, self.lang)
        return _pandas().DataFrame(rows, columns=headers)

    def __repr__(self) -> str:
        return f"<BatchResults {len(self.results)} offices, {len(self.errors)} errors>"

    def _repr_html_(self) -> str:
        return Record({"offices": len(self.results), "errors": [str(e) for e in self.errors]})._repr_html_()


def batch(path: str | os.PathLike, *, staff: str | os.PathLike | None = None, as_of: DateLike = None,
          no_pledge: bool = False, alternatives: bool = False, workers: int | None = None, kb: KB | None = None,
          overlays: Sequence[OverlayLike] = (), rates: str | os.PathLike | None = None, reading: str | Sequence[str] | None = None,
          lang: str = "ja") -> BatchResults:
    """Gap analysis for every row of an offices table (CSV or XLSX, `carekb batch --template`);
    a bad row becomes an entry of `.errors` and the others go on."""
    _, kb = fidelity.rules(_kb(kb, overlays), rates, reading)
    sheet, cols, roster = batch_run.read_offices(Path(path), staff)
    run = batch_run.run(kb, sheet, cols, roster, as_of=_date(as_of, "--as-of"), use_pledges=not no_pledge,
                        alternatives=alternatives, workers=workers)
    for _, data in run.results:
        data["warnings"] = list(data["warnings"])   # cached results share their lists: copy before adding
        note_overlays(data, overlays_of(kb))
    return BatchResults(kb, run, lang)
