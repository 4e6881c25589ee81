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
@click.option("--add", "adds", multiple=True, metavar="ACTION",
              help="Put an action in place: a requirement atom (→ met), workplace.N (→ workplace), pledge.X (→ pledged).")
@click.option("--remove", "removes", multiple=True, metavar="ACTION", help="Take an action away (same ids as --add).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Set a profile key; the value is read as YAML (top_annual_wage=4700000, office.region=3級地, "
                   "history.shogu=none, workplace=[1,3,18], as_of=2026-06-01).")
@click.option("--compare-periods", "periods", metavar="P1,P2,...",
              help="Evaluate the (changed) profile under each period's rules, side by side (e.g. R7,R8).")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def whatif(profile, adds, removes, sets, periods, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """What if the office changed, or the rules did: before and after side by side.

    \b
    The changes are applied to the profile's data and checked like a file (same messages).
    --as-of evaluates both sides on that date; --set as_of=… moves only the "after" side.
    Shown: date, rule period, highest tier, rate, yen a month and a year, each tier's missing
    actions, and the change (e.g. "Ⅲ → Ⅱ, +18,648円/月").

    \b
    --compare-periods R7,R8 evaluates the profile under each period's rules, on the profile's
    date clipped into that period (its first day if the date is earlier, its last if later;
    the table shows the date used). Workplace item numbers carry over only between periods that
    share an item list (R7 and R8 do; R6 numbers its 25 items differently): otherwise it stops
    with an error rather than renumber the items by guess.

    \b
    Examples:
      carekb whatif examples/r7-after-school-day.yaml --add cp4 --add visibility
      carekb whatif examples/r7-after-school-day.yaml --set top_annual_wage=4700000 --remove visibility
      carekb whatif examples/r7-after-school-day.yaml --compare-periods R7,R8
      carekb whatif examples/r7-after-school-day.yaml --as-of 2026-07-01 \\
          --rules-overlay examples/overlays/hypothetical-r8-rate.ttl --add cp5
    """
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
@click.option("--budget", type=click.IntRange(min=0), metavar="N",
              help="Total effort available (same units as `effort`; default: unlimited).")
@click.option("--effort", "effort_file", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Effort per action: columns action,effort (or 取組,工数), UTF-8 or Shift_JIS. Overrides the "
                   "profile's effort: for the actions it names; others keep the profile's value (default 1).")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def plan(profile, budget, effort_file, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """Which higher tier pays best within an effort budget, and the order to get there.

    \b
    For every tier above the current one: its minimum effort (exact) and its gain over the
    current tier, in yen a month and a year (or, where yen cannot be computed, in rate points,
    with a warning). The chosen tier has the largest gain among those whose minimum effort is
    at most --budget (ties: less effort). A budget equal to a tier's effort reaches it.

    \b
    Next steps: the chosen tier's actions in stages. A stage is the cheapest group of the
    plan's remaining actions that completes some tier above the one reached so far; stages are
    chosen greedily by the gain they add per unit of effort. Gain is credited to a whole stage:
    one action alone earns nothing until its stage's tier is complete.

    \b
    Examples:
      carekb plan examples/r7-after-school-day.yaml
      carekb plan examples/r7-after-school-day.yaml --budget 3 --effort examples/effort.csv
    """
    kb = load_rules(None, overlays)
    result = api.plan(read_office(profile, kb), budget=budget, effort=effort_file, as_of=as_of_date(as_of),
                      no_pledge=no_pledge, kb=kb, rates=rates, reading=reading)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    click.echo(plan_text(result, kb, lang))
