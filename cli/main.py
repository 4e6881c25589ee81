"""carekb command line: `carekb COMMAND --help` for each command."""

from __future__ import annotations

import click

from carekb import __version__

from carekb.cli.common import handles_errors


class Group(click.Group):
    def list_commands(self, ctx):
        return list(self.commands)  # in the order they were added: most used first


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="carekb")
def main():
    """carekb: 福祉・介護職員等処遇改善加算の要件ナレッジベースとギャップ分析。

    Knowledge base of the wage-improvement addition for welfare and care staff (障害福祉),
    with an exact solver: the highest tier an office can claim on a date, and the smallest set
    of actions that closes the gap to each higher tier, each traced to its legal source.

    \b
    Start with:
      carekb gap examples/r7-after-school-day.yaml        gaps to every higher tier
      carekb tiers examples/r8-employment-b.yaml          attainable tiers and rates
      carekb explain examples/r7-after-school-day.yaml II why a tier is not attained
      carekb requirements --period R8                     the rules of a period
    """


def register() -> None:
    # Each module adds its commands to `main`; the order here is the order in --help.
    from carekb.cli import office_cmds, kb_cmds  # noqa: F401
    # -- feature modules register below this line --
    from carekb.cli import guidance_cmds  # noqa: F401
    from carekb.cli import sparql_cmds  # noqa: F401
    from carekb.cli import batch_cmds  # noqa: F401
    from carekb.cli import consult_cmds  # noqa: F401
    from carekb.cli import staff_cmds  # noqa: F401


register()
