"""Result objects of the Python API (carekb.app.api): the JSON contract of docs/profile.md with its
keys readable as attributes, a short repr, and an HTML view for notebooks.

`to_dict()` is exactly what the matching command prints with `--format json`; the objects add
nothing to the contract and never recompute it.  Attribute access reads the dict: `r.highest`,
`r.targets[0].missing`; nested objects become `Record`s, lists of them lists of `Record`s.
"""

from __future__ import annotations

import copy
import html
from typing import Any, Iterator

from carekb.model.errors import CarekbError


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [Record(v) for v in value]
    return value


class Record:
    """A JSON object whose keys read as attributes (`t.missing`) or items (`t["missing"]`)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r} "
                                 f"(fields: {', '.join(self._data)})") from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def keys(self):
        return self._data.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._data))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and type(other) is type(self) and other._data == self._data

    __hash__ = None  # mutable contents

    def to_dict(self) -> dict:
        """The JSON contract (a deep copy: changing it does not change this result)."""
        return copy.deepcopy(self._data)

    def _summary(self) -> str:
        scalars = [f"{k}={v!r}" for k, v in self._data.items() if isinstance(v, (str, int, float, bool)) or v is None]
        text = " ".join(scalars[:6])
        return text if len(text) <= 160 else text[:157] + "..."

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._summary()}>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{_h(k)}</th><td>{_h(_cell(v))}</td></tr>"
                       for k, v in self._data.items())
        return f"<table><caption>{_h(type(self).__name__)}</caption>{rows}</table>"


def _h(v: Any) -> str:
    return html.escape(str(v))


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, list):
        if all(isinstance(x, (str, int, float)) for x in v):
            return ", ".join(map(str, v))
        return f"[{len(v)} entries]"
    if isinstance(v, dict):
        return f"{{{len(v)} keys}}"
    return str(v)


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{_h(x)}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{_h(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Result(Record):
    """A command's answer.  Subclasses name the fields most used; every contract key reads as an attribute."""

    __slots__ = ("context",)

    def __init__(self, data: dict, context: Any = None):
        super().__init__(data)
        self.context = context  # what the text rendering needs beside the dict (kb, office, evaluation)

    def _office_text(self) -> str:
        d = self._data
        who = d.get("office") or d.get("office_name") or ""
        return " ".join(x for x in (str(who), d.get("as_of") or "", d.get("period") or "") if x)


class Target(Record):
    """One tier above the highest attainable one: what is missing to reach it."""

    __slots__ = ()

    @property
    def tier(self) -> str:
        return self._data["tier"]

    @property
    def reachable(self) -> bool:
        return self._data["reachable"]

    @property
    def missing(self) -> list[str]:
        return self._data.get("missing", [])

    def __repr__(self) -> str:
        if not self.reachable:
            return f"<Target {self.tier} unreachable>"
        return f"<Target {self.tier} missing={self.missing}>"


class GapResult(Result):
    """`carekb gap`: the highest attainable tier and, for every higher tier, the least-effort actions."""

    __slots__ = ()

    @property
    def highest(self) -> str | None:
        return self._data["highest"]

    @property
    def rate_pct(self) -> float | None:
        return self._data["rate_pct"]

    @property
    def yen_per_month(self) -> int | None:
        return self._data["yen_per_month"]

    @property
    def targets(self) -> list[Target]:
        return [Target(t) for t in self._data["targets"]]

    @property
    def warnings(self) -> list[str]:
        return self._data["warnings"]

    @property
    def kb_version(self) -> str:
        return self._data["kb_version"]

    @property
    def evaluation(self):
        """The solver's Evaluation behind this result (every tier, not only the targets)."""
        return self.context

    def __repr__(self) -> str:
        rate = f" ({self.rate_pct}%)" if self.rate_pct is not None else ""
        gaps = ", ".join(f"{t.tier}:{len(t.missing)}" if t.reachable else f"{t.tier}:-" for t in self.targets)
        return f"<GapResult {self._office_text()} highest={self.highest}{rate} targets=[{gaps}]>"

    def _repr_html_(self) -> str:
        d = self._data
        rate = f" ({d['rate_pct']}%)" if d["rate_pct"] is not None else ""
        money = f", {d['yen_per_month']:,} yen/month" if d["yen_per_month"] is not None else ""
        head = (f"<p><b>{_h(d.get('office_name') or d.get('office') or '')}</b> {_h(d['service_label'])} — "
                f"{_h(d['as_of'])}, {_h(d['period'])}: highest {_h(_cell(d['highest']) + rate + money)}</p>")
        rows = [[t["tier"], t["rate_pct"], t.get("missing_count", "unreachable"), t.get("missing", t.get("reason")),
                 t.get("yen_per_month_gain")] for t in d["targets"]]
        warn = "".join(f"<li>{_h(w)}</li>" for w in d["warnings"])
        return (head + _table(["tier", "rate %", "missing", "actions", "yen/month gain"], rows)
                + (f"<ul>{warn}</ul>" if warn else ""))


