"""Commands that show the knowledge base: requirements, services."""

from __future__ import annotations

import datetime as dt

import click

from carekb.cli.common import (ENDPOINT_OPTION, FORMAT_OPTION, LANG_OPTION, as_of_date, echo_json, handles_errors, load_rules,
                     table)
from carekb.cli.main import main


def _period(kb, period: str | None, as_of: str | None):
    from carekb.model.errors import CarekbError
    from carekb.inputs.profile import resolve_period

    if period:
        if period not in kb.periods:
            raise CarekbError(f"unknown period '{period}' (periods: {', '.join(kb.periods)})", "--period")
        return kb.periods[period]
    day = as_of_date(as_of) or dt.date.today()
    return resolve_period(kb, day, "--as-of" if as_of else "today")


@main.command()
@click.option("--period", metavar="P", help="Rule period id (OLD, R6, R7, R8); default: the period of --as-of or today.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Show the period in force on this date.")
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@handles_errors
def requirements(period, as_of, endpoint, fmt, lang):
    """The rules of a period: requirement atoms, tier expressions, workplace items and counting
    rules, and pledges — each with its source and confidence.

    \b
    Period OLD (2024-04-01..2024-05-31) also lists the old additions (旧処遇改善加算 Ⅰ–Ⅴ,
    旧特定処遇改善加算 Ⅰ/Ⅱ, 旧ベースアップ等支援加算) with their rates, and the 2024 grant.
    """
    from carekb.app.report import short_tier

    kb = load_rules(endpoint)
    p = _period(kb, period, as_of)
    ja = lang == "ja"
    reqs = [{"id": r.id, "label_ja": r.label_ja, "label_en": r.label_en, "composite": r.composite,
             "satisfied_when": r.satisfied_when_ja if ja else (r.satisfied_when_en or r.satisfied_when_ja),
             "source": r.cited.text(), "confidence": r.cited.confidence}
            for r in kb.requirements.values() if not r.periods or p.id in r.periods]
    tiers = [{"tier": t.id, "label": t.label_ja if ja else t.label_en, "requires": expr_text(t.expr),
              "service_groups": sorted(t.groups), "source": t.cited.text(), "confidence": t.cited.confidence}
             for t in kb.tiers.get(p.id, {}).values()]
    rules = [{"id": r.id, "label": r.label_ja if ja else r.label_en, "source": r.cited.text(),
              "confidence": r.cited.confidence} for r in kb.rules.values() if r.period == p.id]
    items = [{"number": it.number, "category": it.category, "label_ja": it.label_ja}
             for it in kb.items[p.item_list].values()]
    pledges = [{"id": f"pledge.{x.id}", "satisfies": [expr_text(t) for t in x.targets], "deadline": x.deadline.isoformat(),
                "condition": expr_text(x.condition) if x.condition else None, "source": x.cited.text(),
                "confidence": x.cited.confidence} for x in kb.pledges.get(p.id, ())]
    data = {"period": p.id, "label": p.label_ja if ja else p.label_en, "valid_from": p.valid_from.isoformat(),
            "valid_to": p.valid_to.isoformat() if p.valid_to else None, "kb_version": kb.version,
            "requirements": reqs, "tiers": tiers, "workplace_rules": rules, "workplace_items": items, "pledges": pledges}
    old, grants = old_additions(kb, p, lang)
    if old:
        data["old_additions"] = old
    if grants:
        data["grants"] = grants
    if fmt == "json":
        echo_json(data)
        return
    out = [f"{p.id}: {data['label']} ({data['valid_from']} – {data['valid_to'] or ''})  KB {kb.version}", ""]
    out.append("■ " + ("区分と要件" if ja else "Tiers and their requirements"))
    out.append(table([[short_tier(t["tier"], lang), t["requires"], t["confidence"]] for t in tiers],
                     ["区分", "要件式", "確度"] if ja else ["tier", "requires", "conf."]))
    out.append("\n■ " + ("要件" if ja else "Requirements"))
    out.append(table([[r["id"], r["label_ja"] if ja else r["label_en"], r["confidence"], r["source"]] for r in reqs],
                     ["ID", "名称", "確度", "出典"] if ja else ["id", "name", "conf.", "source"]))
    out.append("\n■ " + ("職場環境等要件の数え方" if ja else "Workplace counting rules"))
    out.append(table([[r["id"], r["label"], r["confidence"]] for r in rules], ["ID", "内容" if ja else "rule", "確度" if ja else "conf."]))
    out.append("\n■ " + ("職場環境等要件の取組" if ja else "Workplace items") + f" ({kb.item_lists[p.item_list][0 if ja else 1]})")
    cats = kb.categories
    out.append(table([[f"workplace.{i['number']}", cats[i["category"]][0 if ja else 1], i["label_ja"]] for i in items],
                     ["ID", "区分" if ja else "category", "取組" if ja else "item"]))
    if pledges:
        out.append("\n■ " + ("誓約" if ja else "Pledges"))
        out.append(table([[x["id"], ", ".join(x["satisfies"]), x["deadline"], x["condition"] or "", x["confidence"]] for x in pledges],
                         ["ID", "満たす要件" if ja else "satisfies", "期限" if ja else "deadline", "条件" if ja else "condition",
                          "確度" if ja else "conf."]))
    if old:
        out.append("\n■ " + ("旧3加算（区分・有効期間・加算率）" if ja else "Old additions (tiers, validity, rates)"))
        out.append(table([[f"{a['label']} {t['tier']}", t["valid_to"] or "", t["requires"] or t.get("amount") or "",
                           rates_text(t["rates"]), t["confidence"]] for a in old for t in a["tiers"]],
                         ["区分" if ja else "tier", "終了日" if ja else "valid to", "要件式" if ja else "requires",
                          "加算率(%)" if ja else "rate (%)", "確度" if ja else "conf."]))
    if grants:
        out.append("\n■ " + ("交付金（加算ではない）" if ja else "Grants (not additions)"))
        out.append(table([[g["label"], f"{g['valid_from']} – {g['valid_to']}", g["condition"], rates_text(g["rates"]),
                           g["confidence"]] for g in grants],
                         ["交付金" if ja else "grant", "期間" if ja else "period", "条件" if ja else "condition",
                          "交付率(%)" if ja else "rate (%)", "確度" if ja else "conf."]))
    click.echo("\n".join(out))


