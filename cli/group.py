"""The `carekb` command group; the command modules add their commands to it (cli/main.py imports them)."""

from __future__ import annotations

import click

from carekb import __version__

from carekb.cli.common import handles_errors
from carekb.i18n import set_lang
from carekb.render import width


class OneLineUsageError(click.ClickException):
    """click's usage error (a bad option value, a missing argument) as every other error: one line."""

    exit_code = 2

    def __init__(self, e: click.UsageError):
        super().__init__(e.format_message())
        self.hint = f" ({e.ctx.command_path} -h)" if e.ctx is not None else ""

    def show(self, file=None) -> None:
        text = (self.format_message() + self.hint).translate({10: " ", 13: " "})
        click.echo(f"carekb: error: {text}", file=file, err=file is None)


_NO_ARGS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class Group(click.Group):
    def list_commands(self, ctx):
        return list(self.commands)  # in the order they were added: most used first

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except _NO_ARGS_HELP:
            raise           # `carekb` alone: the help, as click shows it
        except click.UsageError as e:
            raise OneLineUsageError(e) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _NO_ARGS_HELP:
            raise           # `carekb` alone: the help, as click shows it
        except click.UsageError as e:
            raise OneLineUsageError(e) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="carekb")
@click.option("--ambiguous-wide", is_flag=True, default=None,
              help="Count ambiguous-width characters (Ⅰ–Ⅴ, ①, ○, ×, —) as two columns, as Japanese terminals "
                   "draw them (also CAREKB_AMBIGUOUS_WIDE=1).")
@click.option("--wide", is_flag=True, default=None,
              help="Print every cell in full, however wide (also CAREKB_WIDE=1); default: fit the terminal.")
def main(ambiguous_wide, wide):
    """carekb: 福祉・介護職員等処遇改善加算の要件ナレッジベースとギャップ分析。

    Knowledge base of the wage-improvement addition for welfare and care staff (障害福祉 and
    介護保険), with an exact solver: the highest tier an office can claim on a date, and the smallest set
    of actions that closes the gap to each higher tier, each traced to its legal source.

    \b
    Start with:
      carekb gap examples/r7-after-school-day.yaml        gaps to every higher tier
      carekb tiers examples/r8-employment-b.yaml          attainable tiers and rates
      carekb explain examples/r7-after-school-day.yaml II why a tier is not attained
      carekb requirements --period R8                     the rules of a period
      carekb tiers examples/kaigo-r8-home-visit.yaml      a 介護保険 office

    Documentation: README.md and docs/ (docs/profile.md: the profile and JSON contract).
    """
    set_lang(None)      # the default (CAREKB_LANG, else ja); each command's --lang sets it again
    width.configure(ambiguous_wide=ambiguous_wide, wide=wide)
