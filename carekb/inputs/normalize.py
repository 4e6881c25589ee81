"""Values as people write them, read the same way everywhere: profiles (YAML, JSON, Turtle), batch
cells, --set/--add, --target, TIER and the API all pass through here.

Each reader returns the canonical value or raises CarekbError (in the current message language)
naming `source` and `where`. Names (tiers, requirements, services, categories) are matched against
the labels the KB gives them, never against lists kept in code; a name that fits several things is an
error that lists the candidates. What a parser would read silently but wrongly is refused: 20250701
as a date, 1:30 (YAML's base-60 90), 0x10, 010 (YAML's octal 8), "²" (a digit to str.isdigit() but
not to int()), and numbers too long to be real (int() refuses more than 4,300 digits anyway).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from carekb.i18n import t
from carekb.model.errors import CarekbError

MAX_DIGITS = 15                   # no count, unit total or yen amount of an office comes near 10^15
MAX_LIST_ITEMS = 50_000           # items in all the lists of one profile (rosters included)

YES = frozenset({"true", "yes", "y", "はい", "○", "〇", "◯", "有", "あり", "済", "✓"})
NO = frozenset({"false", "no", "n", "いいえ", "×", "✕", "✗", "無", "なし", "未"})
NONE_WORDS = frozenset({"none", "なし", "無", "-", "ー", "−", "0"})

_ASCII_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")
_LIST_SPLIT = re.compile(r"[\s,、;]+")


def _nfkc(s: str) -> str:
    """Full-width letters, digits and punctuation as ASCII; Ⅱ as II; ① as 1 (so test circled first)."""
    return unicodedata.normalize("NFKC", s).strip()


def odd_digits(s: str) -> bool:
    """Whether `s` holds digits that are neither ASCII, full-width nor circled: "²" and "½" are digits
    to str.isdigit() and NFKC turns them into "2", but nobody writes 2級地 as ²級地."""
    return any(c.isdigit() and not ("0" <= c <= "9" or "０" <= c <= "９") and circled(c) is None for c in str(s))


def _err(key: str, source, where, **kw) -> CarekbError:
    e = CarekbError(t(key, **kw), source, where)
    e.kind = key    # which message: a caller may treat an ambiguous name differently from an unknown one
    return e


# --------------------------------------------------------------------------- text and numbers

def text(v, source=None, where=None) -> str:
    """A string that can be written out again: no lone surrogates (JSON "\\ud800")."""
    s = str(v)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _err("norm.bad_character", source, where, char=repr(s[e.start])[1:-1]) from None
    return s


def check_strings(data, source=None, where: str = "") -> None:
    """Every key and string in a parsed document is valid text (see `text`)."""
    todo, seen = [(data, where)], set()
    while todo:
        v, path = todo.pop()
        if isinstance(v, (dict, list)):
            if id(v) in seen:   # YAML aliases share one object: a "billion laughs" document is walked once
                continue
            seen.add(id(v))
        if isinstance(v, str):
            text(v, source, path or None)
        elif isinstance(v, dict):
            for k, x in v.items():
                sub = f"{path}.{k}" if path else str(k)
                if isinstance(k, str):
                    text(k, source, path or None)
                todo.append((x, sub))
        elif isinstance(v, list):
            todo.extend((x, path) for x in v)


def check_size(text_: str, source=None) -> None:
    """Refuse a document with more list items than any profile has, before parsing it: PyYAML
    needs minutes and most of a gigabyte for a million items. Counts separators, so it errs high."""
    n = text_.count(",") + text_.count("\n-") + text_.count("\n -") + text_.count("\n  -")
    if n > MAX_LIST_ITEMS:
        raise _err("norm.too_many_items", source, None, n=f"{n:,}", max=f"{MAX_LIST_ITEMS:,}")


def digits_to_int(s: str, source=None, where=None, shown=None) -> int:
    """int() of ASCII digits, refusing what int() would choke on (too long for a real figure)."""
    if len(s) > MAX_DIGITS:
        raise _err("norm.too_long", source, where, got=(shown or s)[:20] + "…", max=MAX_DIGITS)
    return int(s)


def whole(v, source=None, where=None, lo: int = 0, hi: int | None = None) -> int:
    """A whole number: 12, "12", "１２", "4,500,000"; not 3.5, "0x10", "²", "1:30" or True."""
    if isinstance(v, bool) or not isinstance(v, (int, str, float)):
        raise _err("norm.expected_whole", source, where, got=_show(v))
    if isinstance(v, float):
        if not v.is_integer():
            raise _err("norm.expected_whole", source, where, got=_show(v))
        v = int(v)
    if isinstance(v, str):
        n = _number_text(v)
        if n is None:
            raise _err(_why_not_number(v), source, where, got=_show(v))
        v = digits_to_int(n, source, where, v)
    if v < lo or (hi is not None and v > hi):
        raise _err("norm.out_of_range", source, where, got=v, lo=lo, hi=hi if hi is not None else "")
    return v


def _number_text(s: str) -> str | None:
    """The ASCII digits of "１２", "4,500,000", "12人"; None if it is not plainly a whole number."""
    raw = s.strip()
    # only ASCII or full-width digits and commas: NFKC would also turn "²" and "①" into digits
    if not raw or any(not ("0" <= c <= "9" or "０" <= c <= "９" or c in ",，") for c in raw.rstrip("人名件")):
        return None
    n = _nfkc(raw).rstrip("人名件").replace("，", ",")
    if _ASCII_DIGITS.fullmatch(n):
        return n
    if _GROUPED.fullmatch(n):
        return n.replace(",", "")
    return None


def _why_not_number(s: str) -> str:
    n = _nfkc(s).lower()
    if re.fullmatch(r"0[xob][0-9a-f_]+", n):
        return "norm.prefixed_number"
    if re.fullmatch(r"[0-9]+(:[0-5]?[0-9])+", n):
        return "norm.sexagesimal"
    return "norm.expected_whole"


def money(v, source=None, where=None, hi: int | None = None) -> int:
    """Yen: 4500000, "4,500,000", "4,500,000円", "450万円", "４５０万円", "450万", "1億2000万円"."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return whole(v, source, where, 0, hi)
    if not isinstance(v, str):
        raise _err("norm.expected_yen", source, where, got=_show(v))
    s = _nfkc(v).replace(",", "").replace(" ", "").removesuffix("円")
    m = re.fullmatch(r"(?:([0-9]+(?:\.[0-9]+)?)億)?(?:([0-9]+(?:\.[0-9]+)?)万)?([0-9]+)?", s)
    if not s or not m or not any(m.groups()) or (m[3] and (m[1] or m[2]) and len(m[3]) > 4):
        raise _err("norm.expected_yen", source, where, got=_show(v))
    if any(g and len(g) > MAX_DIGITS for g in m.groups()):
        raise _err("norm.too_long", source, where, got=v[:20] + "…", max=MAX_DIGITS)
    try:
        total = (Decimal(m[1] or 0) * 100_000_000 + Decimal(m[2] or 0) * 10_000 + Decimal(m[3] or 0))
    except InvalidOperation:
        raise _err("norm.expected_yen", source, where, got=_show(v)) from None
    if total != total.to_integral_value():
        raise _err("norm.expected_yen", source, where, got=_show(v))
    return whole(int(total), source, where, 0, hi)


