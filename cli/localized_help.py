"""`--help` in the user's language: every command's and option's text, and click's own words
(Usage:, Options:, [default: …]), come from the catalogue (carekb/i18n/messages-help.yaml).

Keys: `help.<command>` (the group is `help.carekb`), `help.<command>.<option>` (the option's long
name without dashes), else `help.opt.<option>` for the options many commands share, and
`help.metavar.<WORD>` for the placeholders (PROFILE → プロファイル). A text's first paragraph is the
command's summary in `carekb --help`; a paragraph with an indented line (examples, lists) is printed
as written, any other paragraph is reflowed to the terminal width, counted in display columns
(click counts characters, so Japanese lines would come out twice as wide as it thinks).

The language is read from the whole command line before click parses it (cli/group.py), because
click handles --help as soon as it meets it, before a later --lang.
"""

from __future__ import annotations

import re

import click

from carekb.i18n import catalogue, current_lang, has, t
from carekb.render.width import width, wrap

_PLACEHOLDER = re.compile(r"(?<![\w-])[A-Z][A-Z_]*(?![A-Za-z_])")


def metavars(text: str) -> str:
    """Placeholders in a usage line or option spec in the current language (PROFILE → プロファイル)."""
    text = text.replace("INTEGER RANGE", "INTEGER")     # click's name for an IntRange without a metavar
    return _PLACEHOLDER.sub(lambda m: t(f"help.metavar.{m[0]}") if has(f"help.metavar.{m[0]}") else m[0], text)


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


def _joined(lines: list[str]) -> str:
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
        out.append((verbatim, lines if verbatim else [_joined(lines)]))
    return out


def _hanging_indent(line: str) -> int:
    """Where a folded line of a list goes on: under the text after "term   " (/query   SPARQL…), else
    four columns in from the line."""
    m = re.match(r"\s*\S+\s{2,}", line)
    return width(m[0]) if m else len(line) - len(line.lstrip(" ")) + 4


def _is_command(line: str) -> bool:
    """An example command line (or its continuation): never wrapped, so that it can be copied."""
    return line.lstrip().startswith(("carekb ", "curl ", "-"))


