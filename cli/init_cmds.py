"""`carekb init SERVICE [--as-of DATE] [-o FILE.yaml|FILE.xlsx]`: a commented profile to fill in, for a
service and date. The content is carekb.app.init_profile (labels from the KB), the YAML
carekb.render.profile_yaml; `--format xlsx` writes a checklist workbook instead
(carekb.app.init_checklist, carekb.render.checklist_xlsx), which every profile command reads back."""

from __future__ import annotations

from pathlib import Path

import click

from carekb.app import api
from carekb.app.init_checklist import checklist
from carekb.app.init_profile import outline
from carekb.cli.common import LANG_OPTION, as_of_date, handles_errors, write_atomically
from carekb.cli.group import main
from carekb.i18n import t
from carekb.model.dates import today
from carekb.model.errors import CarekbError
from carekb.render import checklist_xlsx, profile_yaml


@main.command("init")
@click.argument("service")
@click.option("--as-of", "as_of", metavar="DATE")
@click.option("-o", "--output", "output", metavar="FILE.yaml|FILE.xlsx", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default=None)
@click.option("--force", is_flag=True)
@LANG_OPTION
@handles_errors
def init(service, as_of, output, fmt, force, lang):
    """`carekb init` (its --help: help.init in carekb/i18n/messages-help.yaml)."""
    day = as_of_date(as_of) or today()
    path = Path(output) if output else None
    fmt = fmt or ("xlsx" if path and path.suffix.lower() == ".xlsx" else "yaml")
    if fmt == "xlsx":
        if path is None:
            raise CarekbError(t("init.xlsx.needs_output", lang), "--format")
        if path.suffix.lower() != ".xlsx":
            raise CarekbError(t("init.xlsx.wrong_suffix", lang, format="xlsx"), str(path))
        data = checklist_xlsx.workbook_bytes(checklist(api.load_kb(), service, day, lang))
    else:
        text = profile_yaml.document(outline(api.load_kb(), service, day, lang))
        if path is None:
            click.echo(text, nl=False)
            return
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise CarekbError(t("init.not_yaml", lang), str(path))
        data = text.encode("utf-8")
    if path.exists() and not force:
        raise CarekbError(t("init.exists", lang), str(path))
    write_atomically(path, data)
    click.echo(t("init.written", lang, path=path), err=True)
