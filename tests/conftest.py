import datetime as dt
from pathlib import Path

import pytest

from carekb.graph.kbload import load_kb
from carekb.i18n import set_lang
from carekb.inputs.profile import Office, bind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE = ROOT / "reference"  # copies of the reference facts and seed texts the tests compare with


@pytest.fixture(scope="session")
def kb():
    return load_kb()


def office(kb, service: str, as_of: str, **kw):
    """A bound Office for a service and date, with the given facts."""
    for key in ("met", "workplace", "pledged"):
        if key in kw:
            kw[key] = frozenset(kw[key])
    if "shogu" in kw or "tokutei" in kw or "baseup" in kw:
        kw.setdefault("history_given", True)
    o, period = bind(Office(service=service, as_of=dt.date.fromisoformat(as_of), **kw), kb)
    return o, period


@pytest.fixture(autouse=True)
def _default_language():
    """A command run with --lang en sets the language of this process (as the CLI does for one run):
    every test starts from the default again."""
    yield
    set_lang(None)
