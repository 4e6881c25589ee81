"""Commands that evaluate one office profile: tiers, gap, explain, validate."""

from __future__ import annotations

import sys

import click

from carekb.model.errors import CarekbError
from carekb.i18n import t
from carekb.inputs.profile import bind, load_office
from carekb.inputs.shapes import kb_report_text, validate_kb, validate_office
from carekb.solver.gap import ENGINES
from carekb.app import api
from carekb.cli.common import (AS_OF_OPTION, ENDPOINT_OPTION, FORMAT_OPTION, LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, RATES_OPTION, READING_OPTION,
                               as_of_date, echo_json, handles_errors, load_rules)
from carekb.cli.group import main
from carekb.render.office_text import explain_text, gap_text, tiers_text

PROFILE_ARG = click.argument("profile", metavar="PROFILE", type=click.Path(dir_okay=False, allow_dash=True))


def read_office(profile: str, kb):
    """The office of a profile path, checked against the KB ('-' reads YAML from standard input)."""
    text = sys.stdin.read() if profile == "-" else None
    return load_office("<stdin>.yaml" if profile == "-" else profile, kb, text)


def load(profile: str, as_of: str | None, endpoint: str | None = None, overlays=()):
    """(kb, office, period) for a profile path ('-' reads YAML from standard input)."""
    kb = load_rules(endpoint, overlays)
    office = read_office(profile, kb)
    kb = kb.for_service(office.service)  # the rules of the office's scheme (障害, 介護, ...)
    office, period = bind(office, kb, as_of_date(as_of))
    return kb, office, period


@main.command()
@PROFILE_ARG
@AS_OF_OPTION
@click.option("--target", "target", metavar="TIER")
@NO_PLEDGE_OPTION
@click.option("--engine", type=click.Choice(list(ENGINES)), default="dnf", show_default=True)
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def gap(profile, as_of, target, no_pledge, engine, endpoint, overlays, rates, reading, fmt, lang):
    """`carekb gap` (its --help: help.gap in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(endpoint, overlays)
    result = api.gap(read_office(profile, kb), as_of=as_of_date(as_of), no_pledge=no_pledge, target=target,
                     engine=engine, kb=kb, rates=rates, reading=reading, lang=lang)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(gap_text(result, lang, profile=profile, target=target))


@main.command()
@PROFILE_ARG
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def tiers(profile, as_of, no_pledge, endpoint, overlays, rates, reading, fmt, lang):
    """`carekb tiers` (its --help: help.tiers in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(endpoint, overlays)
    result = api.tiers(read_office(profile, kb), as_of=as_of_date(as_of), no_pledge=no_pledge, kb=kb, rates=rates,
                       reading=reading, lang=lang)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(tiers_text(result, lang))


@main.command()
@PROFILE_ARG
@click.argument("tier", metavar="TIER")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@click.option("--full", is_flag=True)
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def explain(profile, tier, as_of, no_pledge, full, endpoint, rates, reading, fmt, lang):
    """`carekb explain` (its --help: help.explain in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(endpoint)
    result = api.explain(read_office(profile, kb), tier, full=full, as_of=as_of_date(as_of), no_pledge=no_pledge,
                         kb=kb, rates=rates, reading=reading, lang=lang)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(explain_text(result, tier, lang, full=full))


@main.command()
@click.argument("profiles", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--kb", "check_kb", is_flag=True)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD")
@click.option("--shacl/--no-shacl", default=True, show_default=True)
@LANG_OPTION
@handles_errors
def validate(profiles, check_kb, as_of, shacl, lang):
    """`carekb validate` (its --help: help.validate in carekb/i18n/messages-help.yaml)."""
    if not profiles and not check_kb:
        raise CarekbError(t("err.validate_nothing"))
    bad = 0
    if check_kb:
        violations = validate_kb()
        if violations:
            click.echo(kb_report_text(violations, lang), err=True)
            bad += 1
        else:
            click.echo(t("validate.kb_conforms"))
    for p in profiles:
        try:
            kb, office, period = load(p, as_of)
            if shacl:
                validate_office(office, lang)
            click.echo(f"{p}: OK ({office.service}, {office.as_of}, period {period.id})")
        except CarekbError as e:
            for line in str(e).split("\n"):   # every problem of the file, one line each
                click.echo(f"carekb: error: {line}", err=True)
            bad += 1
    if bad:
        sys.exit(2)
