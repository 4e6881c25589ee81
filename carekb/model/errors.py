"""The one error type that carekb raises for bad input; the CLI turns it into exit status 2."""

from __future__ import annotations


class CarekbError(Exception):
    """Bad input or an impossible request, with the place it was found.

    `source` is a file name (or "<stdin>", "--as-of", ...); `where` a key path or line.
    """

    exit_code = 2

    def __init__(self, message: str, source: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.where = where

    def __str__(self) -> str:
        place = ": ".join(p for p in (self.source, self.where) if p)
        text = f"{place}: {self.message}" if place else self.message
        # always one line: a key or value quoted from bad input may hold newlines or terminal escapes
        return text.translate(_ESCAPES)


# C0 and C1 controls and the Unicode line separators: str.splitlines() breaks at \x85 and U+2028 too
_ESCAPES = ({c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)]} | {0x2028: "\\u2028", 0x2029: "\\u2029"}
            | {10: "\\n", 13: "\\r", 9: "\\t"})