class TiersResult(Result):
    """`carekb tiers`: every tier of the office's service with its rate and state."""

    __slots__ = ()

    @property
    def highest(self) -> str | None:
        return self._data["highest"]

    @property
    def tiers(self) -> list[Record]:
        return [Record(t) for t in self._data["tiers"]]

    def __repr__(self) -> str:
        return f"<TiersResult {self._office_text()} highest={self.highest} tiers={len(self._data['tiers'])}>"

    def _repr_html_(self) -> str:
        rows = [[t["tier"], t["rate_pct"], t["rate_confidence"], t["attained"], t["missing_count"]] for t in self._data["tiers"]]
        return f"<p>{_h(self._office_text())}</p>" + _table(["tier", "rate %", "conf.", "attained", "missing"], rows)


class ExplainResult(Result):
    """`carekb explain`: the tier's rule tree evaluated on the office, and what fails."""

    __slots__ = ()

    @property
    def attained(self) -> bool:
        return self._data["attained"]

    @property
    def failing(self) -> list[Record]:
        return [Record(n) for n in self._data.get("failing", [])]

    def __repr__(self) -> str:
        return (f"<ExplainResult {self._office_text()} tier={self._data.get('tier')} attained={self.attained} "
                f"failing={len(self._data.get('failing', []))}>")


class WhatifResult(Result):
    """`carekb whatif`: the office before and after a change, or under several periods' rules."""

    __slots__ = ()

    @property
    def delta(self) -> Record:
        return Record(self._data["delta"])

    def __repr__(self) -> str:
        d = self._data["delta"]
        return f"<WhatifResult highest {d['highest'][0]} → {d['highest'][1]} yen_per_month {d['yen_per_month']}>"


class PlanResult(Result):
    """`carekb plan`: the best-paying tier within an effort budget and the steps to reach it."""

    __slots__ = ()

    @property
    def chosen(self) -> str | None:
        return self._data["chosen"]

    @property
    def next_steps(self) -> list[Record]:
        return [Record(s) for s in self._data["next_steps"]]

    def __repr__(self) -> str:
        return (f"<PlanResult {self._office_text()} highest={self._data['highest']} chosen={self.chosen} "
                f"effort={self._data['chosen_effort']} gain={self._data['chosen_gain']} ({self._data['gain_basis']})>")


class StaffResult(Result):
    """`carekb staff`: the staff definitions, or an office's roster judged for cp4 and priority staff."""

    __slots__ = ()

    def __repr__(self) -> str:
        if "members" in self._data:
            return (f"<StaffResult {self._office_text()} members={len(self._data['members'])} "
                    f"cp4_met={self._data['cp4'].get('met')}>")
        return f"<StaffResult schemes={len(self._data['schemes'])}>"


class CatalogueResult(Result):
    """`carekb requirements` / `carekb services`: what the KB says about a period."""

    __slots__ = ()

    def __repr__(self) -> str:
        counts = " ".join(f"{k}={len(v)}" for k, v in self._data.items() if isinstance(v, list))
        return f"<{type(self).__name__} period={self._data.get('period')} {counts}>"


class RequirementsResult(CatalogueResult):
    __slots__ = ()


class ServicesResult(CatalogueResult):
    __slots__ = ()


class SparqlResult(Result):
    """A SPARQL answer in the SPARQL 1.1 JSON results shape; `rows` are its bindings as plain values."""

    __slots__ = ()

    @property
    def vars(self) -> list[str]:
        return self._data.get("head", {}).get("vars", [])

    @property
    def rows(self) -> list[dict[str, str | None]]:
        out = []
        for b in self._data.get("results", {}).get("bindings", []):
            out.append({v: (b[v]["value"] if v in b else None) for v in self.vars})
        return out

    @property
    def boolean(self) -> bool | None:
        return self._data.get("boolean")

    def to_frame(self):
        """The rows as a pandas DataFrame (needs the optional extra `carekb[pandas]`)."""
        return _pandas().DataFrame(self.rows, columns=self.vars)

    def __repr__(self) -> str:
        if "boolean" in self._data:
            return f"<SparqlResult {self.boolean}>"
        return f"<SparqlResult {len(self.rows)} rows vars={self.vars}>"

    def _repr_html_(self) -> str:
        if "boolean" in self._data:
            return f"<p>{_h(self.boolean)}</p>"
        return _table(self.vars, [[r[v] for v in self.vars] for r in self.rows])


def _pandas():
    try:
        import pandas
    except ImportError:
        raise CarekbError("to_frame() needs pandas: pip install 'carekb[pandas]'") from None
    return pandas
