"""A profile outline (carekb.app.init_profile) as commented YAML: each key preceded by what it means,
list choices written commented out (`# - cp1.1  # label`) so that the user uncomments what applies;
an empty value or a list of only comments reads back as not given."""

from __future__ import annotations

import json

from carekb.app.init_profile import Field, Outline


def document(o: Outline) -> str:
    lines = [f"# {h}" for h in o.header]
    for f in o.fields:
        lines.append("")
        _field(f, lines, "")
    return "\n".join(lines) + "\n"


def _field(f: Field, lines: list[str], indent: str) -> None:
    lines += [f"{indent}# {x}" for x in f.note.splitlines()]
    if f.children:
        lines.append(f"{indent}{f.key}:")
        for c in f.children:
            _field(c, lines, indent + "  ")
        return
    value = _scalar(f.value)
    tail = f"  # {f.value_note}" if f.value_note else ""
    lines.append(f"{indent}{f.key}:{' ' + value if value else ''}{tail}")
    width = max((len(str(c.value)) for c in f.choices), default=0)
    group = None
    for c in f.choices:
        if c.group and c.group != group:
            group = c.group
            lines.append(f"{indent}  # 【{group}】")
        lines.append(f"{indent}  # - {str(c.value):<{width}}  # {_one_line(c.label)}")


def _scalar(v) -> str:
    """A YAML scalar: empty for None, JSON quoting (valid YAML) for text."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if s.replace("-", "").replace(".", "").isalnum() and s.isascii():
        return s
    return json.dumps(s, ensure_ascii=False)


def _one_line(s: str) -> str:
    return " ".join(str(s).split())
