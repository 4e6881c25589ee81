"""The content of the checklist workbook of `carekb init --format xlsx`: the office facts as labelled
rows (the keys and notes of the YAML profile, carekb.app.init_profile), and one numbered row per
requirement, workplace item and pledge of the period with its meaning, category, source and
confidence from the KB. carekb.render.checklist_xlsx writes it; carekb.inputs.profile.read_xlsx
reads the filled-in workbook back into a profile."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carekb.app.init_profile import Field, outline
from carekb.i18n import has, t
from carekb.inputs import normalize
from carekb.inputs.profile import Office, bind
from carekb.inputs.profile.read_xlsx import OFFICE_FACTS
from carekb.model import actions
from carekb.model.types import KB, Cited, Period


@dataclass(frozen=True)
class Fact:
    key: str            # the profile key (office.employees), which the reader goes by
    label: str
    value: str | None   # None: left empty (unknown)
    note: str           # what it means and which values are accepted


@dataclass(frozen=True)
class Row:
    no: int
    kind: str           # 要件 / 職場環境等要件 / 誓約, with what ○ means
    id: str             # the action id (cp1.1, workplace.5, pledge.cp3)
    label: str
    category: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Checklist:
    lang: str
    notes: tuple[str, ...]      # written below the office facts: what, for which date, how to fill in
    facts: tuple[Fact, ...]
    rows: tuple[Row, ...]


def checklist(kb: KB, service: str, as_of: dt.date, lang: str = "ja") -> Checklist:
    """The checklist for `service` (id or name) on `as_of`, in `lang`."""
    o = outline(kb, service, as_of, lang)         # refuses what `carekb init` refuses (unknown service, date)
    sid = normalize.service(kb, service, "carekb init", "SERVICE")
    skb = kb.for_service(sid)
    _, period = bind(Office(service=sid, as_of=as_of, source="carekb init"), skb)
    svc = skb.services[sid]
    notes = _notes(o.fields)
    notes |= {k: t(f"init.xlsx.note.{k}", lang) for k in notes if has(f"init.xlsx.note.{k}")}   # a cell is not YAML
    values = {"office.service": svc.label_ja if lang == "ja" else (svc.label_en or svc.label_ja),
              "as_of": as_of.isoformat()}
    facts = tuple(Fact(k, t(f"init.xlsx.fact.{k}", lang), values.get(k), notes[k]) for k in OFFICE_FACTS)
    rows = [*_requirements(skb, period, lang), *_items(skb, period, lang), *_pledges(skb, period, lang)]
    return Checklist(lang, (*o.header, t("init.xlsx.usage", lang), t("init.xlsx.read_back", lang)), facts,
                     tuple(Row(n, *r) for n, r in enumerate(rows, start=1)))


def _notes(fields: tuple[Field, ...], prefix: str = "") -> dict[str, str]:
    out = {}
    for f in fields:
        if f.children:
            out.update(_notes(f.children, f"{f.key}."))
        else:
            out[prefix + f.key] = " ".join(f.note.split())
    return out


def _requirements(kb: KB, period: Period, lang: str) -> list[tuple]:
    """The atoms that can be met in the period (as `carekb init`'s met list), under the composite
    requirement that lists them (キャリアパス要件Ⅰ for cp1.1)."""
    ja = lang == "ja"
    in_period = [r for r in kb.requirements.values() if not r.periods or period.id in r.periods]
    parent = {}
    for r in in_period:
        if r.composite:
            for a in _acts(r.definition):
                parent.setdefault(a, r)
    kind = t("init.xlsx.kind_requirement", lang)
    out = []
    for r in in_period:
        if r.composite:
            continue
        label = r.label_ja if ja else (r.label_en or r.label_ja)
        meaning = r.satisfied_when_ja if ja else r.satisfied_when_en   # no Japanese sentence in English output
        p = parent.get(r.id)
        category = (p.label_ja if ja else (p.label_en or p.label_ja)) if p else t("init.xlsx.category_requirement", lang)
        out.append((kind, r.id, f"{label} — {meaning}" if meaning else label, category, *_cited(r.cited, lang)))
    return out


def _acts(e) -> list[str]:
    if not e:
        return []
    if e[0] == "act":
        return [e[1]]
    if e[0] in ("all", "any"):
        return [a for x in e[1] for a in _acts(x)]
    return []


def _items(kb: KB, period: Period, lang: str) -> list[tuple]:
    """The workplace items of the period's list (their names exist in Japanese only: 職場環境等要件)."""
    kind = t("init.xlsx.kind_workplace", lang)
    cited = _cited(kb.item_lists[period.item_list][2], lang)
    out = []
    for it in kb.items[period.item_list].values():
        ja, en = kb.categories.get(it.category, (it.category, it.category))
        out.append((kind, actions.workplace(it.number), f"{it.number}. {' '.join(it.label_ja.split())}",
                    ja if lang == "ja" else (en or ja), *cited))
    return out


def _pledges(kb: KB, period: Period, lang: str) -> list[tuple]:
    kind, category = t("init.xlsx.kind_pledge", lang), t("init.xlsx.category_pledge", lang)
    return [(kind, actions.pledge(p.id),
             t("init.pledge_choice", lang, label=kb.action_label(actions.pledge(p.id), period, lang),
               deadline=p.deadline.isoformat()), category, *_cited(p.cited, lang))
            for p in kb.pledges.get(period.id, ())]


def _cited(c: Cited, lang: str) -> tuple[str, str]:
    """The source (the provisions cited, else the sources' short names) and the confidence; unknown
    is said, never left blank."""
    source = "; ".join(p.citation(lang) for p in c.provisions) or "; ".join(c.sources)
    unknown = t("init.xlsx.unknown", lang)
    return source or unknown, c.confidence or unknown
