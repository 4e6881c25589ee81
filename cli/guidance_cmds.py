"""`carekb guidance` (applicable COVID-era guidance items of seed 000, checklist gap) and
`carekb visit` (visitor screening as constraints)."""

from __future__ import annotations

import csv
import io

import click

from carekb.model.errors import CarekbError
from carekb.app.api import load_profile
from carekb.app.guidance import load_guidance
from carekb.app.visit import evaluate, parse_assume, read_visit
from carekb.cli.common import LANG_OPTION, echo_json, handles_errors, table
from carekb.cli.group import main


def _header(gd, lang):
    d = gd.document
    if not d:
        return ""
    if lang == "ja":
        return f"出典: {d['title']}（{d['publisher']['ja']}、{d['date']}）\n注意: {d['note']['ja']}\n"
    return f"Source: {d['title']} ({d['publisher']['en']}, {d['date']})\nNote: {d['note']['en']}\n"


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@click.option("--service", "-s", help="a 介護 service id (day-care, welfare-facility, …) or a 障害 service id")
@click.option("--category", "-c", help="a service category: all, residential, day, visiting, medical, ltci, paid-home, …")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--all-items", is_flag=True, help="with a profile: list every applicable item, not only the gap")
@LANG_OPTION
@handles_errors
def guidance(profile, service, category, fmt, all_items, lang):
    """Guidance items of seed 000 (長野県, 2021: COVID-19 guidance) that apply to a service.

    \b
    Give exactly one of PROFILE, --service or --category.  With a PROFILE that lists
    `guidance_done: [ids]`, the result is the checklist gap: applicable items that ask for
    something (modality must/should/…; not permitted/information), in force at the document
    date, and not yet done — in section order, each with its source.
    """
    given = [x for x in (profile, service, category) if x]
    if len(given) != 1:
        raise CarekbError("give exactly one of PROFILE, --service or --category", "carekb guidance")
    gd = load_guidance()
    done: set[str] = set()
    mode = "applicable"
    if profile:
        office = load_profile(profile)
        ids = {i.id for i in gd.items}
        for d in office.guidance_done:
            if d not in ids:
                raise CarekbError(f"unknown guidance item '{d}' (ids such as 1-3, 6(1)-1, V-8: see `carekb guidance --category all`)",
                                  profile, "guidance_done")
        done = set(office.guidance_done)
        cats = gd.service_categories(office.service, profile, "office.service")
        selector = {"service": office.service}
        mode = "applicable" if all_items else "gap"
    elif service:
        cats = gd.service_categories(service)
        selector = {"service": service}
    else:
        c = gd.category(category)
        cats = gd.closure([c])
        selector = {"category": c}
    items = gd.gap(cats, done) if mode == "gap" else gd.applicable(cats)

    if fmt == "json":
        echo_json({"selector": selector, "categories": sorted(cats), "mode": mode, "done": sorted(done),
                   "document": gd.document, "count": len(items), "items": [i.to_json() for i in items],
                   "kb_version": gd.version})
        return
    mod = {k: v[lang] for k, v in gd.modalities.items()}
    st = {"in-force": "有効" if lang == "ja" else "in force", "abolished": "廃止" if lang == "ja" else "abolished",
          "historical": "過去の措置" if lang == "ja" else "historical"}
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "section", "modality", "status", "categories", "label_ja", "label_en", "source", "notices", "urls"])
        for i in items:
            w.writerow([i.id, i.subsection or i.section, i.modality, i.status, " ".join(i.categories), i.label["ja"],
                        i.label["en"], i.source_note, " | ".join(n.label_ja for n in i.notices), " ".join(i.urls)])
        click.echo(buf.getvalue(), nl=False)
        return
    click.echo(_header(gd, lang))
    what = ("未実施の項目（チェックリストのギャップ）" if lang == "ja" else "Checklist gap (applicable items not in place)") if mode == "gap" \
        else ("該当する項目" if lang == "ja" else "Applicable items")
    click.echo(f"{what}: {len(items)}" + (f"  ({'実施済み' if lang == 'ja' else 'done'}: {len(done)})" if profile else ""))
    heads = ["ID", "規範" if lang == "ja" else "modality", "状態" if lang == "ja" else "status",
             "項目" if lang == "ja" else "item", "出典" if lang == "ja" else "source"]
    rows = [[i.id, mod.get(i.modality, i.modality), st.get(i.status, i.status), i.label[lang], i.source_text()]
            for i in items]
    click.echo(table(rows, heads))


@main.command()
@click.argument("visit_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--assume", multiple=True, metavar="ID=VALUE",
              help="override an assumption of the KB: fever-threshold=37.5 (°C, at or above), max-party-size=2")
@LANG_OPTION
@handles_errors
def visit(visit_file, fmt, assume, lang):
    """Screen a visit request (面会) against seed 000's visitor rules (COVID-era, 2021).

    \b
    VISIT_FILE (YAML or JSON) gives: temperature_c, symptoms (list: sore-throat, cough, fatigue,
    diarrhea, taste-smell-loss, unwell), close_contact, household_symptoms,
    contact_with_infected_14d, fever_14d, travel_restricted_14d, party_size,
    resident_bedridden_or_end_of_life.  Result: admit or refuse, the reasons (rule id and source)
    and, when admitted, the conditions of the visit.  Fever threshold and maximum party size are
    assumptions (confidence I), shown in the result; override with --assume.
    """
    gd = load_guidance()
    overrides = parse_assume(assume, gd)
    req, source = read_visit(visit_file, gd)
    res = evaluate(req, gd, overrides, lang)
    if fmt == "json":
        echo_json(res)
        return
    ja = lang == "ja"
    click.echo(_header(gd, lang))
    click.echo(("判定: " + ("面会可" if res["decision"] == "admit" else "面会を断る")) if ja else f"Decision: {res['decision']}")
    if res["reasons"]:
        click.echo("\n" + ("理由" if ja else "Reasons"))
        click.echo(table([[r["id"], r["text"], r["source"]] for r in res["reasons"]], ["ID", "理由" if ja else "reason", "出典" if ja else "source"]))
    if res["conditions"]:
        click.echo("\n" + ("面会の条件" if ja else "Conditions"))
        click.echo(table([[c["id"], c["text"], c["source"]] for c in res["conditions"]], ["ID", "条件" if ja else "condition", "出典" if ja else "source"]))
    click.echo("\n" + ("仮定（確度 I）: " if ja else "Assumptions (confidence I): ") + ", ".join(
        f"{a['id']}={a['value']:g}{a['unit']}" + (" (override)" if a["overridden"] else "") for a in res["assumptions"]))
