"""Rule expressions of the KB (carekb/model/types.py) in words, for `carekb requirements`:
「Ⅲの要件に加えて、改善後の年額賃金要件、見える化要件と職場環境等要件（各区分2項目以上・…）」.

Requirements are named by their KB labels, workplace counting rules by their numbers, office
conditions (May-2024 history, dates, service groups, …) as clauses; `any` reads 「AまたはB」, `all`
「A、BとC」, nesting in 「（…）」.  A tier that contains a lower tier's requirements is said as
「Ⅲの要件に加えて、…」, whether the KB names that tier or spells its requirements out.

With a service, what the service alone decides is settled first: its groups' conditions, the
requirements that do not apply to it (cp5 where career path V does not apply), and references to
tiers it does not have, which are spelled out.  Every phrase comes from the message catalogue
(carekb/i18n/messages-rules.yaml)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from carekb.app.report import short_tier
from carekb.i18n import t
from carekb.model.types import CONDITION_KINDS, KB, Tier, WorkplaceRule
from carekb.render.table import table
from carekb.render.width import fit
from carekb.solver.explain import condition_text

HISTORY = {"history.shogu": "shogu", "history.tokutei": "tokutei", "history.baseup": "baseup"}
ROMAN = {"ja": ("", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ"), "en": ("", "I", "II", "III", "IV", "V")}
MIN_BASE = 3   # a tier standing for fewer requirements than this reads worse than listing them
_TRAILING_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]$")


def circled(n: int) -> str:
    """1 → ①, 21 → ㉑ (the numbering of the workplace items in the notices)."""
    if 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if 21 <= n <= 35:
        return chr(0x3251 + n - 21)
    return f"({n})"


class RuleText:
    """Phrases for the rules of one period of one scheme, in one language (for one service, if given)."""

    def __init__(self, kb: KB, period_id: str, lang: str = "ja", service: str | None = None):
        self.kb, self.period_id, self.lang = kb, period_id, lang
        self.groups = kb.services[service].groups if service else None
        tiers = kb.tiers_for(period_id, service) if service else kb.tiers.get(period_id, {}).values()
        self.tiers = {x.id: x for x in tiers}
        names = {rid: self.label(rid) for rid in kb.requirements}
        shortened = {rid: _TRAILING_NOTE.sub("", name) for rid, name in names.items()}
        counts = Counter(shortened.values())
        # 「キャリアパス要件Ⅰ（任用要件・…）」 → 「キャリアパス要件Ⅰ」, unless that leaves a name two
        # requirements share (旧 処遇改善加算（Ⅰ）/（Ⅱ)): the full names are in the table beside.
        self.short = {rid: s if s.strip() and counts[s] == 1 else names[rid] for rid, s in shortened.items()}

    def label(self, rid: str) -> str:
        """A requirement's full KB label (rdfs:label in this language)."""
        r = self.kb.requirements[rid]
        return r.label_ja if self.lang == "ja" else (r.label_en or r.label_ja)

    def m(self, key: str, **params) -> str:
        return t(key, self.lang, **params)

    # ------------------------------------------------------------------ tiers

    def tier(self, tier: Tier) -> str:
        """The tier's requirements as one sentence, said on top of the largest lower tier it contains."""
        ops = self.operands(tier.expr)
        if ops is False:
            text = self.m("rules.never")
        else:
            base = self.base_of(tier, ops)
            if base is not None:
                below = set(self.operands(base.expr))
                rest = [x for x in ops if x not in below]
                name = short_tier(base.id, self.lang)
                text = (self.m("rules.on_top", tier=name, rest=self.phrase(self._all(rest))) if rest
                        else self.m("rules.same_as", tier=name))
            else:
                text = self.phrase(self._all(ops)) if ops else self.m("rules.nothing")
        if tier.reachable_when is not None:
            open_to = self.simplify(tier.reachable_when)
            if open_to is False:
                return self.m("rules.never")
            if open_to is not True:
                text = self.m("rules.offices_only", x=text, cond=self.clause(open_to))
        return text

    def operands(self, e: tuple) -> list | bool:
        """The requirements a tier's expression joins by `all`, with the tiers it names spelled out
        (False: the service can never meet it)."""
        e = self.simplify(e)
        if e is True or e is False:
            return [] if e else False
        out: list = []
        for x in (e[1] if e[0] == "all" else (e,)):
            if x[0] == "tier":
                inner = self.operands(self.kb.tiers[x[1]][x[2]].expr)
                if inner is False:
                    return False
                out += inner
            else:
                out.append(x)
        return list(dict.fromkeys(out))

    def base_of(self, tier: Tier, ops: list) -> Tier | None:
        """The lower tier whose requirements are a strict part of this tier's, largest first (then
        the one the KB names, then the higher one); none for tiers open only to some offices."""
        if tier.reachable_when is not None:
            return None
        mine = set(ops)
        named = {x[2] for x in tier.expr[1] if x[0] == "tier"} if tier.expr[0] == "all" else set()
        best, best_key = None, None
        for other in self.tiers.values():
            if other.id == tier.id or other.rank >= tier.rank or other.reachable_when is not None:
                continue
            theirs = self.operands(other.expr)
            if theirs is False or len(theirs) < MIN_BASE or not set(theirs) < mine:
                continue
            key = (len(theirs), other.id in named, other.rank)
            if best_key is None or key > best_key:
                best, best_key = other, key
        return best

    # ------------------------------------------------------------------ expressions

    def known(self, cond: tuple) -> bool | None:
        """What the service alone decides about a condition (None: it depends on the office)."""
        kind = cond[0]
        if kind == "group":
            return None if self.groups is None else cond[1] in self.groups
        if kind in ("all", "any") and all(self.is_condition(c) for c in cond[1]):
            values = [self.known(c) for c in cond[1]]
            if kind == "all":
                return False if False in values else (True if all(v is True for v in values) else None)
            return True if True in values else (False if all(v is False for v in values) else None)
        return None

    def is_condition(self, e: tuple) -> bool:
        return e[0] in CONDITION_KINDS or (e[0] in ("all", "any") and all(self.is_condition(c) for c in e[1]))

    def simplify(self, e: tuple):
        """The expression with what the service decides settled: True, False or a smaller tuple."""
        kind = e[0]
        if kind in CONDITION_KINDS:
            v = self.known(e)
            return e if v is None else v
        if kind in ("all", "any"):
            parts: list = []
            for x in e[1]:
                s = self.simplify(x)
                if s is True or s is False:
                    if s is (kind == "any"):
                        return s              # any(…, True) / all(…, False)
                    continue
                parts += s[1] if s[0] == kind else [s]
            parts = list(dict.fromkeys(parts))
            if not parts:
                return kind == "all"
            return parts[0] if len(parts) == 1 else (kind, tuple(parts))
        if kind in ("act", "req"):
            r = self.kb.requirements.get(e[1])
            if r is not None and r.applicable_when is not None and self.known(r.applicable_when) is False:
                return True                   # does not apply to this service: nothing to do
        return e

    def _all(self, ops: list) -> tuple:
        return ops[0] if len(ops) == 1 else ("all", tuple(ops))

    def expression(self, e: tuple | None) -> str:
        """Any expression of the KB (requirement definitions, pledge targets) in words."""
        if e is None:
            return ""
        s = self.simplify(e)
        if s is True or s is False:
            return self.m("rules.nothing") if s else self.m("rules.never")
        return self.phrase(s)

    def phrase(self, e: tuple, within: str | None = None) -> str:
        kind = e[0]
        if kind == "all":
            reqs = [x for x in e[1] if not self.is_condition(x)]
            conds = [x for x in e[1] if self.is_condition(x)]
            text = self.and_list([self.phrase(x, "all") for x in reqs])
            if conds:
                text = self.m("rules.only_if", x=text, cond=self.clause(self._all(conds)))
            return self.m("rules.group", x=text) if within == "any" and len(reqs) > 1 else text
        if kind == "any":
            parts = [self.phrase(x, "any") for x in e[1]]
            simple = all(x[0] in ("act", "req", "wrule", "tier") for x in e[1])
            if within == "all" and len(parts) == 2 and simple:
                return self.m("rules.or_alternative", a=parts[0], b=parts[1])
            text = (self.m("rules.or_two", a=parts[0], b=parts[1]) if len(parts) == 2 else
                    self.m("rules.or_many", items=self.m("rules.or_many_sep").join(parts)))
            return self.m("rules.group", x=text) if within == "all" else text
        if kind in ("act", "req"):
            text = self.short.get(e[1], e[1])
            r = self.kb.requirements.get(e[1])
            if r is not None and r.applicable_when is not None:
                cond = self.simplify(r.applicable_when)
                if cond is not True:
                    text = self.m("rules.only_if", x=text, cond=self.clause(cond))
            return text
        if kind == "tier":
            return self.m("rules.tier_ref", tier=short_tier(e[2], self.lang))
        if kind == "wrule":
            rule = self.kb.rules.get(e[1])
            return self.workplace(rule) if rule else e[1]
        return self.m("rules.holds", cond=self.clause(e))

    def and_list(self, parts: list[str]) -> str:
        if len(parts) == 1:
            return parts[0]
        return self.m("rules.and_last", head=self.m("rules.list_sep").join(parts[:-1]), last=parts[-1])

    # ------------------------------------------------------------------ workplace counting rules

    def workplace(self, rule: WorkplaceRule) -> str:
        """「職場環境等要件（各区分1項目以上・生産性向上2項目以上・全体8項目以上）」 from the rule's numbers."""
        parts = []
        if rule.each_min:
            parts.append(self.m("rules.workplace.each", n=rule.each_min))
        for cat, n in rule.category_min:
            parts.append(self.m("rules.workplace.category", category=self.category(cat), n=n))
        if rule.must_include:
            items = [self.m("rules.workplace.must_item", label=circled(n) if self.lang == "ja" else str(n))
                     for n in rule.must_include]
            parts.append(self.m("rules.workplace.must", items=self.m("rules.workplace.must_sep").join(items)))
        if rule.total_min:
            parts.append(self.m("rules.workplace.total", n=rule.total_min))
        return self.m("rules.workplace", parts=self.m("rules.workplace.sep").join(parts))

    def category(self, cat: str) -> str:
        """A category's name without its explanation: 「生産性向上」, "Productivity"."""
        names = self.kb.categories.get(cat)
        if not names:
            return cat
        name = names[0] if self.lang == "ja" else names[1]
        return re.split(r"[（(]", name, maxsplit=1)[0].strip() or name

    # ------------------------------------------------------------------ office conditions

    def clause(self, cond) -> str:
        """A condition as a clause that 「場合」 or 「事業所」 can follow ("if …" in English)."""
        if cond is True or cond is False:
            return self.m("rules.nothing") if cond else self.m("rules.never")
        parts = self.clauses(cond)
        if self.lang == "ja":
            return "".join(cont for _, cont in parts[:-1]) + parts[-1][0]
        return self.m("rules.cond.and_sep").join(final for final, _ in parts)

    def clauses(self, cond: tuple) -> list[tuple[str, str]]:
        """(final form, joining form) of each clause; the May-2024 history tests become one clause."""
        kind = cond[0]
        if kind == "all":
            history = [c for c in cond[1] if c[0] == "field" and c[1] in HISTORY and self.history_names(c)]
            out = [self.history_clause(history)] if history else []
            for c in cond[1]:
                if c not in history:
                    out += self.clauses(c)
            return out
        if kind == "any":
            text = self.m("rules.cond.or_sep").join(self.clause(c) for c in cond[1])
            return [(text, self.m("rules.cond.any_of.and", x=text))]
        if kind == "field" and cond[1] in HISTORY and self.history_names(cond):
            return [self.history_clause([cond])]
        key, params = self.condition_key(cond)
        if key is None:   # a test no clause here words (e.g. a rule overlay's): explain's statement of it
            text = condition_text(self.kb, cond, self.lang)
            return [(text, text + self.m("rules.list_sep"))]
        return [(self.m(key, **params), self.m(key + ".and", **params))]

    def condition_key(self, cond: tuple) -> tuple[str | None, dict]:
        kind = cond[0]
        if kind == "date_le":
            return "rules.cond.date_le", {"date": self.date(cond[1])}
        if kind == "group":
            names = self.kb.groups.get(cond[1])
            return "rules.cond.group", {"group": (names[0] if self.lang == "ja" else names[1]) if names else cond[1]}
        if kind in ("act", "req"):
            return "rules.cond.met", {"name": self.short.get(cond[1], cond[1])}
        if kind == "field":
            _, name, op, value = cond
            if name in ("collab_corp", "single_office_corp") and op == "eq" and isinstance(value, bool):
                return f"rules.cond.{'' if value else 'not_'}{name}", {}
            if name == "employees" and op in ("lt", "ge"):
                return f"rules.cond.employees_{op}", {"n": value}
            if name == "top_annual_wage" and op in ("lt", "ge"):
                return f"rules.cond.wage_{op}", {"amount": self.yen(value)}
        return None, {}

    def history_names(self, cond: tuple) -> tuple[list[str], list[str]] | None:
        """(held, not held) names of one history test; None when it is not a plain held/not-held test."""
        _, field, op, value = cond
        name = self.m(f"rules.old.{HISTORY[field]}")
        roman = ROMAN["ja" if self.lang == "ja" else "en"]
        if op == "eq" and isinstance(value, bool):
            return ([name], []) if value else ([], [name])
        if op == "eq" and isinstance(value, int) and 0 <= value < len(roman):
            return ([self.m("rules.old.tier", name=name, tier=roman[value])], []) if value else ([], [name])
        if op == "in" and value and all(isinstance(v, int) and 0 < v < len(roman) for v in value):
            nums = sorted(value)
            if len(nums) >= 3 and nums == list(range(nums[0], nums[-1] + 1)):
                tiers = self.m("rules.old.tier_range", first=roman[nums[0]], last=roman[nums[-1]])
            else:
                tiers = self.m("rules.old.tiers_sep").join(roman[n] for n in nums)
            return [self.m("rules.old.tiers_any", name=name, tiers=tiers)], []
        return None

    def history_clause(self, conds: list[tuple]) -> tuple[str, str]:
        held: list[str] = []
        not_held: list[str] = []
        for c in conds:
            h, n = self.history_names(c)
            held += h
            not_held += n
        key = "rules.cond.held_not_held" if held and not_held else ("rules.cond.held" if held else "rules.cond.not_held")
        params = {"held": self.m("rules.cond.name_sep").join(held),
                  "not_held": self.m("rules.cond.not_held_sep").join(not_held)}   # "held A but not B or C"
        return self.m(key, **params), self.m(key + ".and", **params)

    def date(self, day: dt.date) -> str:
        return self.m("rules.date", y=day.year, m=day.month, d=day.day)

    def yen(self, value: int) -> str:
        if self.lang == "ja" and value % 10000 == 0:
            return self.m("rules.yen", amount=f"{value // 10000:,}万")
        return self.m("rules.yen", amount=f"{value:,}")


