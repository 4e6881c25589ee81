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
from carekb.i18n import t
from carekb.render.guidance_text import guidance_text, visit_text
from carekb.cli.common import LANG_OPTION, echo_json, handles_errors
from carekb.cli.group import main


@main.command()
@click.argument("profile", required=False, type=click.Path(dir_okay=False))
@click.option("--service", "-s")
@click.option("--category", "-c")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--all-items", is_flag=True)
@LANG_OPTION
@handles_errors
def guidance(profile, service, category, fmt, all_items, lang):
    """`carekb guidance` (its --help: help.guidance in carekb/i18n/messages-help.yaml)."""
    given = [x for x in (profile, service, category) if x]
    if len(given) != 1:
        raise CarekbError(t("guidance.one_selector"), "carekb guidance")
    gd = load_guidance()
    done: set[str] = set()
    mode = "applicable"
    if profile:
        office = load_profile(profile)
        ids = {i.id for i in gd.items}
        for d in office.guidance_done:
            if d not in ids:
                raise CarekbError(t("guidance.unknown_item", got=repr(d)), profile, "guidance_done")
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
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "section", "modality", "status", "categories", "label_ja", "label_en", "source", "notices", "urls"])
        for i in items:
            w.writerow([i.id, i.subsection or i.section, i.modality, i.status, " ".join(i.categories), i.label["ja"],
                        i.label["en"], i.source_note, " | ".join(n.label_ja for n in i.notices), " ".join(i.urls)])
        click.echo(buf.getvalue(), nl=False)
        return
    click.echo(guidance_text(gd, items, mode, selector, cats, done if profile else None, lang))


@main.command()
@click.argument("visit_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--assume", multiple=True, metavar="ID=VALUE")
@LANG_OPTION
@handles_errors
def visit(visit_file, fmt, assume, lang):
    """`carekb visit` (its --help: help.visit in carekb/i18n/messages-help.yaml)."""
    gd = load_guidance()
    overrides = parse_assume(assume, gd)
    req, source = read_visit(visit_file, gd)
    res = evaluate(req, gd, overrides, lang)
    if fmt == "json":
        echo_json(res)
        return
    click.echo(visit_text(gd, res, lang))
