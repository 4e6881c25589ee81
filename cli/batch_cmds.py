"""`carekb batch`: gap analysis for a table of offices (CSV or XLSX) into XLSX, CSV or JSON."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path

import click

from carekb.app import batch as b
from carekb.app import fidelity
from carekb.app.batch_columns import template_csv_comments, template_tables
from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.render.batch_out import SUFFIXES, Block, CsvOut, SheetBlock, XlsxOut, writer_for
from carekb.render.csv_writer import csv_bytes
from carekb.render import report_html
from carekb.render.publish import OutputSet
from carekb.render.report_files import ReportFolder
from carekb.render.xlsx_writer import xlsx_bytes

from carekb.cli.common import (LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, RATES_OPTION, READING_OPTION, as_of_date, handles_errors, load_rules,
                               note_overlays)
from carekb.cli.main import main
from carekb.cli.report_cmds import build_page
from carekb.cli.sources_cmds import legend, sources

DEFAULT_TEMPLATE = "carekb-batch-template.xlsx"


@main.command()
@click.argument("offices", metavar="OFFICES.csv|xlsx", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "out", metavar="RESULT.xlsx|csv|json|parquet", type=click.Path(dir_okay=False))
@click.option("--template", "template", is_flag=False, flag_value=DEFAULT_TEMPLATE, default=None, metavar="[PATH]")
@click.option("--reports", "reports_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--staff", "staff", metavar="STAFF.csv|xlsx", type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", metavar="DATE")
@click.option("--pledges", "pledges", type=click.Choice(["both", "counted", "ignored"]), default="both", show_default=True)
@NO_PLEDGE_OPTION
@click.option("--alternatives", is_flag=True)
@click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True)
@click.option("--progress/--no-progress", "progress", default=None)
@click.option("--quiet", "-q", is_flag=True)
@click.option("--workers", type=click.IntRange(min=1), metavar="N")
@click.option("--timings", is_flag=True, hidden=True)
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@LANG_OPTION
@handles_errors
def batch(offices, out, template, reports_dir, staff, as_of, pledges, no_pledge, alternatives, encoding, progress, quiet, workers,
          timings, overlays, rates, reading, lang):
    """`carekb batch` (its --help: help.batch in carekb/i18n/messages-help.yaml)."""
    if template:
        if offices or out:
            raise CarekbError(t("batch.template_only"), "--template")
        return write_template(Path(template), encoding)
    if not offices:
        raise CarekbError(t("batch.missing_offices"), "carekb batch")
    if not out:
        raise CarekbError(t("batch.missing_out"), "carekb batch")
    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:
        raise CarekbError(t("batch.unsupported_output", suffix=out.suffix or "(none)"), str(out))
    if not out.parent.is_dir():
        raise CarekbError(t("batch.no_folder"), str(out))
    if out.is_dir():
        raise CarekbError(t("batch.is_folder"), str(out))
    as_json = out.suffix.lower() == ".json"
    if alternatives and not as_json:
        raise CarekbError(t("batch.alternatives_json"), "--alternatives")
    modes = _modes("ignored" if no_pledge else pledges, as_json)
    day = as_of_date(as_of)
    _, kb = fidelity.rules(load_rules(overlays=overlays), rates, reading)   # user rates and readings, for every row
    source = b.open_offices(offices, staff)          # a file that cannot be used stops here: exit 2, nothing written
    show = (sys.stderr.isatty() if progress is None else progress) and not quiet
    notes = note_overlays({}, overlays).get("warnings", []) + fidelity.batch_notes(kb)
    stats = b.Batch()
    started, writing = time.perf_counter(), 0.0
    with _terminate_cleanly(), OutputSet(out.parent) as outputs:
        writer = writer_for(out, outputs, kb, modes, lang, encoding, notes)
        reports = None
        try:
            reports = ReportFolder(reports_dir, outputs) if reports_dir else None
            page_notes = (sources(kb), legend(kb)) if reports else None
            # CSV and XLSX rows are encoded by the workers that evaluated them: this process only appends bytes
            render = writer.render if isinstance(writer, (CsvOut, XlsxOut)) and reports is None else None
            for item in b.stream(kb, source, as_of=day, modes=modes, json=as_json, alternatives=alternatives,
                                 workers=workers, tick=_progress(show), stats=stats, lang=lang,
                                 keep_offices=reports is not None, render=render):
                began = time.perf_counter()
                if isinstance(item, (Block, SheetBlock)):
                    writer.add_block(item)
                    writing += time.perf_counter() - began
                    continue
                if isinstance(item, b.RowError):
                    click.echo(str(item), err=True)
                elif as_json:
                    note_overlays(item.data, overlays)
                if reports is not None and isinstance(item, b.OfficeResult):   # the same page as `carekb report`
                    reports.add(item.office_id, item.row,
                                report_html.document([build_page(kb, item.office, day, *page_notes)]))
                writer.add(item)
                writing += time.perf_counter() - began
            began = time.perf_counter()
            writer.close()
            if reports is not None:
                reports.publish()      # the reports first: the results appearing means the run is complete
        except BaseException:
            writer.discard()
            if reports is not None:
                reports.discard()
            raise
        outputs.publish()
        writing += time.perf_counter() - began
    if timings:
        total = time.perf_counter() - started
        click.echo(f"timings: read {total - stats.evaluate_seconds - writing:.2f} s, evaluate {stats.evaluate_seconds:.2f} s, "
                   f"write {writing:.2f} s", err=True)
    n, k = stats.rows, len(stats.errors)
    line = f"{n:,} offices, {k:,} error{'' if k == 1 else 's'}" if lang == "en" else f"{n:,} 事業所、エラー {k:,} 件"
    sheets = writer.rows.get("action_sheets", 1)
    if sheets > 1:
        line += (f" (missing actions on {sheets} sheets)" if lang == "en" else f"（不足取組は {sheets} シート）")
    click.echo(f"{line} → {out}", err=True)
    if k:
        sys.exit(1)


def _modes(pledges: str, as_json: bool) -> tuple[str, ...]:
    if pledges == "both":
        return ("counted",) if as_json else b.MODES
    return (pledges,)


def _progress(show: bool):
    if not show:
        return None
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        click.echo(t("batch.progress", done=done), err=True)
    return tick


@contextlib.contextmanager
def _terminate_cleanly():
    """SIGTERM (a job scheduler, `kill`) ends the run like Ctrl-C: its temporary files are removed."""
    def stop(signum, frame):
        raise SystemExit(128 + signum)
    try:
        old = signal.signal(signal.SIGTERM, stop)
    except ValueError:   # not the main thread (tests, a library caller): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def write_template(path: Path, encoding: str) -> None:
    tables = template_tables()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = xlsx_bytes(tables)
    elif suffix == ".csv":
        data = csv_bytes(*tables["事業所"], encoding="utf-8-sig" if encoding == "utf-8" else "cp932",
                         comments=template_csv_comments(), target=str(path))
    else:
        raise CarekbError(t("batch.unsupported_template", suffix=suffix or "(none)"), str(path))
    if path.is_dir():
        raise CarekbError(t("batch.is_folder"), str(path))
    with OutputSet(path.parent) as outputs:   # as every output: whole or not at all, umask honoured
        outputs.path(path.name).write_bytes(data)
        outputs.publish()
    click.echo(t("batch.template_written", path=path), err=True)

