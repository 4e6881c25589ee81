"""click's own messages (usage errors: missing argument, bad choice, no such option …) from the catalogue.

click marks every user-facing string with gettext (`_()` / `ngettext()`); instead of compiled .mo files
(and a process-wide textdomain), the msgids below map to keys of carekb/i18n/messages-help.yaml, read
in the current language at the moment click builds the message."""

from __future__ import annotations

from carekb.i18n import catalogue, current_lang

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
