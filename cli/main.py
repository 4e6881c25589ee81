"""carekb command line: `carekb COMMAND --help` for each command.

The group is cli/group.py; importing a command module adds its commands to it, and the order of the
imports below is the order of --help."""

from __future__ import annotations

from carekb.cli.group import main  # noqa: F401 (the entry point, carekb.cli.main:main)
from carekb.cli import office_cmds, kb_cmds  # noqa: F401,E402
# -- feature modules register below this line --
from carekb.cli import guidance_cmds  # noqa: F401,E402
from carekb.cli import sparql_cmds  # noqa: F401,E402
from carekb.cli import batch_cmds  # noqa: F401,E402
from carekb.cli import consult_cmds  # noqa: F401,E402
from carekb.cli import staff_cmds  # noqa: F401,E402
from carekb.cli import report_cmds, sources_cmds  # noqa: F401,E402
from carekb.cli import init_cmds  # noqa: F401,E402
