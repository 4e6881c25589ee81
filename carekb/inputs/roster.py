"""A staff roster (profile key `staff:`): checked against the staff definitions of kb/shogai/staff.ttl,
then used to derive キャリアパス要件Ⅳ (cp4) and to list the priority staff of the wage-distribution rule.

Who counts is data: a scheme says which roster field its concepts fill (role or qualifications),
whether a qualification counts only with a role of another scheme (※2 needs a ※1 occupation), and
which requirement it decides (※2 → cp4); the priority rule lists its schemes and minimum years.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, DerivedFact, StaffConcept

STAFF_KEYS = ("name", "role", "qualifications", "years_in_corp", "annual_wage_after", "annual_wage_before")
REQUIRED = ("role", "years_in_corp", "annual_wage_after")
OTHER_ROLE = "other"                     # a role outside the KB's schemes (e.g. 看護職員, 事務員)
OTHER_ROLE_NAMES = ("other", "その他", "その他の職種")
SEPARATORS = re.compile(r"[；;、,，]")
MAX_WAGE = 1_000_000_000
MAX_YEARS = 80
WAGE_REQUIREMENT = "cp4"                 # the requirement a roster decides: its schemes count for it


@dataclass(frozen=True)
class StaffMember:
    index: int
    name: str
    role: str                            # a concept id (skos:notation), or "other"
    qualifications: tuple[str, ...]      # concept ids
    years_in_corp: Decimal
    annual_wage_after: int
    annual_wage_before: int | None = None

    def label(self) -> str:
        return f"staff[{self.index}]" + (f" {self.name}" if self.name else "")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def concepts_for(kb: KB, field: str) -> list[StaffConcept]:
    """The concepts a roster field accepts (schemes matching the field, plus concepts that also do)."""
    out = []
    for s in kb.staff_schemes.values():
        for c in s.concepts:
            if s.field == field or field in c.also_fields:
                out.append(c)
    return out


def resolve(kb: KB, field: str, text: str) -> str | None:
    """The concept id named by an id, a Japanese or English label or an alternative label."""
    want = _norm(text)
    for c in concepts_for(kb, field):
        if want in (_norm(x) for x in (c.id, c.label_ja, c.label_en, *c.alt_labels)):
            return c.id
    return None


def parse_staff(raw, kb: KB, source: str, lines: dict | None = None) -> tuple[StaffMember, ...]:
    """Check every entry and field of a roster; errors name the list index, e.g. staff[2].qualifications."""
    lines = lines or {}
    if not isinstance(raw, list):
        raise CarekbError(t("roster.expected_list"), source, "staff")
    return tuple(_member(i, entry, kb, source, lines) for i, entry in enumerate(raw))


def _member(i: int, entry, kb: KB, source: str, lines: dict) -> StaffMember:
    def where(key=None):
        path = f"staff[{i}]" + (f".{key}" if key else "")
        line = lines.get((id(entry), key)) if key else None
        return t("err.place.key_line", key=path, line=line) if line else path

    if not isinstance(entry, dict):
        raise CarekbError(t("roster.expected_mapping", keys=", ".join(REQUIRED), got=repr(entry)), source, where())
    for k in entry:
        if k not in STAFF_KEYS:
            raise CarekbError(t("roster.unknown_key", got=repr(k), allowed=", ".join(STAFF_KEYS)), source, where(k))
    for k in REQUIRED:
        if entry.get(k) in (None, ""):
            raise CarekbError(t("roster.missing", key=k), source, where(k) if k in entry else where())
    role_text = str(entry["role"]).strip()
    role = OTHER_ROLE if _norm(role_text) in {_norm(x) for x in OTHER_ROLE_NAMES} else resolve(kb, "role", role_text)
    if role is None:
        raise CarekbError(t("roster.unknown_role", got=repr(role_text)), source, where("role"))
    quals = []
    for q in _split(entry.get("qualifications"), source, where("qualifications")):
        cid = resolve(kb, "qualifications", q)
        if cid is None:
            raise CarekbError(t("roster.unknown_qualification", got=repr(q)), source, where("qualifications"))
        quals.append(cid)
    name = entry.get("name")
    before = entry.get("annual_wage_before")
    return StaffMember(
        i, "" if name is None else str(name).strip(), role, tuple(dict.fromkeys(quals)),
        _years(entry["years_in_corp"], source, where("years_in_corp")),
        _yen(entry["annual_wage_after"], source, where("annual_wage_after")),
        None if before in (None, "") else _yen(before, source, where("annual_wage_before")))


def _split(v, source: str, where: str) -> list[str]:
    """A list, or one string separated by ；/;/、/, (as a spreadsheet cell gives it)."""
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [x.strip() for x in SEPARATORS.split(v) if x.strip()]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return [x.strip() for x in v if x.strip()]
    raise CarekbError(t("roster.expected_qualifications", got=repr(v)), source, where)


def _yen(v, source: str, where: str) -> int:
    if isinstance(v, str) and re.fullmatch(r"\s*[\d,]+\s*円?\s*", v):
        v = int(v.replace(",", "").replace("円", ""))
    elif isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise CarekbError(t("roster.expected_yen", got=repr(v)), source, where)
    if not 0 <= v <= MAX_WAGE:
        raise CarekbError(t("roster.yen_out_of_range", got=f"{v:,}", max=f"{MAX_WAGE:,}"), source, where)
    return v


def _years(v, source: str, where: str) -> Decimal:
    try:
        if isinstance(v, bool):
            raise InvalidOperation
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise CarekbError(t("roster.expected_years", got=repr(v)), source, where) from None
    if not d.is_finite() or not 0 <= d <= MAX_YEARS:
        raise CarekbError(t("roster.years_out_of_range", got=v, max=MAX_YEARS), source, where)
    return d


# --------------------------------------------------------------------------- who counts as what

def in_scheme(kb: KB, m: StaffMember, scheme_id: str) -> bool:
    """Whether a member belongs to a scheme: by role or qualification (the scheme's field), and for a
    qualification scheme with a role condition (※2), only with a role in that scheme — unless the
    concept counts whatever the role (心理指導担当職員)."""
    s = kb.staff_schemes[scheme_id]
    ids = {c.id: c for c in s.concepts}
    for cid, via in [(m.role, "role")] + [(q, "qualifications") for q in m.qualifications]:
        c = ids.get(cid)
        if c is None or (via != s.field and via not in c.also_fields):
            continue
        if s.with_role_in is None or c.without_role:
            return True
        if m.role in {x.id for x in kb.staff_schemes[s.with_role_in].concepts}:
            return True
    return False


def scheme_for(kb: KB, requirement: str) -> str | None:
    """The staff scheme that decides a requirement (cp4 → ※2)."""
    return next((s.id for s in kb.staff_schemes.values() if requirement in s.counts_for), None)


def fact_threshold(d: DerivedFact) -> int | None:
    """The yen of a derived fact that tests the wage (top_annual_wage ≥ yen); None for any other fact."""
    c = d.condition
    return int(c[3]) if c[:3] == ("field", "top_annual_wage", "ge") else None


def wage_threshold(kb: KB, period_id: str) -> int | None:
    """The period's annual-wage threshold for cp4, read from its derived fact on top_annual_wage."""
    for d in kb.derived.get(period_id, ()):
        if d.requirement == WAGE_REQUIREMENT and fact_threshold(d) is not None:
            return fact_threshold(d)
    return None


@dataclass(frozen=True)
class WageCandidate:
    member: StaffMember
    status: str           # meets | short | excluded
    short_by: int = 0     # yen below the threshold (status short)


def wage_candidates(kb: KB, staff, threshold: int | None) -> list[WageCandidate]:
    """The members who count for cp4, best first: those at or above the threshold, then
    the nearest below it; those already at the threshold before the improvement are excluded."""
    scheme = scheme_for(kb, WAGE_REQUIREMENT)
    out = []
    for m in staff:
        if scheme is None or not in_scheme(kb, m, scheme):
            continue
        if threshold is not None and m.annual_wage_before is not None and m.annual_wage_before >= threshold:
            out.append(WageCandidate(m, "excluded"))
        elif threshold is None or m.annual_wage_after >= threshold:
            out.append(WageCandidate(m, "meets"))
        else:
            out.append(WageCandidate(m, "short", threshold - m.annual_wage_after))
    order = {"meets": 0, "short": 1, "excluded": 2}
    return sorted(out, key=lambda c: (order[c.status], -c.member.annual_wage_after, c.member.index))


def top_wage(kb: KB, staff, threshold: int | None) -> int | None:
    """The highest annual wage after improvement among the members who count (top_annual_wage for cp4)."""
    counted = [c.member.annual_wage_after for c in wage_candidates(kb, staff, threshold) if c.status != "excluded"]
    return max(counted) if counted else None


def priority_staff(kb: KB, staff) -> list[tuple[StaffMember, list[str]]]:
    """Members the priority rule names as the basis for a larger share, with the schemes that qualify them."""
    rule = kb.priority_rule
    if rule is None:
        return []
    out = []
    for m in staff:
        why = [s for s in rule.schemes if in_scheme(kb, m, s)]
        if why and m.years_in_corp >= rule.min_years:
            out.append((m, why))
    return out


def roster_summary(kb: KB, staff, period_id: str, lang: str = "ja") -> dict:
    """The roster's answer for a period: cp4 from the staff, and the priority staff."""
    threshold = wage_threshold(kb, period_id)
    ja = lang == "ja"
    cands = wage_candidates(kb, staff, threshold)
    schemes = kb.staff_schemes
    return {
        "cp4": {
            "threshold_yen": threshold,
            "met": any(c.status == "meets" for c in cands) if threshold is not None else None,
            "candidates": [{"index": c.member.index, "name": c.member.name or None, "status": c.status,
                            "annual_wage_after": c.member.annual_wage_after,
                            "annual_wage_before": c.member.annual_wage_before,
                            **({"short_by_yen": c.short_by} if c.status == "short" else {})} for c in cands],
        },
        "priority_staff": [{"index": m.index, "name": m.name or None, "years_in_corp": float(m.years_in_corp),
                            "because": [schemes[s].label_ja if ja else schemes[s].label_en for s in why]}
                           for m, why in priority_staff(kb, staff)],
        "priority_rule": {"min_years_in_corp": float(kb.priority_rule.min_years),
                          "source": kb.priority_rule.cited.text(),
                          "confidence": kb.priority_rule.cited.confidence} if kb.priority_rule else None,
    }


def wage_text(kb: KB, staff, threshold: int | None, lang: str = "ja") -> str:
    """One line naming the member who satisfies (or comes nearest to) the threshold, for explanations."""
    ja = lang == "ja"
    cands = wage_candidates(kb, staff, threshold)
    best = next((c for c in cands if c.status != "excluded"), None)
    excluded = [c.member for c in cands if c.status == "excluded"]
    if best is None:
        text = ("名簿に該当者なし（※1の職種で※2の資格を持つ職員がいない）" if ja else
                "no one in the roster counts (a ※1 occupation with a ※2 qualification)")
    elif best.status == "meets":
        text = (f"{best.member.label()}: 改善後 {best.member.annual_wage_after:,}円" if ja else
                f"{best.member.label()}: {best.member.annual_wage_after:,} yen after improvement")
    else:
        text = (f"最も近い {best.member.label()}: 改善後 {best.member.annual_wage_after:,}円（あと {best.short_by:,} 円）" if ja else
                f"nearest {best.member.label()}: {best.member.annual_wage_after:,} yen after improvement "
                f"({best.short_by:,} yen short)")
    if excluded and threshold is not None:
        names = ", ".join(m.label() for m in excluded)
        text += (f"; 除外: {names}（改善前から{threshold:,}円以上）" if ja else
                 f"; excluded: {names} (already at {threshold:,} yen or more before the improvement)")
    return text
