"""Plain-text tables for terminals, lined up by display width (carekb/render/width.py) and fitted
to the terminal: when the natural width is too wide, the widest columns narrow and their cells wrap
onto more lines inside the column (full cells with --wide, and always in JSON)."""

from __future__ import annotations

from carekb.render.width import terminal_columns, width, wrap

GAP = "  "
MIN_COLUMN = 6          # a column never narrows below this (ids, marks and numbers stay whole)


def table(rows: list[list], headers: list[str], max_width: int | None = None) -> str:
    """A plain-text table: a header, a rule of dashes, and the rows (None shows as empty).
    `max_width`: columns to fit in (default: the terminal's, see width.terminal_columns)."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    limit = terminal_columns() if max_width is None else max_width
    if limit:
        widths = _narrowed(widths, cells, limit - len(GAP) * (len(widths) - 1))
    out = []
    for n, r in enumerate(cells):
        parts = [wrap(c, widths[i]) for i, c in enumerate(r)]
        for k in range(max(len(p) for p in parts)):
            line = [p[k] if k < len(p) else "" for p in parts]
            out.append(GAP.join(c + " " * (widths[i] - width(c)) for i, c in enumerate(line)).rstrip())
        if n == 0:
            out.append(GAP.join("-" * w for w in widths))
    return "\n".join(out)


def _narrowed(widths: list[int], cells: list[list[str]], room: int) -> list[int]:
    """Column widths that fit `room`: take one column at a time from the widest column, so that
    short columns (ids, rates, marks) keep their width and long text wraps."""
    widths = list(widths)
    floor = [min(w, max(MIN_COLUMN, max((width(word) for r in cells for word in r[i].split()[:1]), default=0)
                        if cells[0][i].isascii() and all(r[i].isascii() for r in cells) else MIN_COLUMN))
             for i, w in enumerate(widths)]
    while sum(widths) > room:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break                       # cannot fit without breaking ids: let the terminal wrap
        widths[i] -= 1
    return widths
