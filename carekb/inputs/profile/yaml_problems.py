"""PyYAML's syntax problems in the user's language: the library speaks English only, so the common
problems a hand-edited profile hits are matched here and said through the catalogue (err.yaml.p.*);
any other problem is shown as PyYAML words it (English is not lost, only untranslated)."""

from __future__ import annotations

import re

from carekb.i18n import current_lang, has, t

# PyYAML's problem texts (yaml/scanner.py, parser.py, composer.py) -> catalogue key; `got` is the token quoted
_PROBLEMS = [
    (re.compile(r"expected the node content, but found (?P<got>.+)"), "err.yaml.p.node_content"),
    (re.compile(r"mapping values are not allowed here"), "err.yaml.p.mapping_values"),
    (re.compile(r"could not find expected ':'"), "err.yaml.p.no_colon"),
    (re.compile(r"found character (?P<got>.+) that cannot start any token"), "err.yaml.p.bad_start"),
    (re.compile(r"expected <block end>, but found (?P<got>.+)"), "err.yaml.p.block_end"),
    (re.compile(r"expected ',' or '(?P<close>[\]}])', but got (?P<got>.+)"), "err.yaml.p.flow_end"),
    (re.compile(r"found unexpected end of stream"), "err.yaml.p.end_of_stream"),
    (re.compile(r"found undefined alias (?P<got>.+)"), "err.yaml.p.undefined_alias"),
    (re.compile(r"sequence entries are not allowed here"), "err.yaml.p.sequence_entries"),
    (re.compile(r"found unknown escape character (?P<got>.+)"), "err.yaml.p.escape"),
    (re.compile(r"invalid indentation or unclosed '\[' or '\{'"), "err.yaml.p.indentation"),
    (re.compile(r"expected a single document in the stream"), "err.yaml.p.one_document"),
]


def yaml_problem(problem: str, lang: str | None = None) -> str:
    """`problem` (one line from PyYAML) in `lang` (default: the current language)."""
    lang = lang or current_lang()
    if lang == "en":
        return problem
    for pattern, key in _PROBLEMS:
        m = pattern.fullmatch(problem)
        if m:
            if m.groupdict().get("got") == "'<stream end>'" and has(key + ".eof"):   # the file ended: said as such
                key += ".eof"
            return t(key, lang, **m.groupdict())
    return problem