def old_additions(kb, p, lang: str) -> tuple[list, list]:
    """The old additions and grants in force during a period (before 2024-06 only), with per-service rates."""
    ja = lang == "ja"

    def rates(key):
        return {svc: float(r.pct) for (k, svc), r in sorted(kb.component_rates.items()) if k == key}

    old = []
    for a in kb.old_additions.values():
        if not p.overlaps(a.valid_from, a.valid_to):
            continue
        tiers = []
        for key in a.tiers:
            t = kb.old_tiers[key]
            req = kb.requirements.get(t.requirement) if t.requirement else None
            tiers.append({"key": key, "tier": t.tier, "label": t.label_ja if ja else t.label_en,
                          "valid_to": t.valid_to.isoformat() if t.valid_to else None,
                          "requires": expr_text(req.definition) if req else None,
                          "amount": f"{t.fraction} × {t.fraction_of}" if t.fraction_of else None,
                          "rates": rates(key), "source": t.cited.text(), "confidence": t.cited.confidence})
        old.append({"id": a.id, "label": a.label_ja if ja else a.label_en,
                    "valid_from": a.valid_from.isoformat() if a.valid_from else None,
                    "valid_to": a.valid_to.isoformat() if a.valid_to else None, "tiers": tiers,
                    "source": a.cited.text(), "confidence": a.cited.confidence})
    grants = [{"id": g.id, "label": g.label_ja if ja else g.label_en, "valid_from": g.valid_from.isoformat(),
               "valid_to": g.valid_to.isoformat(), "condition": g.condition_ja if ja else g.condition_en,
               "held_any": list(g.held_any), "rates": rates(g.id), "note": g.note, "source": g.cited.text(),
               "confidence": g.cited.confidence} for g in kb.grants.values() if g.overlaps(p)]
    return old, grants


def rates_text(rates: dict) -> str:
    return ", ".join(f"{svc} {pct}" for svc, pct in rates.items()) or "?"


def expr_text(e: tuple) -> str:
    kind = e[0]
    if kind in ("all", "any"):
        inner = (" & " if kind == "all" else " | ").join(expr_text(x) for x in e[1])
        return f"({inner})"
    if kind == "tier":
        return e[2]
    if kind == "wrule":
        return f"env:{e[1]}"
    if kind in ("act", "req"):
        return e[1]
    if kind == "tier":
        return e[2]
    from carekb.solver.explain import describe_condition
    return f"[{describe_condition(e)}]"


@main.command()
@click.option("--period", metavar="P", help="Show the tiers and rates of this period (default: today's).")
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@handles_errors
def services(period, endpoint, fmt, lang):
    """Services (service_id for profiles), their groups, and the tiers and rates of a period."""
    from carekb.solver.gap import rank_tiers
    from carekb.app.report import short_tier

    kb = load_rules(endpoint)
    p = _period(kb, period, None)
    ja = lang == "ja"
    data = []
    for s in kb.services.values():
        ranked, _ = rank_tiers(kb, p, s.id)
        data.append({"service_id": s.id, "name_ja": s.label_ja, "name_en": s.label_en, "groups": sorted(s.groups),
                     "law": s.law, "cp5_means": s.cp5_means or None,
                     "tiers": [{"tier": t.id, "rate_pct": float(kb.rates[(p.id, s.id, t.id)].pct)
                                if (p.id, s.id, t.id) in kb.rates else None} for t in ranked]})
    if fmt == "json":
        echo_json({"period": p.id, "kb_version": kb.version, "services": data})
        return
    rows = [[d["service_id"], d["name_ja"] if ja else d["name_en"],
             " ".join(f"{short_tier(t['tier'], lang)}:{t['rate_pct'] if t['rate_pct'] is not None else '?'}" for t in d["tiers"])
             or ("（対象外）" if ja else "(not covered)")] for d in data]
    click.echo(f"{p.id} {p.label_ja if ja else p.label_en}\n" +
               table(rows, ["service_id", "サービス" if ja else "service", "区分:加算率(%)" if ja else "tier:rate(%)"]))
