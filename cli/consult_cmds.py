"""Consultant commands: whatif (changed profile, other periods, rule overlays) and plan (effort, budget)."""

from __future__ import annotations

import click

from carekb.app import api
from carekb.cli.common import (AS_OF_OPTION, FORMAT_OPTION, LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, RATES_OPTION,
                               READING_OPTION, as_of_date,
                               echo_json, handles_errors, load_rules)
from carekb.cli.group import main
from carekb.render.consult_text import plan_text, whatif_text
from carekb.cli.office_cmds import PROFILE_ARG, read_office


# --------------------------------------------------------------------------- whatif

@main.command()
@PROFILE_ARG
@click.option("--add", "adds", multiple=True, metavar="ACTION")
@click.option("--remove", "removes", multiple=True, metavar="ACTION")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE")
@click.option("--compare-periods", "periods", metavar="P1,P2,...")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def whatif(profile, adds, removes, sets, periods, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """`carekb whatif` (its --help: help.whatif in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(None, overlays)
    result = api.whatif(read_office(profile, kb), add=adds, remove=removes, set=sets, compare_periods=periods,
                        as_of=as_of_date(as_of), no_pledge=no_pledge, kb=kb, rates=rates, reading=reading)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(whatif_text(result, kb, lang))


# --------------------------------------------------------------------------- plan

@main.command()
@PROFILE_ARG
@click.option("--budget", type=click.IntRange(min=0), metavar="N")
@click.option("--effort", "effort_file", type=click.Path(dir_okay=False), metavar="FILE.csv")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def plan(profile, budget, effort_file, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """`carekb plan` (its --help: help.plan in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(None, overlays)
    result = api.plan(read_office(profile, kb), budget=budget, effort=effort_file, as_of=as_of_date(as_of),
                      no_pledge=no_pledge, kb=kb, rates=rates, reading=reading)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(plan_text(result, kb, lang))
