"""Help text laid out for the terminal, in display columns: Japanese breaks between any two characters
(with 行頭・行末禁則 for 、。（）), Latin text between words; paragraphs are reflowed unless indented.
Used by cli/localized_help.py (click measures characters, so Japanese lines would come out too wide)."""

from __future__ import annotations

import re

from carekb.render.width import width, wrap

_NO_LINE_START = set("、。，．,.）)」』】］]：:；;！!？?・ー～…％%")
_NO_LINE_END = set("（(「『【［[")
_JA_MARKS = set("、。，．（）「」『』【】［］：；！？・")


def _units(text: str) -> list[str]:
    """Pieces a line may break between: a Latin word (with the punctuation stuck to it), one Japanese
    character, or a space; closing marks stay with what precedes them, opening ones with what follows."""
    units: list[str] = []
    for piece in re.findall(r" +|[!-~]+|.", text):
        if units and (piece[0] in _NO_LINE_START or units[-1][-1] in _NO_LINE_END) and not piece.startswith(" ") \
                and not units[-1].startswith(" "):
            units[-1] += piece
        else:
            units.append(piece)
    return units


def wrap_help(text: str, limit: int, next_limit: int | None = None) -> list[str]:
    """`text` in lines of at most `limit` columns (`next_limit` after the first): Japanese breaks
    between any two characters, Latin words between words, and no line starts with a closing mark
    (、。）) or ends with an opening one."""
    lines, line = [], ""
    for unit in _units(text):
        if lines and next_limit:
            limit = next_limit
        if line and width(line) + width(unit) > limit and not unit.startswith(" "):
            lines.append(line.rstrip())
            line = ""
        if not line and unit.startswith(" "):
            continue
        while width(unit) > limit:                  # a word longer than the line: cut it
            cut = wrap(unit, limit)[0]
            while len(cut) > 1 and unit[len(cut)] in _NO_LINE_START:   # 、。） stay on the line before
                cut = cut[:-1]
            lines.append(cut)
            unit = unit[len(cut):]
        line += unit
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def joined(lines: list[str]) -> str:
    """Lines of one paragraph as one: a space between words, none between two Japanese characters."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if out and (out[-1].isascii() or line[:1].isascii()) and out[-1] not in _JA_MARKS and line[:1] not in _JA_MARKS:
            out += " "
        out += line
    return out


def paragraphs(text: str) -> list[tuple[bool, list[str]]]:
    """(verbatim, lines) per paragraph: a paragraph with an indented line keeps its lines as written."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = block.rstrip().split("\n")
        verbatim = any(ln.startswith(" ") for ln in lines[1:]) or lines[0].startswith(" ")
        out.append((verbatim, lines if verbatim else [joined(lines)]))
    return out


def hanging_indent(line: str) -> int:
    """Where a folded line of a list goes on: under the text after "term   " (/query   SPARQL…), else
    four columns in from the line."""
    m = re.match(r"\s*\S+\s{2,}", line)
    return width(m[0]) if m else len(line) - len(line.lstrip(" ")) + 4


def is_command_line(line: str) -> bool:
    """An example command line (or its continuation): never wrapped, so that it can be copied."""
    return line.lstrip().startswith(("carekb ", "curl ", "-"))
