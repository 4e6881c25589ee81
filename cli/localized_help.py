"""`--help` in the user's language: every command's and option's text, and click's own words
(Usage:, Options:, [default: …]), come from the catalogue (carekb/i18n/messages-help.yaml).

Keys: `help.<command>` (the group is `help.carekb`), `help.<command>.<option>` (the option's long
name without dashes), else `help.opt.<option>` for the options many commands share, and
`help.metavar.<WORD>` for the placeholders (PROFILE → プロファイル). A text's first paragraph is the
command's summary in `carekb --help`; paragraphs are laid out by cli/help_layout.py (display columns,
Japanese line breaking). click's own usage errors: cli/click_messages.py.

The language is read from the whole command line before click parses it (cli/group.py), because
click handles --help as soon as it meets it, before a later --lang.
"""

from __future__ import annotations

import re

import click

from carekb.cli.help_layout import hanging_indent, is_command_line, joined, paragraphs, wrap_help
from carekb.i18n import has, t
from carekb.render.width import width

_PLACEHOLDER = re.compile(r"(?<![\w-])[A-Z][A-Z_]*(?![A-Za-z_])")


def metavars(text: str) -> str:
    """Placeholders in a usage line or option spec in the current language (PROFILE → プロファイル)."""
    text = text.replace("INTEGER RANGE", "INTEGER")     # click's name for an IntRange without a metavar
    return _PLACEHOLDER.sub(lambda m: t(f"help.metavar.{m[0]}") if has(f"help.metavar.{m[0]}") else m[0], text)


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
                if verbatim and (width(line) <= limit or is_command_line(line)):
                    self.write(pad + line + "\n")
                    continue
                lead = len(line) - len(line.lstrip(" "))
                hang = hanging_indent(line) if verbatim else lead
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
    help_ = joined(t(key).split("\n")) if key else (param.help or "")
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
