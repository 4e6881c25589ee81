"""Contested readings (ck:Reading) compiled into record swaps, and a KB under chosen readings.

A reading selects rule nodes.  The default reading's nodes are the KB's; another reading selects
ck:RuleVariant nodes, each of which either replaces the properties it states of the node it is a
variant of (ck:variantOf), or is a node of ck:variantType that exists only under that reading.
The loader builds the graph of each non-default reading with the same code as the KB itself and
keeps only the records that differ: applying a reading is then a dictionary swap, and no rule of
any scheme or year is written in Python.
"""

from __future__ import annotations

import contextlib
import dataclasses

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Contest, Reading

VARIANTS = "_reading_variants"   # attribute of a loaded KB: its variants by reading ids (never pickled: set after load)


def attach_readings(r, base: KB, build) -> None:
    """Compile every ck:Reading of graph `r.g` and attach them to the scheme KBs they change.

    `r` is the loader's graph reader, `build(graph, version)` the loader's compiler."""
    g, ck = r.g, r.ck
    contests = {}
    for c in g.subjects(r.RDF.type, ck.ContestedRule):
        readings = sorted(g.subjects(ck.readingOf, c), key=str)
        defaults = [x for x in readings if r.py(x, ck.isDefault, False) is True]
        if len(defaults) != 1:
            raise CarekbError(t("files.kb.default_readings", count=len(defaults)), "kb", r.where(c))
        if not str(r.py(defaults[0], ck.defaultReason, "") or ""):
            raise CarekbError(t("files.kb.default_reason"), "kb", r.where(defaults[0]))
        contests[c] = readings
    schemes = base.schemes or {base.scheme: base}
    for c, nodes in contests.items():
        compiled = [_reading(r, x, c, build, base) for x in nodes]
        changed = {sid for x in compiled for sid, _ in x[1]}
        if not changed:
            raise CarekbError(t("files.kb.no_reading_changes"), "kb", r.where(c))
        for sid in changed:
            kb = schemes[sid]
            contest = Contest(str(r.py(c, ck.contestId)), _period_id(r, c), r.label(c, "ja"), r.label(c, "en"),
                              tuple(x[0].id for x in compiled), r.cited(c).provisions)
            kb.contests[contest.id] = contest
            for reading, swaps in compiled:
                kb.readings[reading.id] = dataclasses.replace(reading, swaps=dict(swaps).get(sid, ()))


def _period_id(r, node) -> str:
    p = r.one(node, r.ck.period)
    return str(r.py(p, r.ck.periodId, "")) if p is not None else ""


def _reading(r, x, contest, build, base: KB):
    """(the Reading without swaps, [(scheme id, swaps)]) of reading node x."""
    ck = r.ck
    rid = str(r.py(x, ck.readingId, "") or "")
    if not rid:
        raise CarekbError(t("files.kb.reading_without_id"), "kb", r.where(x))
    default = r.py(x, ck.isDefault, False) is True
    reading = Reading(rid, str(r.py(contest, ck.contestId)), r.label(x, "ja"), r.label(x, "en"), default,
                      r.text(x, ck.defaultReason, "ja") if default else "",
                      r.text(x, ck.defaultReason, "en") if default else "", r.cited(x))
    if default:
        return reading, []
    with reading_applied(r, x) as g:
        variant_kb = build(g, base.version)
    variants = variant_kb.schemes or {variant_kb.scheme: variant_kb}
    out = []
    for sid, kb in (base.schemes or {base.scheme: base}).items():
        swaps = diff(kb, variants[sid])
        if swaps:
            out.append((sid, swaps))
    if not out:
        raise CarekbError(t("files.kb.reading_changes_nothing", rid=rid), "kb", r.where(x))
    return reading, out


@contextlib.contextmanager
def reading_applied(r, x):
    """The graph `r.g` with reading x's variants in force, restored on exit (a copy of the whole
    graph would cost more than compiling it)."""
    g, ck, RDF = r.g, r.ck, r.RDF
    removed, added = set(), set()

    def remove(pattern):
        for t in list(g.triples(pattern)):
            if t in added:
                added.discard(t)
            else:
                removed.add(t)
            g.remove(t)

    def add(t):
        if t not in g:
            if t in removed:
                removed.discard(t)
            else:
                added.add(t)
            g.add(t)

    try:
        renamed = {}
        for v in list(g.objects(x, ck.selects)):
            if (v, RDF.type, ck.RuleVariant) not in g:
                continue  # a KB node: it holds already
            target = g.value(v, ck.variantOf)
            if target is None:
                kind = g.value(v, ck.variantType)
                if kind is None:
                    raise CarekbError(t("files.kb.variant_needs_target"), "kb", r.where(v))
                add((v, RDF.type, kind))
                continue
            stated = {p for p in g.predicates(v) if p not in (RDF.type, ck.variantOf, ck.variantType)}
            values = [(p, o) for p, o in g.predicate_objects(v) if p in stated]
            for p in stated:
                remove((target, p, None))
            for p, o in values:
                add((target, p, o))
            renamed[v] = target
        for v, target in renamed.items():  # other variants name the node they stand for
            for s, p in list(g.subject_predicates(v)):
                remove((s, p, v))
                add((s, p, target))
        yield g
    finally:
        for triple in added:
            g.remove(triple)
        for triple in removed:
            g.add(triple)


