"""`carekb batch`: gap analysis for a table of offices (CSV or XLSX) into XLSX, CSV or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from carekb.cli.common import (LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, as_of_date, handles_errors, load_rules, note_overlays,
                     write_atomically, write_files_atomically)
from carekb.cli.main import main

OUT_SUFFIXES = (".xlsx", ".csv", ".json")
DEFAULT_TEMPLATE = "carekb-batch-template.xlsx"


@main.command()
@click.argument("offices", metavar="OFFICES.csv|xlsx", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "out", metavar="RESULT.xlsx|csv|json", type=click.Path(dir_okay=False),
              help="Where to write the results; the format follows the suffix.")
@click.option("--template", "template", is_flag=False, flag_value=DEFAULT_TEMPLATE, default=None, metavar="[PATH]",
              help=f"Write a documented input template (.xlsx or .csv; default {DEFAULT_TEMPLATE}) and stop.")
@click.option("--staff", "staff", metavar="STAFF.csv|xlsx", type=click.Path(dir_okay=False),
              help="Staff roster rows (事業所番号, 氏名, 職種, 資格, ...); default: a sheet named 職員/staff in the input.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Evaluate every office under the rules of this date.")
@NO_PLEDGE_OPTION
@click.option("--alternatives", is_flag=True,
              help="Also list equal-effort alternatives (as `carekb gap` does; about 3× slower).")
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True,
              help="Encoding of CSV output (UTF-8 is written with a BOM so that Excel reads it).")
@click.option("--progress/--no-progress", "progress", default=None,
              help="Progress bar on stderr (default: only when stderr is a terminal).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Processes that share the evaluation (default: one per CPU; 1: this process only).")
@OVERLAY_OPTION
@LANG_OPTION
@handles_errors
def batch(offices, out, template, staff, as_of, no_pledge, alternatives, encoding, progress, quiet, workers, overlays,
          lang):
    """Gap analysis for many offices: one table row per office.

    \b
    Each row is built into a profile (same keys and checks as `carekb gap`), evaluated and
    reported. XLSX output has a summary sheet (one row per office: highest tier, rate, yen, and
    for each higher tier the missing count and yen gained), a long sheet of missing actions with
    their labels, sources and confidence, and an errors sheet. CSV output writes the summary to
    the path, the actions to STEM-actions.csv and row errors to STEM-errors.csv. JSON is a list
    of `carekb gap --format json` results.

    \b
    A bad row is reported as "FILE: row N (id X): message" and the others go on; the run ends
    with "N offices, K errors" and exit status 1 if any row failed, 2 if the file itself is
    unusable (then no output file is written).

    \b
    Example:
      carekb batch --template offices.xlsx
      carekb batch examples/batch/offices.csv --out result.xlsx
    """
    from carekb.model.errors import CarekbError

    if template:
        if offices or out:
            raise CarekbError("--template writes a template only; give no OFFICES or --out with it", "--template")
        return write_template(Path(template), encoding)
    if not offices:
        raise CarekbError("missing OFFICES.csv|xlsx (or --template to write one)", "carekb batch")
    if not out:
        raise CarekbError("missing --out RESULT.xlsx|csv|json", "carekb batch")
    out = Path(out)
    if out.suffix.lower() not in OUT_SUFFIXES:
        raise CarekbError(f"unsupported output type '{out.suffix or '(none)'}' (use .xlsx, .csv or .json)", str(out))
    if not out.parent.is_dir():
        raise CarekbError("the output folder does not exist", str(out))
    from carekb.app import batch as b
    day = as_of_date(as_of)
    kb = load_rules(overlays=overlays)
    sheet, cols, roster = b.read_offices(offices, staff)
    show = (sys.stderr.isatty() if progress is None else progress) and not quiet
    with Progress(len(sheet.rows), show) as bar:
        result = b.run(kb, sheet, cols, roster, as_of=day, use_pledges=not no_pledge, alternatives=alternatives,
                       tick=bar.tick, workers=workers)
    for _, data in result.results:
        data["warnings"] = list(data["warnings"])   # cached results share their lists: copy before adding
        note_overlays(data, overlays)
    for e in result.errors:
        click.echo(str(e), err=True)
    write_files_atomically(outputs(kb, result, out, lang, encoding))
    n, k = len(sheet.rows), len(result.errors)
    line = f"{n:,} offices, {k:,} error{'' if k == 1 else 's'}" if lang == "en" else f"{n:,} 事業所、エラー {k:,} 件"
    click.echo(f"{line} → {out}", err=True)
    if k:
        sys.exit(1)


def outputs(kb, result, out: Path, lang: str, encoding: str) -> dict[Path, bytes]:
    """Every output file and its bytes, built before anything is written."""
    from carekb.app import batch as b
    from carekb.inputs.tabular import csv_bytes, xlsx_bytes

    suffix = out.suffix.lower()
    if suffix == ".json":
        data = [r for _, r in result.results]
        return {out: (json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")}
    summary, actions, errors = (b.summary_table(kb, result, lang), b.actions_table(kb, result, lang),
                                b.errors_table(result, lang))
    if suffix == ".xlsx":
        names = ("集計", "不足取組", "エラー") if lang == "ja" else ("summary", "actions", "errors")
        return {out: xlsx_bytes(dict(zip(names, (summary, actions, errors))))}
    enc = "utf-8-sig" if encoding == "utf-8" else "cp932"
    stem = out.with_suffix("")
    return {out: csv_bytes(*summary, encoding=enc, target=str(out)),
            Path(f"{stem}-actions.csv"): csv_bytes(*actions, encoding=enc, target=f"{stem}-actions.csv"),
            Path(f"{stem}-errors.csv"): csv_bytes(*errors, encoding=enc, target=f"{stem}-errors.csv")}


def write_template(path: Path, encoding: str) -> None:
    from carekb.app import batch as b
    from carekb.model.errors import CarekbError
    from carekb.inputs.tabular import csv_bytes, xlsx_bytes

    tables = b.template_tables()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = xlsx_bytes(tables)
    elif suffix == ".csv":
        data = csv_bytes(*tables["事業所"], encoding="utf-8-sig" if encoding == "utf-8" else "cp932",
                         comments=b.template_csv_comments(), target=str(path))
    else:
        raise CarekbError(f"unsupported template type '{suffix or '(none)'}' (use .xlsx or .csv)", str(path))
    write_atomically(path, data)
    click.echo(f"テンプレートを書きました: {path}", err=True)


class Progress:
    """click's progress bar on stderr; on a non-terminal (with --progress) a line every 10 %."""

    def __init__(self, total: int, show: bool):
        self.total, self.show, self.done, self.bar = total, show and total > 0, 0, None

    def __enter__(self):
        if self.show and sys.stderr.isatty():
            self.bar = click.progressbar(length=self.total, label="carekb batch", file=sys.stderr).__enter__()
        return self

    def tick(self, k: int = 1):
        if k <= 0:
            return
        before, self.done = self.done, self.done + k
        if self.bar is not None:
            self.bar.update(k)
        elif self.show and (self.done == self.total or self.done // max(1, self.total // 10) > before // max(1, self.total // 10)):
            click.echo(f"carekb batch: {self.done:,}/{self.total:,}", err=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
