"""Options, error handling and output helpers shared by every command."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from carekb.i18n import LANGS, default_lang, set_lang, t
from carekb.model.errors import CarekbError
from carekb.inputs.profile import parse_date
from carekb.app.api import load_kb
from carekb.app.contract import note_overlays  # noqa: F401 (used by the batch command)
from carekb.model.overlay import overlay_info  # noqa: F401
from carekb.render.table import table  # noqa: F401 (the commands' text tables)

_ARGV_LANG: contextvars.ContextVar[str | None] = contextvars.ContextVar("carekb_argv_lang", default=None)


def lang_on_command_line(args) -> str | None:
    """The value of a --lang anywhere in `args` (the last one wins), as click would take it."""
    found = None
    for i, a in enumerate(args):
        if a == "--":
            break
        value = args[i + 1] if a == "--lang" and i + 1 < len(args) else a[7:] if a.startswith("--lang=") else None
        if value in LANGS:
            found = value
    return found


@contextlib.contextmanager
def command_line_lang(args):
    """For one run of the command line: its --lang (wherever it is) is every option's default and the
    language of --help, which click prints as soon as it meets it, before a later --lang is read."""
    token = _ARGV_LANG.set(lang_on_command_line(args))
    set_lang(requested_lang())
    try:
        yield
    finally:
        _ARGV_LANG.reset(token)


def requested_lang() -> str:
    """--lang from the command line, else CAREKB_LANG, else Japanese."""
    return _ARGV_LANG.get() or default_lang()


def _set_lang(ctx, param, value):
    set_lang(value)      # before the other options are read: their errors speak this language too
    return value


# Help texts of options and commands: carekb/i18n/messages-help.yaml (cli/localized_help.py).
LANG_OPTION = click.option("--lang", type=click.Choice(LANGS), default=requested_lang, show_default="ja", is_eager=True,
                           callback=_set_lang)
# the same for commands whose code does not need the value (their messages follow current_lang())
LANG_ONLY_OPTION = click.option("--lang", type=click.Choice(LANGS), default=requested_lang, show_default="ja",
                                is_eager=True, callback=_set_lang, expose_value=False)
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
ENDPOINT_OPTION = click.option("--endpoint", metavar="URL")
AS_OF_OPTION = click.option("--as-of", "as_of", metavar="YYYY-MM-DD")
NO_PLEDGE_OPTION = click.option("--no-pledge", is_flag=True)


def as_of_date(as_of: str | None):
    """The --as-of value as a date, or None when it is not given."""
    return parse_date(as_of, "--as-of", "") if as_of else None


def load_rules(endpoint: str | None = None, overlays=()):
    """The compiled KB: from this installation's kb/ (plus rule overlays), or from a SPARQL endpoint's graph."""
    return load_kb(overlays, endpoint=endpoint)


def fail(err: CarekbError) -> None:
    """One clear line on stderr (one per problem when a file has several), exit status 2, no traceback."""
    for line in str(err).split("\n"):
        click.echo(f"carekb: error: {line}", err=True)
    sys.exit(err.exit_code)


def handles_errors(fn):
    """Turn CarekbError (and a broken pipe) into a clean exit."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CarekbError as e:
            fail(e)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
    return wrapper


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside the target and rename it: no partial file on error or Ctrl-C."""
    write_files_atomically({Path(path): data})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files_atomically(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary name beside it first, then rename them all: no partial file,
    nor a partial set of files, after an error or Ctrl-C."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            if path.is_dir():
                raise CarekbError(t("inputs.out.is_folder"), str(path))
            if path.exists() and not path.is_file():  # a device or pipe (/dev/stdout, /dev/full): write
                continue                              # into it below; a rename would replace the device node
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; an output file follows the umask
                temps.append((tmp, path))
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except OSError as e:
                raise CarekbError(t("inputs.out.cannot_write", why=e.strerror), str(path)) from None
        for path, data in files.items():
            if path.exists() and not path.is_file():
                try:
                    with open(path, "wb") as f:
                        f.write(data)
                except OSError as e:
                    raise CarekbError(t("inputs.out.cannot_write", why=e.strerror), str(path)) from None
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise


# what they do: help.opt.rates, help.opt.reading, help.opt.rules-overlay in carekb/i18n/messages-help.yaml
RATES_OPTION = click.option("--rates", "rates", metavar="FILE.csv", type=click.Path(dir_okay=False))
READING_OPTION = click.option("--reading", "reading", metavar="ID", multiple=True)
OVERLAY_OPTION = click.option("--rules-overlay", "overlays", multiple=True, metavar="FILE.ttl", type=click.Path(dir_okay=False))
