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
            | {10: "\\n", 13: "\\r", 9: "\\t"}
            # lone surrogates (bad UTF-8 in argv, "\\ud800" in JSON) cannot be encoded to print or to send
            | {c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)})


class CarekbErrors(CarekbError):
    """Every problem found in one input (a profile is checked whole, not up to its first error):
    `lines()` gives one line per problem, each naming its file and place."""

    def __init__(self, problems: list[CarekbError]):
        super().__init__(problems[0].message, problems[0].source, problems[0].where)
        self.problems = list(problems)

    SHOWN = 20    # a file with thousands of bad ids gets the first ones and a count, not thousands of lines

    def lines(self) -> list[str]:
        out = [CarekbError.__str__(p) for p in self.problems[:self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            out.append(f"{self.problems[0].source}: … +{len(self.problems) - self.SHOWN}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())
