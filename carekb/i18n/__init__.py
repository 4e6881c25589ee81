"""The message catalogue: every user-facing sentence, in Japanese (the default) and English.

Format: YAML files (messages.yaml, and messages-AREA.yaml per area of the program: help texts,
rule rendering, ...) with `key: {ja: ..., en: ...}` entries, formatted with str.format; a key
defined in two files is an error. Chosen over gettext .po files because Japanese is the primary language here (gettext keys
messages by their English text and needs a compile step at build time), both languages of a key
sit side by side for review, and PyYAML is already a dependency.

The language is per context (a ContextVar): the CLI sets it from --lang before a command runs and
the web API per request, so an error raised deep in the library speaks the user's language.
"""

from __future__ import annotations

import contextvars
import os
from functools import lru_cache
from pathlib import Path

LANGS = ("ja", "en")


def default_lang() -> str:
    """CAREKB_LANG=en makes English the default of every command (--lang still wins); else Japanese."""
    lang = os.environ.get("CAREKB_LANG", "").strip().lower()
    return lang if lang in LANGS else "ja"


# the default follows CAREKB_LANG: a process that never calls set_lang (python -m carekb.web) speaks it too
_LANG: contextvars.ContextVar[str] = contextvars.ContextVar("carekb_lang", default=default_lang())


def set_lang(lang: str | None) -> None:
    """Use this language for messages from now on (in this context); None: the default language."""
    _LANG.set(lang if lang in LANGS else default_lang())


def current_lang() -> str:
    return _LANG.get()


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    import yaml

    # libyaml's loader when PyYAML has it: the pure-Python one takes ~0.2 s of every command's start
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: dict[str, dict[str, str]] = {}
    for path in sorted(Path(__file__).parent.glob("messages*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        twice = sorted(set(data) & set(out))
        if twice:
            raise ValueError(f"{path.name}: message keys defined twice: {', '.join(twice)}")
        out.update(data)
    return out


def t(key: str, lang: str | None = None, /, **params) -> str:
    """The message `key` in `lang` (default: the current language), with `params` filled in."""
    entry = catalogue()[key]
    return entry[lang or current_lang()].format(**params)


def has(key: str) -> bool:
    return key in catalogue()
