"""A rules overlay given as text rather than as a file (e.g. one web request's hypothetical facts)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Overlay:
    """Turtle that adds or replaces KB facts, named for messages and results like a file would be.

    It answers `name`, `read_bytes()` and `str()` as a Path does, so the loader hashes and
    reports both kinds alike."""

    name: str
    turtle: str

    def read_bytes(self) -> bytes:
        return self.turtle.encode("utf-8")

    def is_file(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.name


def as_overlay(o) -> "Overlay | Path":
    """An Overlay as it is; anything else is a path."""
    return o if isinstance(o, Overlay) else Path(o)


def overlay_info(overlays) -> list[dict]:
    """The overlays a result was computed with (name and content hash), for the JSON contract."""
    return [{"file": str(o), "sha256": hashlib.sha256(as_overlay(o).read_bytes()).hexdigest()[:12]} for o in overlays]
