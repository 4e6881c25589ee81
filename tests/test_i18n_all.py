"""Every command on every example it takes, every --help, click's usage errors and the common bad
inputs, in Japanese and in English (issue 15).

Japanese output: no English sentence (the checker of tests/test_i18n.py, plus the ids this wider set
of commands prints: source codes, staff and guidance ids, the values an option accepts, names of
software and formats). English output: no Japanese, except proper names quoted from the Japanese
documents — office names, source and document titles, a pinpoint after §, a gloss in parentheses
after an English word ("pledges (誓約)") — and the values a user types (in `backticks`).

The report (`carekb report`) is Japanese only by design: it is checked in Japanese only. `export`
and `serve` print no text (RDF data, a server): only their --help is checked.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import fields, is_dataclass
from functools import lru_cache

import click
import pytest
import yaml
from click.testing import CliRunner

from carekb.app import api
from carekb.app.guidance import load_guidance
from carekb.app.sparql import library
from carekb.cli.help_layout import paragraphs, wrap_help
from carekb.cli.localized_help import option_key
from carekb.cli.main import main
from carekb.cli.sources_cmds import sources
from carekb.i18n import LANGS, catalogue
from carekb.inputs.profile.office import OFFICE_KEYS, TOP_KEYS
from carekb.render.width import width

from conftest import EXAMPLES, ROOT
from test_i18n import english_words

NOT_OFFICES = ("visit-", "roster-")
OFFICE_PROFILES = sorted(p.name for p in EXAMPLES.glob("*.yaml") if not p.name.startswith(NOT_OFFICES))
ROSTERS = sorted(p.name for p in EXAMPLES.glob("roster-*.yaml"))
GUIDANCE = sorted(p.name for p in EXAMPLES.glob("guidance-*.yaml"))
VISITS = sorted(p.name for p in EXAMPLES.glob("visit-*.yaml"))
QUERIES = sorted(library())
# names of software, file formats and protocols: proper names in either language
PRODUCTS = {"pySHACL", "pyoxigraph", "Oxigraph", "Fuseki", "GraphDB", "Excel", "Turtle", "Triples", "Quads",
            "Parquet", "pyarrow", "python-constraint", "Shift_JIS", "Bearer", "Authorization", "Ctrl-C",
            "Content-Type", "Accept", "SKOS", "SPARQL", "CONSTRUCT", "SERVICE", "HTTP", "JSON-LD", "N-Triples",
            "N-Quads", "README.md", "Chromium"}

JA_CHAR = r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff60\u3000-\u303f]"


def cli(args: list[str], lang: str):
    return CliRunner(env={"CAREKB_LANG": None}).invoke(main, [*args, *(["--lang", "en"] if lang == "en" else [])],
                                                       prog_name="carekb")


_IDS: dict[str, frozenset[str]] = {}


def known_ids(kb) -> frozenset[str]:
    """Words that are ids a user types or reads back: they are no language."""
    if kb.version in _IDS:
        return _IDS[kb.version]
    ids = set(PRODUCTS)
    for row in sources(kb):
        ids |= set(re.findall(r"[A-Za-z]+", row["code"] or ""))
    g = load_guidance()
    ids |= set(g.modalities) | set(g.categories) | set(getattr(g, "symptom_labels", {}))
    for k in kb.schemes.values() or [kb]:
        ids |= set(k.categories) | {t for tiers in k.tiers.values() for t in tiers}
    ids |= {"none", "YouTube", "metichannel", "Web"}   # a value profiles accept; names in guidance items
    ids |= set(TOP_KEYS) | set(OFFICE_KEYS)              # profile keys, as a message names them
    for scheme in ("shogai", "kaigo"):
        for s in api.staff(kb=kb, scheme=scheme).to_dict()["schemes"]:
            ids |= {c["id"] for c in s["concepts"]}
    for q in library().values():
        ids |= set(q.params)
    _IDS[kb.version] = frozenset(w for i in ids for w in re.split(r"[:/ ]", i) if w)
    return _IDS[kb.version]


def command_words(args: list[str]) -> set[str]:
    """Names a command's help shows as they are typed: commands, option names, the values its options
    accept ([table|json])."""
    cmd = main.commands.get(args[0]) if args and args[0] in main.commands else main
    out = {"carekb", *main.commands}
    for p in cmd.params:
        out |= {o.lstrip("-") for o in (*p.opts, *p.secondary_opts)}
        if isinstance(p.type, click.Choice):
            out |= {str(c) for c in p.type.choices}
    return out


def _strip_code(text: str) -> str:
    """What is typed rather than read: `backticked` values, example command lines, paths and URLs,
    KEY=VALUE, file extensions, comma-separated id lists, prefixes (ck:)."""
    text = re.sub(r"`[^`\n]*(\n[^`\n]*)?`", "", text)        # a value may wrap onto the next line
    lines = []
    for line in text.splitlines():
        if re.match(r"\s*(carekb|curl|-d|--data)\b", line):
            continue
        line = re.sub(r"\S*[/@]\S*", "", line)               # paths, URLs
        line = re.sub(r"\?\w+|\b[a-z]+:[\w.\-]+", "", line)    # SPARQL variables, prefixed names (kreq:tokurei.b)
        line = re.sub(r"[!-~]*[=,][!-~]*", "", line)            # KEY=VALUE, period,service,tier
        line = re.sub(r"\.[a-z]+(\|[a-z]+)*\b", "", line)     # file extensions (ファイル.csv|xlsx)
        line = re.sub(r"\b[a-z]+:(?=[、, ]|$)", "", line)      # prefixes (ck:、sg:)
        line = re.sub(r"\b[a-z_]+[.\-][\w.\-]+", "", line)    # profile keys and ids (office.region, cond.no-touch)
        line = re.sub(r"\b[a-z]+(_[a-z0-9]+)+\b", "", line)   # snake_case keys
        line = re.sub(r"(?<![\w-])[A-Z][A-Z0-9_]+\b(?![-.])", "", line)   # constants, environment variables
        lines.append(line)
    return "\n".join(lines)


def query_words(args: list[str]) -> set[str]:
    """A named query's own words (its variables and literals): the result's headers and values."""
    if args[:1] != ["sparql"]:
        return set()
    names = [args[args.index("-n") + 1]] if "-n" in args else list(library())   # --list: every query
    names = [n for n in names if n in library()]
    return set(library()) | {w for n in names
                             for w in re.findall(r"[A-Za-z]\w*", (ROOT / "queries" / f"{n}.rq").read_text(encoding="utf-8"))}


def japanese_leaks(text: str, kb, args: list[str]) -> list[str]:
    """English words in Japanese output that are neither ids nor values nor names (titles of sources
    written in English are names)."""
    allowed = known_ids(kb) | command_words(args) | query_words(args) | {"true", "false"}
    for title in sorted((r["title"] for r in sources(kb) if r["title"]), key=len, reverse=True):
        text = text.replace(title, "")
    return [w for w in english_words(_strip_code(text), kb) if w not in allowed and w.rstrip(".,") not in allowed]


@lru_cache(maxsize=1)
def proper_names() -> frozenset[str]:
    """Japanese names an English text quotes: offices of the examples, source and document titles."""
    names = set()
    for path in EXAMPLES.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict):
            names.add((data.get("office") or {}).get("name") or "")
            names |= {m.get("name") or "" for m in data.get("staff") or [] if isinstance(m, dict)}   # people
    with open(EXAMPLES / "batch" / "offices.csv", encoding="utf-8-sig") as f:
        names |= {row[1] for row in list(csv.reader(f))[1:] if len(row) > 1}
    doc = load_guidance().document or {}
    names.add(doc.get("title") or "")
    return frozenset(n for n in names if n)


def _walk(obj, seen: set, out: list) -> None:
    """Every Cited and Provision reachable from the KB (the citations a result may quote)."""
    if id(obj) in seen or isinstance(obj, (str, int, float, type(None))):
        return
    seen.add(id(obj))
    if isinstance(obj, dict):
        for v in obj.values():
            _walk(v, seen, out)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _walk(v, seen, out)
    elif is_dataclass(obj):
        kind = type(obj).__name__
        for f in fields(obj):
            v = getattr(obj, f.name)
            if kind in ("Cited", "Provision") and f.name != "note_ja":
                out += [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)] if isinstance(v, tuple) else []
            _walk(v, seen, out)


_QUOTED: dict[str, str] = {}


def quoted_japanese(kb) -> str:
    """Japanese an English text may quote, as one text: office names, source and document titles and
    pinpoints, notes quoting a source, and the workplace items (the KB has them in Japanese only,
    verbatim from the notices)."""
    if kb.version not in _QUOTED:
        texts: list[str] = [*proper_names()]
        texts += [r["title"] for lang in LANGS for r in sources(kb, lang) if r["title"]]
        _walk(kb, set(), texts)
        for k in kb.schemes.values() or [kb]:
            texts += [i.label_ja for items in k.items.values() for i in items.values()]
        g = load_guidance()
        texts += [i.source_text() for i in g.items] + [n.label_ja for i in g.items for n in i.notices]
        _QUOTED[kb.version] = "\n".join(texts)
    return _QUOTED[kb.version]


def english_leaks(text: str, kb) -> list[str]:
    """Japanese in English output that is not a quoted proper name (see the module doc)."""
    text = re.sub(r"`[^`\n]*(\n[^`\n]*)?`", "", text)
    text = "\n".join(ln for ln in text.splitlines() if not re.match(r"\s*carekb ", ln))   # example commands
    text = re.sub(r"§\S*", "", text)                                      # pinpoints in a Japanese document
    text = re.sub(r"(?<=[A-Za-z,])\s+\((?:[^()]*" + JA_CHAR + r"[^()]*)\)", "", text)   # glosses: pledges (誓約)
    quoted = quoted_japanese(kb)
    runs = re.findall(JA_CHAR + r"+(?:[^\x00-\x7f]*" + JA_CHAR + r")?", text)
    # names of other additions (特定事業所加算) are proper names of the law, without an English name
    return [r for r in runs if r.strip("「」") not in quoted and not re.fullmatch(JA_CHAR + r"+加算", r)]


def leaks(r, lang: str, kb, args: list[str]) -> list[str]:
    return japanese_leaks(r.output, kb, args) if lang == "ja" else english_leaks(r.output, kb)


# ---------------------------------------------------------------- every --help

HELP_CASES = [[]] + [[name] for name in main.commands]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", HELP_CASES, ids=lambda a: " ".join(a) or "carekb")
def test_help_speaks_one_language(args, lang, kb):
    r = cli([*args, "--help"], lang)
    assert r.exit_code == 0, r.output
    assert ("使い方:" if lang == "ja" else "Usage:") in r.output
    assert not leaks(r, lang, kb, args), (leaks(r, lang, kb, args), r.output)


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_help_language_from_anywhere_on_the_command_line(where):
    args = {"before": ["gap", "--lang", "en", "--help"], "after": ["gap", "--help", "--lang=en"],
            "env": ["gap", "--help"]}[where]
    r = CliRunner(env={"CAREKB_LANG": "en" if where == "env" else None}).invoke(main, args, prog_name="carekb")
    assert r.output.startswith("Usage: carekb gap [OPTIONS] PROFILE"), r.output
    assert CliRunner().invoke(main, ["--lang", "en", "--help"], prog_name="carekb").output.startswith("Usage: carekb [OPTIONS]")
    ja = CliRunner(env={"CAREKB_LANG": None}).invoke(main, ["gap", "--help"], prog_name="carekb").output
    assert ja.startswith("使い方: carekb gap [オプション] プロファイル"), ja
    # the group's --lang is the command's default: the whole run speaks English
    en = CliRunner(env={"CAREKB_LANG": None}).invoke(main, ["--lang", "en", "tiers", str(EXAMPLES / "r7-short-stay.yaml")])
    assert en.exit_code == 0 and "事業所" not in en.output and "Office" in en.output, en.output


def test_every_command_and_option_has_its_help_in_the_catalogue():
    missing = []
    for name, cmd in [("carekb", main), *main.commands.items()]:
        if f"help.{name}" not in catalogue():
            missing.append(f"help.{name}")
        ctx = click.Context(cmd, info_name=name)
        for p in cmd.get_params(ctx):
            if isinstance(p, click.Option) and not p.hidden and option_key(name, p) is None:
                missing.append(f"help.{name}.{p.opts[-1].lstrip('-')}")
            words = re.findall(r"(?<![\w-])[A-Z][A-Z_]*(?![A-Za-z_])", (p.metavar or "").replace("YYYY-MM-DD", ""))
            missing += [f"help.metavar.{w}" for w in words if f"help.metavar.{w}" not in catalogue() and w not in ("URL", "ID", "N")]
    assert not missing, missing


def test_no_help_text_in_the_code():
    """An option's help= or a command's docstring would never be shown (the catalogue's text is): a
    text written there instead of in messages-help.yaml would be lost, so there is none."""
    found = []
    for path in sorted((ROOT / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("option", "argument", "command", "group"):
                found += [f"{path.name}:{node.lineno} help=" for kw in node.keywords if kw.arg in ("help", "short_help")]
    assert not found, found


def test_help_wraps_japanese_by_its_rules():
    text = "区分ごとに、手間が最小となる取組の組み合わせ（要件ID、workplace.N、pledge.X）を示します。" * 3
    for limit in range(12, 60):
        lines = wrap_help(text, limit)
        assert "".join(lines) == text.replace(" ", "") or " ".join(lines).replace(" ", "") == text.replace(" ", "")
        assert all(width(ln) <= limit for ln in lines), (limit, lines)
        assert not any(ln[0] in "、。）」" for ln in lines), (limit, lines)   # 行頭禁則
        assert not any("workplace.N"[:k] == ln[-k:] for ln in lines for k in (3, 5)), lines   # words stay whole
    assert paragraphs("日本語の\n文です。\n\nAn English\nsentence.") == [(False, ["日本語の文です。"]),
                                                                        (False, ["An English sentence."])]
    assert paragraphs("例:\n  carekb gap x.yaml")[0] == (True, ["例:", "  carekb gap x.yaml"])


def test_version_in_either_language():
    assert cli(["--version"], "ja").output.startswith("carekb バージョン ")
    assert cli(["--version"], "en").output.startswith("carekb, version ")


def test_help_fits_80_columns_in_japanese():
    for args in HELP_CASES:
        out = CliRunner(env={"COLUMNS": "80"}).invoke(main, [*args, "--help"]).output
        wide = [ln for ln in out.splitlines() if width(ln) > 80 and not ln.lstrip().startswith(("carekb ", "curl ", "-d "))]
        assert not wide, (args, wide)


USAGE_ERRORS = {   # click's own errors: (arguments, Japanese, English)
    "missing argument": (["gap"], "次の引数がありません: 'プロファイル'", "Missing argument 'PROFILE'"),
    "bad choice": (["gap", "x.yaml", "--engine", "z"], "'--engine' の値が不正です: 'z' は使えません",
                   "Invalid value for '--engine': 'z' is not one of 'dnf', 'csp'"),
    "no such option": (["gap", "x.yaml", "--nope"], "'--nope' というオプションはありません。 '--no-pledge' のことですか",
                       "No such option '--nope'. Did you mean '--no-pledge'?"),
    "no such command": (["gapp"], "'gapp' というコマンドはありません。", "No such command 'gapp'."),
    "out of range": (["sparql", "--timeout", "0"], "0 は範囲外です（1<=x<=3600）", "0 is not in the range 1<=x<=3600"),
    "extra argument": (["gap", "a.yaml", "b.yaml"], "余分な引数があります（b.yaml）", "Got unexpected extra argument (b.yaml)"),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_speak_one_language(case, lang):
    args, ja, en = USAGE_ERRORS[case]
    r = CliRunner(env={"CAREKB_LANG": None}).invoke(main, [*args, *(["--lang", "en"] if lang == "en" else [])],
                                                   prog_name="carekb")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    assert (ja if lang == "ja" else en) in r.output, r.output


# ---------------------------------------------------------------- every command on every example

def _office_cases() -> list[list[str]]:
    cases = []
    for name in OFFICE_PROFILES:
        path = f"examples/{name}"
        cases += [["gap", path], ["gap", path, "--no-pledge"], ["tiers", path], ["plan", path],
                  ["explain", path, "@top"], ["explain", path, "@top", "--full"], ["whatif", path, "@add"],
                  ["whatif", path, "@compare"], ["validate", path]]
    return cases


def _kb_cases() -> list[list[str]]:
    cases = [["requirements", "--period", p, "--scheme", s] for s in ("shogai", "kaigo") for p in ("R6", "R7", "R8")]
    cases += [["requirements", "--period", "OLD"], ["requirements", "--period", "R8", "--with-text"],
              ["services", "--scheme", "shogai"], ["services", "--scheme", "kaigo"], ["sources"],
              ["staff"], ["staff", "--scheme", "kaigo"], ["guidance", "--category", "all"],
              ["guidance", "--service", "day-care"], ["sparql", "--list"],
              ["init", "生活介護", "--as-of", "2026-07-01"], ["init", "訪問介護", "--as-of", "2026-07-01"]]
    cases += [["services", "--unknown-rates"], ["validate", "--kb"], ["batch", "--template", "@tmp/template.xlsx"],
              ["report", "examples/r7-after-school-day.yaml", "-o", "@tmp/report.html"],
              ["init", "生活介護", "--as-of", "2026-07-01", "-o", "@tmp/office.yaml"]]   # what they say on writing
    cases += [["staff", f"examples/{n}"] for n in ROSTERS]
    cases += [["guidance", f"examples/{n}"] for n in GUIDANCE]
    cases += [["visit", f"examples/{n}"] for n in VISITS]
    cases += [["sparql", "-n", q, "--with", "examples/"] for q in QUERIES]
    return cases


CASES = _office_cases() + _kb_cases()


def _resolve(args: list[str]) -> list[str]:
    """@top: the office's highest-ranked tier; @add: --add the first missing action of its gap (or
    --set as_of to the same date when the office is at the top); @compare: --compare-periods R7,R8
    where the office's service has tiers under both and its items carry over, else its own period."""
    if "@compare" in args:
        period = json.loads(cli(["tiers", args[1], "--format", "json"], "ja").output)["period"]
        both = [*args[:-1], "--compare-periods", "R7,R8"]
        if period in ("R7", "R8") and cli(both, "ja").exit_code == 0:
            return both
        return [*args[:-1], "--compare-periods", period]
    if "@top" in args:
        tiers = json.loads(cli(["tiers", args[1], "--format", "json"], "ja").output)["tiers"]
        return [tiers[0]["tier"] if a == "@top" else a for a in args]
    if "@add" in args:
        gap = json.loads(cli(["gap", args[1], "--format", "json"], "ja").output)
        actions = [a["id"] for t in gap["targets"] for a in t.get("actions", [])]
        extra = ["--add", actions[0]] if actions else ["--set", f"as_of={gap['as_of']}"]
        return [a for a in args if a != "@add"] + extra
    return args


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(x.removeprefix("examples/") for x in a))
def test_every_command_on_every_example_speaks_one_language(args, lang, kb, tmp_path):
    args = [str(tmp_path / a.removeprefix("@tmp/")) if a.startswith("@tmp/") else a for a in _resolve(args)]
    r = cli(args, lang)
    assert r.exit_code == 0, r.output
    found = leaks(r, lang, kb, args)
    assert not found, (found, r.output)


