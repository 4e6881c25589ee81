"""What a result owes an auditor: the readings it depends on, the user-supplied rates it used, and
the provision behind each rule it cites.  Used by every evaluating door of carekb.app.api."""

from __future__ import annotations

from carekb.model.types import KB
from carekb.graph.provisions import provision_dict
from carekb.graph.readings import under_readings
from carekb.inputs.user_rates import USER, file_hash, with_user_rates
from carekb.solver.gap import Evaluation, confidence_word
from carekb.app import readings as contested


def reading_ids(reading) -> list[str]:
    """--reading values: one id, a comma-separated list, or a sequence of ids."""
    if not reading:
        return []
    if isinstance(reading, str):
        reading = [reading]
    return [i.strip() for r in reading for i in str(r).split(",") if i.strip()]


def rules(kb: KB, rates=None, reading=None) -> tuple[KB, KB]:
    """(root, kb): the KB with user-supplied rates (a CSV path) applied, and that KB under the chosen readings."""
    root = with_user_rates(kb, rates) if rates else kb
    return root, under_readings(root, reading_ids(reading))


def annotate(data: dict, root: KB, ev: Evaluation, lang: str = "ja") -> dict:
    """Add `readings` (those that can change this answer) and `user_rates` (files used) to a result dict."""
    data["readings"] = contested.report(root, ev, lang)
    data["user_rates"] = user_rates_info(ev.kb)
    for tid, r in ev.results.items():
        if r.rate is not None and r.rate.cited.confidence == USER and (tid == ev.highest or tid in ev.targets):
            warnings = data.setdefault("warnings", [])
            generic = f"rate for tier {tid} rests on {confidence_word(USER)} ({USER})"  # said better here:
            warnings[:] = [w for w in warnings if w != generic]
            warnings.append(f"rate for tier {tid} is user-supplied: {r.rate.pct}% ({r.rate.cited.text()})")
    return data


def user_rates_info(kb: KB) -> list[dict]:
    """The rates files a result was computed with (file and content hash)."""
    return [{"file": str(f), "sha256": file_hash(f)} for f in kb.user_rates]


def cite_provisions(node: dict, kb: KB, period: str) -> None:
    """Give each node of an explain tree that names a KB rule its provisions (`provisions`, and
    `provision`: the document and pinpoint of the first, for tables)."""
    provisions = _provisions(node, kb, period)
    if provisions:
        node["provisions"] = [provision_dict(p) for p in provisions]
        node["provision"] = "; ".join(p.citation() for p in provisions)
    for child in node.get("children", ()):
        cite_provisions(child, kb, period)


def _provisions(node: dict, kb: KB, period: str) -> tuple:
    kind, nid = node.get("kind"), node.get("id")
    if kind == "requirement" and nid in kb.requirements:
        return kb.requirements[nid].cited.provisions
    if kind == "workplace-rule" and nid in kb.rules:
        return kb.rules[nid].cited.provisions
    if kind == "tier" and nid in kb.tiers.get(period, {}):
        return kb.tiers[period][nid].cited.provisions
    if kind == "pledge" and nid:
        pid = nid.removeprefix("pledge.")
        rule = next((p for p in kb.pledges.get(period, ()) if p.id == pid), None)
        return rule.cited.provisions if rule else ()
    return ()


def base_version(kb: KB) -> str:
    """The version of the KB as loaded, before user rates (+rates-…) or readings (~ID) were applied."""
    return kb.version.split("~", 1)[0].split("+rates-", 1)[0]


def add_provisions(data: dict, kb: KB, period: str) -> dict:
    """`requirements --with-text`: each rule of the period's listing gets its provisions, the rates
    of the period the provisions of their tables, and the contested rules their readings."""
    def cite(entry: dict, cited) -> None:
        entry["provisions"] = [provision_dict(p) for p in cited.provisions]

    for e in data["tiers"]:
        cite(e, kb.tiers[period][e["tier"]].cited)
    for e in data["requirements"]:
        cite(e, kb.requirements[e["id"]].cited)
    for e in data["workplace_rules"]:
        cite(e, kb.rules[e["id"]].cited)
    pledges = {f"pledge.{p.id}": p for p in kb.pledges.get(period, ())}
    for e in data["pledges"]:
        cite(e, pledges[e["id"]].cited)
    data["derived"] = [{"requirement": d.requirement, "label": d.label_ja, "label_en": d.label_en,
                        "confidence": d.cited.confidence,
                        "source": d.cited.text(), "provisions": [provision_dict(p) for p in d.cited.provisions]}
                       for d in kb.derived.get(period, ())]
    tables: dict[str, dict] = {}
    for (pid, _, _), rate in kb.rates.items():
        if pid == period:
            for p in rate.cited.provisions:
                tables.setdefault(p.id, {"rates": 0, **provision_dict(p)})["rates"] += 1
    data["rate_provisions"] = sorted(tables.values(), key=lambda t: -t["rates"])
    data["contests"] = [{"id": c.id, "label": c.label_ja, "label_en": c.label_en,
                         "provisions": [provision_dict(p) for p in c.provisions],
                         "readings": [{"id": r.id, "label": r.label_ja, "label_en": r.label_en, "default": r.default,
                                       "default_reason": r.reason_ja or None,
                                       "default_reason_en": r.reason_en or None, "source": r.cited.text(),
                                       "confidence": r.cited.confidence}
                                      for r in (kb.readings[i] for i in c.readings)]}
                        for c in kb.contests.values() if c.period == period]
    return data


def batch_notes(kb: KB) -> list[str]:
    """Notes for a batch's output: the rates files and readings its rows were evaluated with."""
    notes = [f"user-supplied rates in effect: {f['file']} (sha256 {f['sha256']})" for f in user_rates_info(kb)]
    notes += [f"evaluated under reading {r}: {kb.readings[r].label_en}" for r in kb.in_force]
    return notes
