"""How many terminal columns text takes, and how wide the terminal is.

East Asian rules (wcwidth): wide and full-width characters take two columns, combining marks none.
Ambiguous characters (Ⅰ–Ⅴ, ①–㉘, ○, ×, —, ※) take one column in most terminals but two in
Japanese ones (Tera Term, RLogin, Windows consoles with a Japanese font): `--ambiguous-wide` or
CAREKB_AMBIGUOUS_WIDE=1 counts them as two so that columns still line up there.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from functools import lru_cache

from wcwidth import wcwidth

_settings = {"ambiguous_wide": None, "wide": None}


def configure(ambiguous_wide: bool | None = None, wide: bool | None = None) -> None:
    """Set from the command line (None keeps the environment's choice)."""
    if ambiguous_wide is not None:
        _settings["ambiguous_wide"] = ambiguous_wide
    if wide is not None:
        _settings["wide"] = wide


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def ambiguous_wide() -> bool:
    v = _settings["ambiguous_wide"]
    return _env_flag("CAREKB_AMBIGUOUS_WIDE") if v is None else v


def full_text() -> bool:
    """--wide (or CAREKB_WIDE=1): never shorten or wrap; lines may be longer than the terminal."""
    v = _settings["wide"]
    return _env_flag("CAREKB_WIDE") if v is None else v


@lru_cache(maxsize=4096)
def char_width(c: str, amb_wide: bool = False) -> int:
    w = wcwidth(c)
    if w < 0:          # control characters: shown escaped elsewhere, never as columns here
        return 0
    if amb_wide and w == 1 and unicodedata.east_asian_width(c) == "A":
        return 2
    return w


def width(s: str) -> int:
    """Columns `s` takes in the terminal."""
    amb = ambiguous_wide()
    if s.isascii():
        return len(s)
    return sum(char_width(c, amb) for c in s)


def terminal_columns() -> int | None:
    """The width to fit output to: COLUMNS, else the terminal's; None (no limit) when writing to a
    file or pipe, or with --wide, so saved output keeps every cell whole."""
    if full_text():
        return None
    cols = os.environ.get("COLUMNS", "").strip()
    if cols.isdecimal() and 0 < len(cols) < 5:
        return max(int(cols), 20)
    if not sys.stdout.isatty():
        return None
    return max(shutil.get_terminal_size((100, 24)).columns, 20)


def wrap(s: str, limit: int) -> list[str]:
    """`s` broken into lines of at most `limit` columns: at a space when the line has one late
    enough, else between any two characters (Japanese has no spaces)."""
    if limit <= 0 or width(s) <= limit:
        return [s]
    amb = ambiguous_wide()
    lines, line, used = [], "", 0
    for c in s:
        w = char_width(c, amb)
        if used + w > limit and line:
            cut = line.rfind(" ")
            if cut > len(line) // 2:
                lines.append(line[:cut])
                line = line[cut + 1:]
            else:
                lines.append(line)
                line = ""
            used = width(line)
        line += c
        used += w
    lines.append(line)
    return [ln.rstrip() for ln in lines]


def shorten(s: str, limit: int) -> str:
    """`s` cut to `limit` columns, ending in … when cut."""
    if width(s) <= limit:
        return s
    amb = ambiguous_wide()
    out, used = "", 0
    for c in s:
        w = char_width(c, amb)
        if used + w > limit - 1:
            break
        out += c
        used += w
    return out + "…"


def fit(text: str, limit: int | None = None) -> str:
    """Every line of `text` folded to the terminal width, continuation lines indented like the
    line's text (after "  - " or "■ "), so prose under a table fits too."""
    limit = terminal_columns() if limit is None else limit
    if not limit:
        return text
    out = []
    for line in text.split("\n"):
        if width(line) <= limit:
            out.append(line)
            continue
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped) + (2 if stripped[:2] in ("- ", "・", "■ ", "※ ") else 0)
        indent = min(indent, limit // 3)
        first = wrap(line, limit)[0]
        out.append(first)
        remainder = line[len(first):].lstrip(" ")
        out.extend(" " * indent + part for part in wrap(remainder, limit - indent))
    return "\n".join(out)
