"""carekb: a knowledge base of Japanese care/welfare addition rules with an exact gap solver.

    import carekb
    r = carekb.gap(carekb.load_profile("examples/r7-after-school-day.yaml"))
    r.highest, r.targets[0].missing, r.to_dict()    # to_dict() == `carekb gap … --format json`

The functions below are the public API (carekb/app/api.py).  Where an import lives: `carekb.X.Y` is
`carekb/X/Y.py`, except for the repository's top-level folders, which are subpackages under their own
names: `carekb.solver` is `solver/`, `carekb.cli` is `cli/`, `carekb.web` is `web/`, `carekb.kb` is
`kb/` (Turtle facts), `carekb.ontology` is `ontology/`, `carekb.queries` is `queries/`.  Installed,
setuptools copies those folders into this package; in a source checkout they sit beside it, so the
checkout's top level is added to this package's search path below.  docs/architecture.md describes
the layers.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"

_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "solver" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 (a package's own search path)

# The public API (docs/architecture.md): imported after the search path above is complete.
from carekb.app.api import (KB, BatchResults, Office, Overlay, batch, explain, gap, load_kb, load_profile,  # noqa: E402
                            plan, requirements, services, sparql, staff, tiers, whatif)

__all__ = ["KB", "BatchResults", "Office", "Overlay", "batch", "explain", "gap", "load_kb", "load_profile", "plan",
           "requirements", "services", "sparql", "staff", "tiers", "whatif", "__version__"]
