"""`carekb init SERVICE [--as-of DATE] [-o FILE.yaml]`: a commented profile to fill in, for a service
and date. The content is carekb.app.init_profile (labels from the KB), the YAML carekb.render.profile_yaml."""

from __future__ import annotations

from pathlib import Path

import click

from carekb.app import api
from carekb.app.init_profile import outline
from carekb.cli.common import LANG_OPTION, as_of_date, handles_errors, write_atomically
from carekb.cli.group import main
from carekb.i18n import t
from carekb.model.dates import today
from carekb.model.errors import CarekbError
from carekb.render import profile_yaml


@main.command("init")
@click.argument("service")
@click.option("--as-of", "as_of", metavar="DATE", help="The date whose rules the profile is written for (default: today).")
@click.option("-o", "--output", "output", metavar="FILE.yaml", type=click.Path(dir_okay=False),
              help="The file to write (default: print the profile).")
@click.option("--force", is_flag=True, help="Overwrite FILE.yaml if it exists.")
@LANG_OPTION
@handles_errors
def init(service, as_of, output, force, lang):
    """記入用のプロファイル（コメント付きYAML）を作ります。

    A commented profile for SERVICE (id or Japanese name) under the rules of --as-of: every key
    with what it means, and the requirement ids, workplace items and pledges of that rule period
    (from the KB), commented out: uncomment what is in place, fill in the rest, then run
    `carekb gap FILE`.

    \b
    Example:
      carekb init 生活介護 --as-of 2026-07-01 -o office.yaml
    """
    day = as_of_date(as_of) or today()
    text = profile_yaml.document(outline(api.load_kb(), service, day, lang))
    if not output:
        click.echo(text, nl=False)
        return
    path = Path(output)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise CarekbError(t("init.not_yaml", lang), str(path))
    if path.exists() and not force:
        raise CarekbError(t("init.exists", lang), str(path))
    write_atomically(path, text.encode("utf-8"))
    click.echo(t("init.written", lang, path=path), err=True)
