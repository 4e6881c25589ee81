"""`carekb staff`: the staff definitions (※1–※3, priority staff) and an office's staff roster."""

from __future__ import annotations

import click

from carekb.app import api
from carekb.render.staff_text import definitions_text, roster_text
from carekb.cli.common import FORMAT_OPTION, LANG_OPTION, as_of_date, echo_json, handles_errors, load_rules
from carekb.cli.group import main
from carekb.cli.office_cmds import read_office


@main.command()
@click.argument("profile", metavar="[PROFILE]", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD")
@click.option("--scheme", metavar="S")
@FORMAT_OPTION
@LANG_OPTION
@handles_errors
def staff(profile, as_of, scheme, fmt, lang):
    """`carekb staff` (its --help: help.staff in carekb/i18n/messages-help.yaml)."""
    if profile is None:
        data = api.staff(kb=load_rules(None), as_of=as_of, scheme=scheme, lang=lang).to_dict()
        if fmt == "json":
            echo_json(data)
            return
        click.echo(definitions_text(data, lang))
        return
    kb = load_rules(None)
    result = api.staff(read_office(profile, kb), as_of=as_of_date(as_of), kb=kb, lang=lang)
    data, (_, _, period) = result.to_dict(), result.context
    if fmt == "json":
        echo_json(data)
        return
    click.echo(roster_text(data, period.id, lang))
