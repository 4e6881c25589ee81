"""Commands that show the knowledge base: requirements, services."""

from __future__ import annotations

import click

from carekb.app import api
from carekb.inputs.user_rates import unknown_rates_csv
from carekb.model.errors import CarekbError
from carekb.app.report import short_tier
from carekb.cli.common import ENDPOINT_OPTION, FORMAT_OPTION, LANG_OPTION, as_of_date, echo_json, handles_errors, load_rules, table
from carekb.cli.group import main
from carekb.render.width import fit
from carekb.render.provisions_text import with_text as with_text_lines

SCHEME_OPTION = click.option("--scheme", metavar="S", help="Scheme id: shogai (障害福祉, the default) or kaigo (介護保険).")


@main.command()
@click.option("--period", metavar="P", help="Rule period id (OLD, R6, R7, R8); default: the period of --as-of or today.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Show the period in force on this date.")
@SCHEME_OPTION
@click.option("--with-text", "with_text", is_flag=True,
              help="Each rule beside its provision (document, pinpoint, the Japanese text or a note that it is not "
                   "available), the provisions of the rate tables, and the contested readings with their defaults.")
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@handles_errors
def requirements(period, as_of, scheme, with_text, endpoint, fmt, lang):
    """The rules of a period: requirement atoms, tier expressions, workplace items and counting
    rules, and pledges — each with its source and confidence.

    \b
    Period OLD (2024-04-01..2024-05-31) also lists the old additions (旧処遇改善加算 Ⅰ–Ⅴ,
    旧特定処遇改善加算 Ⅰ/Ⅱ, 旧ベースアップ等支援加算) with their rates, and the 2024 grant.
    """
    result = api.requirements(period, as_of=as_of_date(as_of), scheme=scheme, kb=load_rules(endpoint),
                              with_text=with_text, lang=lang)
    data, (kb, p) = result.to_dict(), result.context
    ja = lang == "ja"
    tiers, reqs, rules, items, pledges = (data[k] for k in ("tiers", "requirements", "workplace_rules",
                                                            "workplace_items", "pledges"))
    old, grants = data.get("old_additions"), data.get("grants")
    if fmt == "json":
        echo_json(data)
        return
    if with_text:
        header = f"{p.id}: {data['label']} ({data['valid_from']} – {data['valid_to'] or ''})  KB {kb.version}\n"
        click.echo(header + with_text_lines(data, short_tier, lang))
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
    click.echo(fit("\n".join(out)))


def rates_text(rates: dict) -> str:
    return ", ".join(f"{svc} {pct}" for svc, pct in rates.items()) or "?"


@main.command()
@click.option("--period", metavar="P", help="Show the tiers and rates of this period (default: today's).")
@SCHEME_OPTION
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@click.option("--unknown-rates", "unknown_rates", is_flag=True,
              help="Write the (period, service, tier) rows whose rate the KB does not know, as CSV in the columns of "
                   "--rates (period,service,tier,rate_pct,source), ready to fill in from the 告示; --period limits it.")
@handles_errors
def services(period, scheme, endpoint, fmt, lang, unknown_rates):
    """Services of a scheme (service_id for profiles), their groups, and the tiers and rates of a
    period ('?' = rate unknown); the last lines count known and unknown rates in every period."""
    kb = load_rules(endpoint).of_scheme(scheme)
    if unknown_rates:
        if period and period not in kb.periods:
            raise CarekbError(f"unknown period '{period}' (periods: {', '.join(kb.periods)})", "--period")
        click.echo(unknown_rates_csv(kb, period), nl=False)
        return
    result = api.services(period, kb=kb, lang=lang)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    p, ja, data = result.context[1], lang == "ja", result.to_dict()["services"]
    rows = [[d["service_id"], d["name_ja"] if ja else d["name_en"],
             " ".join(f"{short_tier(t['tier'], lang)}:{t['rate_pct'] if t['rate_pct'] is not None else '?'}" for t in d["tiers"])
             or ("（対象外）" if ja else "(not covered)")] for d in data]
    click.echo(f"{p.id} {p.label_ja if ja else p.label_en}\n" +
               table(rows, ["service_id", "サービス" if ja else "service", "区分:加算率(%)" if ja else "tier:rate(%)"]))
    click.echo("\n".join(rate_coverage(kb, lang)))


def rate_coverage(kb, lang: str) -> list[str]:
    """Per period: how many (service, tier) rates are known and how many are unknown."""
    out = []
    for pid in kb.periods:
        pairs = [(s, t.id) for s in kb.own_services() for t in kb.tiers_for(pid, s)]
        known = sum((pid, s, t) in kb.rates for s, t in pairs)
        out.append(f"{pid}: 加算率 既知 {known}・不明 {len(pairs) - known}" if lang == "ja"
                   else f"{pid}: rates known {known}, unknown {len(pairs) - known}")
    return out
