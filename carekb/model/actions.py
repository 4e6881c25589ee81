"""Action ids, the things an office can do to reach a tier: a requirement atom (`cp4`), a workplace
item of the period's list (`workplace.18`), or a pledge (`pledge.cp3`).  They travel as plain
strings (in profiles, results and the solver's bit sets); this is their one parser and builder."""

from __future__ import annotations

import functools
from typing import Literal, NamedTuple

WORKPLACE = "workplace"
PLEDGE = "pledge"
REQUIREMENT = "requirement"

Kind = Literal["requirement", "workplace", "pledge"]


class Action(NamedTuple):
    """A parsed action id: its kind and the key within that kind (requirement id, item number, pledge id)."""

    kind: Kind
    key: str

    @property
    def number(self) -> int:
        """The item number of a workplace action (a ValueError for any other kind)."""
        if self.kind != WORKPLACE or not (self.key.isascii() and self.key.isdigit()):   # "²".isdigit() is True
            raise ValueError(f"{self.id} is not a workplace item")
        return int(self.key)

    @property
    def id(self) -> str:
        return self.key if self.kind == REQUIREMENT else f"{self.kind}.{self.key}"

    def __str__(self) -> str:
        return self.id


@functools.lru_cache(maxsize=4096)
def parse(action: str) -> Action:
    """`workplace.18` → (workplace, 18), `pledge.cp3` → (pledge, cp3), anything else a requirement id.
    Only the form is read; whether the KB knows the id is checked where the id enters (inputs)."""
    kind, dot, rest = action.partition(".")
    if dot and kind in (WORKPLACE, PLEDGE):
        return Action(kind, rest)
    return Action(REQUIREMENT, action)


def workplace(number: int) -> str:
    """The action id of workplace item `number`."""
    return f"{WORKPLACE}.{number}"


def pledge(pledge_id: str) -> str:
    """The action id of the pledge `pledge_id`."""
    return f"{PLEDGE}.{pledge_id}"


def is_pledge(action: str) -> bool:
    return action.startswith(PLEDGE + ".")


def is_workplace(action: str) -> bool:
    return action.startswith(WORKPLACE + ".")


def item_number(action: str) -> int | None:
    """The item number of a `workplace.N` id, else None."""
    a = parse(action)
    return int(a.key) if a.kind == WORKPLACE and a.key.isascii() and a.key.isdigit() and len(a.key) < 6 else None