class Formatter(click.HelpFormatter):
    """click's formatter with the catalogue's words and widths in display columns."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        head = f"{' ' * self.current_indent}{t('help.usage') if prefix is None else prefix} {prog}"
        if not args:
            self.write(head + "\n")
            return
        indent = width(head) + 1
        limit = max(self.width - indent, 20)
        lines = wrap_help(args, limit)
        self.write(head + " " + lines[0] + "\n")
        for line in lines[1:]:
            self.write(" " * indent + line + "\n")

    def write_text(self, text: str) -> None:
        pad = " " * self.current_indent
        limit = max(self.width - self.current_indent, 20)
        for n, (verbatim, lines) in enumerate(paragraphs(text)):
            if n:
                self.write("\n")
            for line in lines:
                if verbatim and (width(line) <= limit or _is_command(line)):
                    self.write(pad + line + "\n")
                    continue
                lead = len(line) - len(line.lstrip(" "))
                hang = _hanging_indent(line) if verbatim else lead
                parts = wrap_help(line.lstrip(" "), limit - lead, limit - hang)
                self.write(pad + " " * lead + parts[0] + "\n")
                for part in parts[1:]:
                    self.write(pad + " " * hang + part.lstrip(" ") + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first = min(max((width(r[0]) for r in rows), default=0), col_max)
        pad = " " * self.current_indent
        text_col = self.current_indent + first + col_spacing
        limit = max(self.width - text_col, 10)
        for term, definition in rows:
            if width(term) > first:
                self.write(pad + term + "\n")
                lines = wrap_help(definition, limit) if definition else []
                for line in lines:
                    self.write(" " * text_col + line + "\n")
                continue
            lines = wrap_help(definition, limit) if definition else [""]
            self.write(pad + term + " " * (first - width(term) + col_spacing) + lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * text_col + line + "\n")


class Context(click.Context):
    formatter_class = Formatter


def _long_name(param: click.Parameter) -> str:
    if param.name == "_click_default_help":
        return "help"
    names = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")] or list(param.opts)
    return names[0].lstrip("-")


def option_key(command: str, param: click.Parameter) -> str | None:
    """The catalogue key of an option's help: the command's own, else the shared one."""
    name = _long_name(param)
    for key in (f"help.{command}.{name}", f"help.opt.{name}"):
        if has(key):
            return key
    return None


_EXTRA = {"default": "help.extra.default", "required": "help.extra.required", "env var": "help.extra.envvar"}


def option_record(command: str, param: click.Option, ctx: click.Context) -> tuple[str, str] | None:
    """(option spec, help) as click prints them, in the current language."""
    if param.hidden:
        return None
    key = option_key(command, param)
    help_ = _joined(t(key).split("\n")) if key else (param.help or "")
    _, original = click.Option.get_help_record(param, ctx)
    extra = original[len(param.help or ""):].strip()      # "[default: dnf]", "[x>=1]", "[required]"
    if extra:
        extra = re.sub(r"(default|required|env var)(?=[:;\]])",
                       lambda m: t(_EXTRA[m[1]]), extra)
        help_ = f"{help_}  {extra}" if help_ else extra
    return metavars(param.get_help_spec(ctx)), help_


class LocalizedHelp:
    """Mixin for click.Command and click.Group: help texts from the catalogue."""

    context_class = Context

    def help_key(self) -> str:
        return f"help.{self.name if self.name != 'main' else 'carekb'}"

    def help_text(self) -> str:
        return t(self.help_key()) if has(self.help_key()) else (self.help or "")

    def get_short_help_str(self, limit: int = 45) -> str:
        first = paragraphs(self.help_text())
        return first[0][1][0].strip() if first else ""

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, metavars(" ".join(self.collect_usage_pieces(ctx))))

    def format_help_text(self, ctx, formatter) -> None:
        text = self.help_text()
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx, formatter) -> None:
        name = self.help_key().removeprefix("help.")
        rows = [r for p in self.get_params(ctx) if isinstance(p, click.Option)
                for r in [option_record(name, p, ctx)] if r]
        if rows:
            with formatter.section(t("help.heading.options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx, formatter) -> None:
        rows = [(n, self.commands[n].get_short_help_str()) for n in self.list_commands(ctx)
                if not self.commands[n].hidden]
        if rows:
            with formatter.section(t("help.heading.commands")):
                formatter.write_dl(rows)


class Command(LocalizedHelp, click.Command):
    pass


# click's own messages, by their gettext msgid (click marks every user-facing string with gettext):
# the catalogue's template in the current language, which click then fills in as it would its own.
_CLICK_MESSAGES = {
    "Missing command.": "help.click.missing_command",
    "Got unexpected extra argument ({args})": "help.click.extra_argument",
    "Got unexpected extra arguments ({args})": "help.click.extra_arguments",
    "Try '{command} {option}' for help.": "help.click.try_help",
    "Invalid value: {message}": "help.click.invalid_value",
    "Invalid value for {param_hint}: {message}": "help.click.invalid_value_for",
    "Missing argument": "help.click.missing_argument",
    "Missing option": "help.click.missing_option",
    "Missing parameter": "help.click.missing_parameter",
    "No such option {name!r}.": "help.click.no_such_option",
    "No such command {name!r}.": "help.click.no_such_command",
    "Did you mean {possibility}?": "help.click.did_you_mean",
    "(Did you mean one of: {possibilities}?)": "help.click.did_you_mean_one_of",
    "Option {name!r} requires an argument.": "help.click.requires_argument",
    "Option {name!r} requires {nargs} arguments.": "help.click.requires_arguments",
    "Option {name!r} does not take a value.": "help.click.takes_no_value",
    "{value!r} is not {choice}.": "help.click.not_choice",
    "{value!r} is not one of {choices}.": "help.click.not_one_of",
    "Choose from:\n\t{choices}": "help.click.choose_from",
    "{value!r} is not a valid {number_type}.": "help.click.not_a_number",
    "{value} is not in the range {range}.": "help.click.out_of_range",
    "{name} {filename!r} does not exist.": "help.click.does_not_exist",
    "{name} {filename!r} is a directory.": "help.click.is_a_directory",
    "{name} {filename!r} is a file.": "help.click.is_a_file",
    "{name} {filename!r} is not readable.": "help.click.not_readable",
    "{name} {filename!r} is not writable.": "help.click.not_writable",
    "Aborted!": "help.click.aborted",
}


def _click_gettext(message: str) -> str:
    key = _CLICK_MESSAGES.get(message)
    return catalogue()[key][current_lang()] if key else message


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return _click_gettext(singular if n == 1 else plural)


def install_click_messages() -> None:
    """Route click's gettext calls to the catalogue (click looks `_` and `ngettext` up in its modules'
    globals at call time, so replacing them there is enough; nothing else in the process changes)."""
    import click.core
    import click.exceptions
    import click.parser
    import click.types

    for module in (click.core, click.exceptions, click.parser, click.types):
        if hasattr(module, "_"):
            module._ = _click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _click_ngettext