def diff(base: KB, variant: KB) -> tuple:
    """The records of `variant` that `base` lacks or holds differently: (table, key, record)."""
    out = []
    for p, tiers in variant.tiers.items():
        out += [("tiers", (p, t.id), t) for t in tiers.values() if base.tiers.get(p, {}).get(t.id) != t]
    for table in ("rules", "requirements"):
        old = getattr(base, table)
        out += [(table, k, v) for k, v in getattr(variant, table).items() if old.get(k) != v]
    for p, rules in variant.pledges.items():
        old = {x.id: x for x in base.pledges.get(p, ())}
        out += [("pledges", (p, x.id), x) for x in rules if old.get(x.id) != x]
    for p, facts in variant.derived.items():
        old = set(base.derived.get(p, ()))
        out += [("derived", (p, d.requirement, d.label_en), d) for d in facts if d not in old]
    old = {e.id: e for e in base.exceptions}
    out += [("exceptions", e.id, e) for e in variant.exceptions if old.get(e.id) != e]
    return tuple(out)


def under_readings(kb: KB, ids) -> KB:
    """The KB with these readings in force (at most one per contested rule; a default changes nothing)."""
    ids = [i for i in dict.fromkeys(ids) if i]
    if not ids:
        return kb
    for i in ids:
        if i not in kb.readings:
            known = ", ".join(kb.readings) or t("files.no_readings")
            raise CarekbError(t("files.unknown_reading", rid=i, known=known), "--reading")
    seen: dict[str, str] = {}
    for i in ids:
        c = kb.readings[i].contest
        if c in seen:
            raise CarekbError(t("files.readings_same_rule", a=seen[c], b=i, rule=c), "--reading")
        seen[c] = i
    chosen = [kb.readings[i] for i in ids if not kb.readings[i].default]
    if not chosen:
        return kb
    # One object per combination: the solver keeps its compiled rules on the KB object (solver/state.py).
    variants = kb.__dict__.setdefault(VARIANTS, {})
    key = tuple(sorted(x.id for x in chosen))
    if key not in variants:
        variants[key] = _swapped(kb, chosen)
    return variants[key]


def _swapped(kb: KB, chosen: list[Reading]) -> KB:
    tiers = {p: dict(ts) for p, ts in kb.tiers.items()}
    rules, requirements = dict(kb.rules), dict(kb.requirements)
    pledges = {p: {x.id: x for x in v} for p, v in kb.pledges.items()}
    derived = {p: {(d.requirement, d.label_en): d for d in v} for p, v in kb.derived.items()}
    exceptions = {e.id: e for e in kb.exceptions}
    for reading in chosen:
        for table, key, record in reading.swaps:
            if table == "tiers":
                tiers.setdefault(key[0], {})[key[1]] = record
            elif table == "rules":
                rules[key] = record
            elif table == "requirements":
                requirements[key] = record
            elif table == "pledges":
                pledges.setdefault(key[0], {})[key[1]] = record
            elif table == "derived":
                derived.setdefault(key[0], {})[key[1:]] = record
            elif table == "exceptions":
                exceptions[key] = record
    in_force = tuple(sorted(set(kb.in_force) | {x.id for x in chosen}))
    new = dataclasses.replace(
        kb, version=f"{kb.version}~{'+'.join(x.id for x in chosen)}", in_force=in_force,
        tiers={p: dict(sorted(ts.items(), key=lambda kv: -kv[1].rank)) for p, ts in tiers.items()},
        rules=rules, requirements=requirements,
        pledges={p: tuple(sorted(v.values(), key=lambda x: x.id)) for p, v in pledges.items()},
        derived={p: tuple(v.values()) for p, v in derived.items()},
        exceptions=tuple(sorted(exceptions.values(), key=lambda e: e.id)))
    new.schemes = {**kb.schemes, kb.scheme: new} if kb.schemes else {}
    return new


def readings_of_period(kb: KB, period: str) -> list[Contest]:
    """The contested rules of a period."""
    return [c for c in kb.contests.values() if c.period == period]