# ---------------------------------------------------------------------- `carekb requirements` as text

def requirements_text(data: dict, kb: KB, lang: str = "ja", service: str | None = None, raw: bool = False) -> str:
    """The text view of `carekb requirements`: tiers with their rules in words (`raw`: the KB's
    expressions), requirements, workplace rules and items, pledges, old additions and grants.
    `data` is the command's JSON contract (carekb/app/kb_view.py); `kb` the scheme's rules."""
    p = kb.periods[data["period"]]
    words = RuleText(kb, p.id, lang, service)

    def m(key: str, **params) -> str:
        return t(key, lang, **params)

    out = [f"{p.id}: {data['label']} ({data['valid_from']} – {data['valid_to'] or ''})  KB {kb.version}", ""]
    svc = kb.services[service] if service else None
    out.append("■ " + (m("rules.view.tiers_of", service=svc.label_ja if lang == "ja" else svc.label_en) if svc
                       else m("rules.view.tiers")))
    rows = [[short_tier(x["tier"], lang), x["requires"] if raw else words.tier(kb.tiers[p.id][x["tier"]]), x["confidence"]]
            for x in data["tiers"]]
    if rows:
        out.append(table(rows, [m("rules.view.tier"), m("rules.view.requires_raw" if raw else "rules.view.requires"),
                                m("rules.view.confidence")]))
    else:
        out.append(m("rules.view.no_tiers"))

    out.append("\n■ " + m("rules.view.requirements"))
    rows = []
    for r in data["requirements"]:
        req = kb.requirements[r["id"]]
        name = words.label(req.id)
        if req.applicable_when is not None and not raw:
            cond = words.simplify(req.applicable_when)
            if cond is False:
                name = m("rules.not_applicable", x=name)
            elif cond is not True:
                name = m("rules.only_if", x=name, cond=words.clause(cond))
        if req.definition is not None and not raw:
            name = m("rules.view.composite", label=name, definition=words.expression(req.definition))
        rows.append([req.id, name, r["confidence"], "; ".join(req.cited.sources) or r["source"]])
    out.append(table(rows, ["ID", m("rules.view.name"), m("rules.view.confidence"), m("rules.view.source")]))

    out.append("\n■ " + m("rules.view.workplace_rules"))
    out.append(table([[r["id"], r["label"], r["confidence"]] for r in data["workplace_rules"]],
                     ["ID", m("rules.view.rule"), m("rules.view.confidence")]))

    out.append("\n■ " + m("rules.view.workplace_items", list=kb.item_lists[p.item_list][0 if lang == "ja" else 1]))
    out.append(table([[f"workplace.{i['number']}", words.category(i["category"]), i["label_ja"]] for i in data["workplace_items"]],
                     ["ID", m("rules.view.category"), m("rules.view.item")]))

    if data["pledges"]:
        out.append("\n■ " + m("rules.view.pledges"))
        rules = {f"pledge.{x.id}": x for x in kb.pledges.get(p.id, ())}
        rows = []
        for x in data["pledges"]:
            rule = rules[x["id"]]
            if raw:
                satisfies, condition = ", ".join(x["satisfies"]), x["condition"] or ""
            else:
                satisfies = m("rules.list_sep").join(words.expression(e) for e in rule.targets)
                cond = words.simplify(rule.condition) if rule.condition is not None else True
                condition = ("" if cond is True else m("rules.view.pledge_closed") if cond is False
                             else m("rules.when", cond=words.clause(cond)))
            rows.append([x["id"], satisfies, x["deadline"], condition, x["confidence"]])
        out.append(table(rows, ["ID", m("rules.view.satisfies"), m("rules.view.deadline"), m("rules.view.condition"),
                                m("rules.view.confidence")]))

    if data.get("old_additions"):   # a list, not a table: long names and rules read badly in five columns
        out.append("\n■ " + m("rules.view.old"))
        roman = dict(zip(ROMAN["en"][1:], ROMAN["ja"][1:])) if lang == "ja" else {}
        for a in data["old_additions"]:
            for x in a["tiers"]:
                old = kb.old_tiers[x["key"]]
                if raw:
                    requires = x["requires"] or x.get("amount") or ""
                elif old.requirement:
                    requires = words.expression(kb.requirements[old.requirement].definition)
                elif old.fraction_of:
                    base = kb.old_tiers[old.fraction_of]
                    requires = m("rules.view.amount", fraction=old.fraction, tier=base.label_ja if lang == "ja" else base.label_en)
                else:
                    requires = ""
                out.append(m("rules.view.old_entry", name=f"{a['label']} {roman.get(x['tier'], x['tier'])}".rstrip(" -"),
                             valid_to=x["valid_to"] or "", confidence=x["confidence"]))
                if requires:
                    out.append("  " + m("rules.view.entry_requires", x=requires))
                out.append("  " + m("rules.view.entry_rates", x=rates_text(x["rates"], lang)))

    if data.get("grants"):
        out.append("\n■ " + m("rules.view.grants"))
        for g in data["grants"]:
            out.append(m("rules.view.grant_entry", name=g["label"], valid_from=g["valid_from"], valid_to=g["valid_to"],
                         confidence=g["confidence"]))
            out.append("  " + m("rules.view.entry_condition", x=g["condition"]))
            out.append("  " + m("rules.view.entry_grant_rates", x=rates_text(g["rates"], lang)))
    out.append("\n" + m("rules.view.footer"))
    return fit("\n".join(out))


def rates_text(rates: dict, lang: str = "ja") -> str:
    return ", ".join(f"{svc} {pct}" for svc, pct in rates.items()) or t("rules.view.unknown_rate", lang)


def in_words(data: dict, kb: KB, lang: str = "ja", service: str | None = None) -> dict:
    """A copy of the `requirements` contract for display: tier expressions and pledge targets in
    words (the contract itself keeps the KB's expressions)."""
    words = RuleText(kb, data["period"], lang, service)
    rules = {f"pledge.{x.id}": x for x in kb.pledges.get(data["period"], ())}
    tiers = [dict(x, requires=words.tier(kb.tiers[data["period"]][x["tier"]])) for x in data["tiers"]]
    pledges = [dict(x, satisfies=[words.expression(e) for e in rules[x["id"]].targets]) for x in data["pledges"]]
    return dict(data, tiers=tiers, pledges=pledges)
