"""The `carekb` command group; the command modules add their commands to it (cli/main.py imports them)."""

from __future__ import annotations

import sys

import click

from carekb import __version__

from carekb.cli.common import LANG_ONLY_OPTION, command_line_lang
from carekb.cli.click_messages import install_click_messages
from carekb.cli.localized_help import Command, LocalizedHelp, metavars
from carekb.i18n import t
from carekb.render import width


class OneLineUsageError(click.ClickException):
    """click's usage error (a bad option value, a missing argument) as every other error: one line."""

    exit_code = 2

    def __init__(self, e: click.UsageError):
        message = e.format_message()
        # a missing argument is named by its placeholder: 'PROFILE' → 'プロファイル' as in the help (not
        # in other errors, which quote the user's own value)
        super().__init__(metavars(message) if isinstance(e, click.MissingParameter) else message)
        self.hint = f" ({e.ctx.command_path} -h)" if e.ctx is not None else ""

    def show(self, file=None) -> None:
        text = (self.format_message() + self.hint).translate({10: " ", 13: " "})
        click.echo(f"carekb: error: {text}", file=file, err=file is None)


install_click_messages()    # click's own usage errors in the user's language too
_NO_ARGS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class Group(LocalizedHelp, click.Group):
    command_class = Command

    def main(self, args=None, *a, **kw):
        args = list(sys.argv[1:] if args is None else args)
        with command_line_lang(args):
            return super().main(args, *a, **kw)

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


def _print_version(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo(t("help.version_line", prog="carekb", version=__version__))
        ctx.exit()


# The help texts of the group, its options and every command: carekb/i18n/messages-help.yaml
@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version)
@click.option("--ambiguous-wide", is_flag=True, default=None)
@click.option("--wide", is_flag=True, default=None)
@LANG_ONLY_OPTION
def main(ambiguous_wide, wide):
    """carekb: the command group (help text: help.carekb in carekb/i18n/messages-help.yaml). The language
    is set before this runs: Group.main reads --lang from the whole command line (else CAREKB_LANG, else ja)."""
    width.configure(ambiguous_wide=ambiguous_wide, wide=wide)
