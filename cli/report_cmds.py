"""`carekb report PROFILE... -o report.html`: the client report, one A4 page per office.

The page is assembled from the JSON contracts of gap, tiers, explain, plan and requirements (the
door, carekb.app.api) and drawn by carekb.render.report_html; nothing here decides a rule.
"""

from __future__ import annotations

import datetime as dt

import click

from carekb.app import api
from carekb.app.report import money, short_tier
from carekb.cli.common import AS_OF_OPTION, LANG_ONLY_OPTION, handles_errors, write_atomically
from carekb.cli.group import main
from carekb.cli.sources_cmds import cited_codes, legend, legend_text, sources
from carekb.i18n import t
from carekb.model.dates import format_ja, today
from carekb.model.errors import CarekbError
from carekb.render import report_html

LEAF_KINDS = ("requirement", "workplace-rule")


def build_page(kb, office, as_of=None, source_rows=None, legend_rows=None) -> dict:
    """The report dict of one office (keys: see carekb/render/report_html.py)."""
    g = api.gap(office, kb=kb, as_of=as_of)
    gd, ev = g.to_dict(), g.evaluation
    tiers = api.tiers(office, kb=kb, as_of=as_of).to_dict()["tiers"]
    req = api.requirements(gd["period"], kb=kb, scheme=ev.kb.scheme or None).to_dict()   # the office's scheme (介護: its own meanings)
    meanings = {r["id"]: r.get("satisfied_when") or "" for r in req["requirements"]}
    deadlines = {p["id"]: p["deadline"] for p in req.get("pledges", []) if p.get("deadline")}
    top = next((x["tier"] for x in tiers if x["reachable"]), tiers[0]["tier"])
    tree = api.explain(office, top, kb=kb, as_of=as_of).to_dict()["tree"]
    plan = api.plan(office, kb=kb, as_of=as_of).to_dict()

    ladder = []
    for x in reversed(tiers):   # lowest first: a ladder read left to right
        yen_month, _ = money(ev, ev.results[x["tier"]].rate)
        state = ("current" if x["tier"] == gd["highest"] else "attained") if x["attained"] else (
            "reachable" if x["reachable"] else "unreachable")
        ladder.append({"tier": short_tier(x["tier"]), "rate_pct": x["rate_pct"], "yen_month": yen_month,
                       "state": state, "missing": x.get("missing_count")})

    checklist, seen, cited = [], set(), []
    _leaves(tree, checklist, seen, meanings, cited)

    steps = []
    for n, s in enumerate(plan.get("next_steps") or [], 1):
        actions = [{"label": a["label_ja"], "meaning": meanings.get(a["id"], ""),
                    "deadline": format_ja(dt.date.fromisoformat(deadlines[a["id"]])) if a["id"] in deadlines else None,
                    "why": t("report.pledge_why", "ja") if a["id"] in deadlines else None}
                   for a in s["actions"]]
        steps.append({"n": n, "reaches": short_tier(s["reaches"]), "gain": s.get("gain_added"), "actions": actions})
    chosen_gain = plan.get("chosen_gain")

    for t_ in gd["targets"]:
        rate_source = t_.get("rate_source") or ""
        cited += [rate_source.get("source", "") if isinstance(rate_source, dict) else rate_source]
        cited += [a.get("source") or "" for a in t_.get("actions", [])]
    source_rows = source_rows if source_rows is not None else sources(kb)
    by_code = {r["code"]: r for r in source_rows}
    codes = []
    for c in cited:
        codes += [x for x in cited_codes(c, list(by_code)) if x not in codes]

    yen_month = gd["yen_per_month"]
    return {
        "office": {"id": ev.office.id or "", "name": gd.get("office_name") or "", "service": gd["service_label"]},
        "as_of": format_ja(dt.date.fromisoformat(gd["as_of"])),
        "period": {"id": gd["period"], "label": req["label"]},
        "kb_version": gd["kb_version"], "generated": format_ja(today()),
        "current": {"tier": short_tier(gd["highest"]), "tier_id": gd["highest"], "rate_pct": gd["rate_pct"], "yen_month": yen_month,
                    "yen_year": yen_month * 12 if yen_month is not None else None},
        "ladder": ladder, "checklist": checklist,
        "plan": {"chosen": short_tier(plan["chosen"]) if plan.get("chosen") else None, "gain": chosen_gain, "steps": steps,
                 "basis": plan.get("gain_basis", "yen")},
        "sources": [{"code": c, "title": by_code[c].get("title") or "", "confidence": by_code[c].get("confidence") or "U"}
                    for c in codes],
        "legend": legend_text(legend_rows if legend_rows is not None else legend(kb)),
        "warnings": [],
    }


def _leaves(node: dict, out: list, seen: set, meanings: dict, cited: list) -> None:
    """The rule tree's requirements and workplace rules, each once, in the tree's order."""
    if node["kind"] in LEAF_KINDS and not node.get("children") and node.get("id") not in seen:
        seen.add(node.get("id"))
        meaning = meanings.get(node.get("id"), "") if node["kind"] == "requirement" else ""
        if not node["ok"] and node["kind"] == "workplace-rule" and node.get("detail"):
            meaning = node["detail"]
        out.append({"id": node.get("id"), "label": node["label"], "meaning": meaning, "ok": node["ok"], "kind": node["kind"]})
        cited.append(node.get("source") or "")
    for c in node.get("children", []):
        _leaves(c, out, seen, meanings, cited)


def render(kb, offices, as_of=None) -> str:
    """The report HTML of these offices (paths, dicts or loaded offices)."""
    source_rows, legend_rows = sources(kb), legend(kb)
    pages = [build_page(kb, o, as_of, source_rows, legend_rows) for o in offices]
    return report_html.document(pages)


@main.command("report")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, metavar="FILE.html", type=click.Path(dir_okay=False))
@AS_OF_OPTION
@LANG_ONLY_OPTION
@handles_errors
def report(profiles, output, as_of):
    """`carekb report` (its --help: help.report in carekb/i18n/messages-help.yaml)."""
    if not str(output).lower().endswith((".html", ".htm")):
        raise CarekbError(t("report.not_html", None), "-o")
    kb = api.load_kb()
    offices = [api.load_profile(p, kb=kb) for p in profiles]
    write_atomically(output, render(kb, offices, as_of).encode("utf-8"))
    click.echo(t("report.written", None, path=output, n=len(offices)))