ERROR_CASES = [   # bad input a user types: one line in the chosen language (the "carekb: error:" tag is fixed)
    ["gap", "examples/missing.yaml"], ["gap", "@bad_yaml"], ["explain", "examples/r7-after-school-day.yaml", "Ⅸ"],
    ["requirements", "--period", "R9"], ["staff", "--scheme", "foo"], ["batch"], ["validate"], ["guidance"],
    ["init", "存在しない"], ["sparql", "-n", "nope"],
    ["plan", "examples/r7-after-school-day.yaml", "--effort", "examples/missing.csv"],
    ["whatif", "examples/r7-after-school-day.yaml", "--set", "foo=1"],
    ["whatif", "examples/r6-employment-b-v-tier.yaml", "--compare-periods", "R7,R8"],
    ["whatif", "examples/r8-consult-plan.yaml", "--compare-periods", "R7,R8"],
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", ERROR_CASES, ids=lambda a: " ".join(x.removeprefix("examples/") for x in a))
def test_errors_speak_one_language(args, lang, kb, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("office: [\n", encoding="utf-8")
    args = [str(bad) if a == "@bad_yaml" else a for a in args]
    r = cli(args, lang)
    assert r.exit_code == 2, r.output
    text = re.sub(r"'[^'\n]*'", "", r.output.replace("carekb: error:", "").replace(str(bad), ""))   # values echoed back
    found = japanese_leaks(text, kb, args) if lang == "ja" else english_leaks(text, kb)
    assert not found, (found, r.output)


@pytest.mark.parametrize("lang", LANGS)
def test_batch_speaks_one_language(lang, kb, tmp_path):
    out = tmp_path / "result.csv"
    r = cli(["batch", str(EXAMPLES / "batch" / "offices.csv"), "--out", str(out), "--workers", "1"], lang)
    assert r.exit_code in (0, 1), r.output
    texts = [r.output] + [p.read_text(encoding="utf-8-sig") for p in sorted(tmp_path.glob("*.csv"))]
    found = [w for text in texts for w in (japanese_leaks(text, kb, ["batch"]) if lang == "ja" else english_leaks(text, kb))]
    assert not found, (found, texts)


def test_the_report_is_japanese(kb, tmp_path):
    out = tmp_path / "r.html"
    r = cli(["report", *[str(EXAMPLES / n) for n in OFFICE_PROFILES], "-o", str(out)], "ja")
    assert r.exit_code == 0, r.output
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", out.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", text)
    assert not japanese_leaks(text, kb, ["report"]), japanese_leaks(text, kb, ["report"])