def yes_no(v, source=None, where=None) -> bool:
    """true/false, はい/いいえ, ○/×, あり/なし, yes/no."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = _nfkc(v).lower()
        if s in YES:
            return True
        if s in NO:
            return False
    raise _err("norm.expected_yes_no", source, where, got=_show(v))


# --------------------------------------------------------------------------- item numbers

def circled(ch: str) -> int | None:
    """① → 1, ㉒ → 22, ㊿ → 50; None for any other character."""
    if len(ch) == 1 and unicodedata.name(ch, "").startswith(("CIRCLED DIGIT", "CIRCLED NUMBER")):
        return int(_nfkc(ch))
    return None


def item_number(v, source=None, where=None) -> int:
    """One item number: 22, "22", "２２", "㉒", "(22)"."""
    if isinstance(v, str):
        s = v.strip()
        if circled(s) is not None:
            return circled(s)
        s = _nfkc(s).strip("()")
        if _ASCII_DIGITS.fullmatch(s):
            return digits_to_int(s, source, where, v)
    elif isinstance(v, int) and not isinstance(v, bool):
        return v
    raise _err("norm.expected_item", source, where, got=_show(v))


def item_numbers(v, source=None, where=None) -> list[int]:
    """Item numbers from a list or one cell: [1, 3], "1 3 18", "1、3、18", "①⑤⑨⑭" (circled, run together)."""
    if v is None:
        return []
    parts = v if isinstance(v, list) else [v]
    out: list[int] = []
    for p in parts:
        if isinstance(p, str):
            for word in _LIST_SPLIT.split(p.strip()):
                if word and all(circled(c) is not None for c in word):
                    out.extend(circled(c) for c in word)
                elif word:
                    out.append(item_number(word, source, where))
        else:
            out.append(item_number(p, source, where))
    return out


def words(v) -> list[str]:
    """A list of ids from a list or one cell ("cp1.1 cp1.2", "見える化要件、cp4")."""
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x).strip() for x in v]
    return [w for w in _LIST_SPLIT.split(str(v).strip()) if w]


# --------------------------------------------------------------------------- names from the KB

def name_key(s: str) -> str:
    """How two spellings of a name are compared: NFKC, lower case, no spaces, brackets or middle dots."""
    return re.sub(r"[\s()（）「」・･_\-]", "", _nfkc(str(s)).lower())


class Names:
    """The spellings of a set of named things, compared by `name_key` once (not on every lookup)."""

    def __init__(self, forms: dict[str, list[str]]):
        self.ids = list(forms)
        self.id_set = set(self.ids)
        self.keys = [(name_key(f), i) for i, fs in forms.items() for f in fs]
        self.exact: dict[str, set[str]] = {}
        for k, i in self.keys:
            self.exact.setdefault(k, set()).add(i)


_names_cache: dict[tuple, Names] = {}


def names_of(kb, kind: str, build) -> Names:
    """The Names of one kind (requirements, services, ...) of a KB, built once per KB."""
    key = (id(kb), getattr(kb, "version", ""), kind)
    if key not in _names_cache:
        if len(_names_cache) > 64:
            _names_cache.clear()
        _names_cache[key] = Names(build())
    return _names_cache[key]


def pick(value: str, forms, what: str, source=None, where=None,
         display=None, allow_prefix: bool = True) -> str:
    """The one id whose forms (labels, short forms) match `value`; an error listing the candidates
    when several match, or naming what is known when none does. `forms`: {id: [spellings]} or Names;
    `display(id)` shows a candidate."""
    names = forms if isinstance(forms, Names) else Names(forms)
    display = display or (lambda i: i)
    if value in names.id_set:
        return value
    key = name_key(value)
    if not key:
        raise _err("norm.unknown_name", source, where, what=what, got=_show(value), known="")
    exact = sorted(names.exact.get(key, ()))
    if len(exact) == 1:
        return exact[0]
    found = exact
    if not found and allow_prefix and len(key) >= 2:
        found = sorted({i for k, i in names.keys if k.startswith(key)})
        if len(found) == 1:
            return found[0]
    if len(found) > 1:
        raise _err("norm.ambiguous", source, where, what=what, got=_show(value),
                   candidates=t("norm.sep").join(display(i) for i in found))
    known = t("norm.sep").join(names.ids[:12]) + ("…" if len(names.ids) > 12 else "")
    raise _err("norm.unknown_name", source, where, what=what, got=_show(value), known=known)


def _short_forms(label: str) -> list[str]:
    """A label and its usual short forms: without the bracketed part, without a trailing 要件/加算."""
    out = [label]
    bare = re.sub(r"[（(][^）)]*[）)]", "", label).strip()
    out.append(bare)
    arabic = bare.translate(str.maketrans("ⅠⅡⅢⅣⅤ", "12345"))   # キャリアパス要件Ⅰ as キャリアパス要件1
    if arabic != bare:
        out.append(arabic)
    for suffix in ("要件", "加算"):
        if bare.endswith(suffix) and len(bare) > len(suffix) + 1:
            out.append(bare[: -len(suffix)])
    return out


def requirement_forms(kb, atoms_only: bool = False) -> dict[str, list[str]]:
    return {r.id: [r.id, *_short_forms(r.label_ja), r.label_en] for r in kb.requirements.values()
            if not (atoms_only and r.composite)}


def requirement(kb, value, source=None, where=None, atoms_only: bool = False) -> str:
    """A requirement id from its id, Japanese or English label or a short form (見える化要件, 見える化)."""
    forms = names_of(kb, f"requirements{atoms_only}", lambda: requirement_forms(kb, atoms_only))
    return pick(text(value, source, where).strip(), forms, t("norm.what_requirement"), source, where,
                display=lambda i: f"{i}（{kb.requirements[i].label_ja}）", allow_prefix=True)


def service(kb, value, source=None, where=None) -> str:
    """A service id from its id, Japanese or English name, or a unique part of the name (B型 is not unique)."""
    forms = {s.id: [s.id, s.label_ja, s.label_en, *s.alt_labels] for s in kb.services.values()}
    s = text(value, source, where).strip()
    try:
        return pick(s, names_of(kb, "services", lambda: forms), t("norm.what_service"), source, where,
                    display=lambda i: kb.services[i].label_ja)
    except CarekbError:
        key = name_key(s)
        inside = sorted(i for i, fs in forms.items() if len(key) >= 2 and any(key in name_key(f) for f in fs[1:]))
        if len(inside) == 1:
            return inside[0]
        if len(inside) > 1:
            raise _err("norm.ambiguous", source, where, what=t("norm.what_service"), got=_show(s),
                       candidates=t("norm.sep").join(kb.services[i].label_ja for i in inside)) from None
        raise _err("norm.unknown_service", source, where, got=_show(s)) from None


def action(kb, value, source=None, where=None) -> str:
    """An action id: a requirement atom (by id or name), workplace.N (N also ㉒ or ２２), pledge.X."""
    if odd_digits(str(value)):
        raise _err("norm.expected_item", source, where, got=_show(value))
    s = _nfkc(text(value, source, where)) if not any(circled(c) for c in str(value)) else str(value).strip()
    kind, dot, rest = s.partition(".")
    if dot and kind.lower() == "workplace":
        return f"workplace.{item_number(rest, source, where)}"
    if dot and kind.lower() == "pledge":
        pledges = {p.id: [p.id, *(_short_forms(kb.requirements[p.id].label_ja) if p.id in kb.requirements else [])]
                   for rules in kb.pledges.values() for p in rules}
        return "pledge." + pick(rest, pledges, t("norm.what_pledge"), source, where)
    circled_item = circled(s) if len(s) == 1 else None
    if circled_item is not None:
        return f"workplace.{circled_item}"
    return requirement(kb, str(value).strip(), source, where, atoms_only=True)


# --------------------------------------------------------------------------- tiers

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_ROMAN_OF = {v: k for k, v in ROMAN.items()}
_TIER = re.compile(r"(?:tier)?\(?(?P<n>iv|v|i{1,3}|[1-5])\)?(?:\(?(?P<sub>[0-9]{1,2})\)?)?"
                   r"(?:(?P<kana>イ|ロ)|[-_](?P<romaji>i|ro))?")


def tier_parts(value: str) -> tuple[str, str | None, str] | None:
    """(roman base, number in brackets or None, イ/ロ suffix as i/ro or "") of a tier as written
    (Ⅱロ, ii-ro, 2ロ, II-ro, Ⅴ(3), V3, 5(3)); None when it is not written as a tier."""
    s = re.sub(r"\s", "", _nfkc(value)).lower()
    s = s.removeprefix("福祉・介護職員等処遇改善加算").removeprefix("処遇改善加算").removeprefix("区分")
    s = s.replace("（", "(").replace("）", ")")
    m = _TIER.fullmatch(s)
    if not m:
        return None
    n = m["n"].upper()
    base = _ROMAN_OF[int(n)] if n.isdigit() else n
    suffix = {"イ": "i", "ロ": "ro"}.get(m["kana"] or "", m["romaji"] or "")
    return base, m["sub"], suffix


def tier(value, tiers: dict, source=None, where=None, display=None, all_tiers: dict | None = None) -> str:
    """The id of a tier among `tiers` (id -> Tier: the office's service in the period) as written by a
    person. An unsuffixed base with both イ and ロ tiers (R8 Ⅱ) is ambiguous: the error lists both.
    `all_tiers`: the period's tiers, to say "not available to this service" rather than "unknown"."""
    display = display or (lambda i: i)
    s = text(value, source, where).strip()
    if s in tiers:
        return s
    parts = tier_parts(s)
    if parts:
        base, sub, suffix = parts
        ids = [f"{base}{sub}" if sub else base]
        if suffix:
            ids = [f"{ids[0]}-{suffix}"]
        found = [i for i in tiers if i.lower() in {x.lower() for x in ids}]
        if not found and not suffix:
            found = [i for i in tiers if re.fullmatch(re.escape(ids[0]) + (r"-(i|ro)" if sub else r"(-(i|ro)|[0-9]+)"), i, re.I)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise _err("norm.ambiguous", source, where, what=t("norm.what_tier"), got=_show(s),
                       candidates=t("norm.sep").join(display(i) for i in found))
        if all_tiers:
            other = [i for i in all_tiers if i.lower() in {x.lower() for x in ids}]
            if other:
                raise _err("norm.tier_not_for_service", source, where, got=_show(s),
                           known=t("norm.sep").join(display(i) for i in tiers))
    # not written as a tier number: a label or display name (相談支援, 処遇Ⅰ+特定Ⅰ+ベア, the full name)
    key = name_key(s)
    named = [tid for tid, tr in tiers.items() if key in {name_key(f) for f in (tr.label_ja, tr.label_en, display(tid))}]
    if len(named) == 1:
        return named[0]
    raise _err("norm.unknown_tier", source, where, got=_show(s), known=t("norm.sep").join(display(i) for i in tiers))


def history_tier(v, allowed: tuple[int, ...], source=None, where=None) -> int:
    """A tier of an old addition held in May 2024: 1, "1", "Ⅰ", "I", "１"; 0 for none/なし/0/false."""
    if v is None or v is False or (isinstance(v, str) and _nfkc(v).lower() in NONE_WORDS) or v == 0:
        return 0
    n = None
    if isinstance(v, int) and not isinstance(v, bool):
        n = v
    elif isinstance(v, str) and not odd_digits(v):
        s = _nfkc(v).upper().strip("()")
        n = ROMAN.get(s) or (int(s) if _ASCII_DIGITS.fullmatch(s) and len(s) < 3 else None)
    if n not in allowed:
        raise _err("norm.expected_history_tier", source, where, allowed=", ".join(map(str, allowed)), got=_show(v))
    return n


def _show(v) -> str:
    """A value quoted in a message, cut short (a bad value may be megabytes)."""
    s = repr(v) if not isinstance(v, str) else "'" + v.encode("utf-8", "backslashreplace").decode() + "'"
    return s if len(s) <= 60 else s[:57] + "…"


# --------------------------------------------------------------------------- YAML and JSON scalars

def yaml_int(text_: str, source=None, where=None) -> int:
    """A YAML 1.1 integer as written: decimal only. YAML would read 0x10 as 16, 010 as 8, 0b11 as 3
    and 1:30 as 90 (base 60); each is refused here with what it would have meant."""
    s = text_.strip()
    if re.fullmatch(r"[-+]?(0|[1-9][0-9_]*)", s):
        digits = s.lstrip("+-").replace("_", "")
        value = digits_to_int(digits, source, where, s)
        return -value if s.startswith("-") else value
    if ":" in s:
        raise _err("norm.sexagesimal", source, where, got=_show(s))
    if re.fullmatch(r"[-+]?0[0-7_]+", s):
        raise _err("norm.leading_zero", source, where, got=_show(s))
    raise _err("norm.prefixed_number", source, where, got=_show(s))


def json_int(text_: str, source=None) -> int:
    """A JSON integer, refusing one too long to be a real figure (int() gives up at 4,300 digits)."""
    return -digits_to_int(text_[1:], source) if text_.startswith("-") else digits_to_int(text_, source)


def yaml_value(raw: str, source=None, where=None):
    """One value written as YAML on a command line (--set KEY=VALUE), read with the profile's rules:
    decimal integers only, no base-60 1:30, an impossible date left as text for the date check."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct_int(loader, node):
        return yaml_int(node.value, source, where)

    def construct_float(loader, node):
        if ":" in node.value:
            raise _err("norm.sexagesimal", source, where, got=_show(node.value))
        return yaml.SafeLoader.construct_yaml_float(loader, node)

    def construct_timestamp(loader, node):
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:
            return node.value

    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    return yaml.load(raw, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
