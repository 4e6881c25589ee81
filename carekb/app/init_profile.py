"""The content of a new profile for `carekb init`: every key of docs/profile.md with what it means,
and for the lists (met, workplace, pledged) the ids the chosen service's scheme accepts in the period
of the chosen date, labelled from the KB. carekb.render.profile_yaml writes it as commented YAML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carekb.i18n import t
from carekb.inputs import normalize
from carekb.inputs.profile import Office, bind
from carekb.inputs.profile.office import REGION_GRADES
from carekb.model.types import KB, Period


@dataclass(frozen=True)
class Choice:
    value: str | int     # what to write in the list (cp1.1, 5)
    label: str           # what it means (from the KB)
    group: str = ""      # a heading the choice falls under (a workplace item's category)


@dataclass(frozen=True)
class Field:
    key: str                           # the key within its mapping
    note: str                          # what it means and which values are accepted
    value: object = None               # written value; None: left empty (= not known / not given)
    choices: tuple[Choice, ...] = ()   # for a list: every accepted entry, written commented out
    children: tuple["Field", ...] = ()  # for a mapping (office, history)
    value_note: str = ""               # a short comment after the value (the service's name)


@dataclass(frozen=True)
class Outline:
    header: tuple[str, ...]
    fields: tuple[Field, ...]


def outline(kb: KB, service: str, as_of: dt.date, lang: str = "ja") -> Outline:
    """The profile outline for `service` (id or name) on `as_of`, with notes in `lang`."""
    sid = normalize.service(kb, service, "carekb init", "SERVICE")
    skb = kb.for_service(sid)
    svc = skb.services[sid]
    _, period = bind(Office(service=sid, as_of=as_of, source="carekb init"), skb)   # as gap would: period, coverage
    ja = lang == "ja"
    name = svc.label_ja if ja else (svc.label_en or svc.label_ja)
    header = (t("init.header", lang, service=name, service_id=sid, date=as_of.isoformat(), period=period.id,
                period_label=period.label_ja if ja else period.label_en,
                scheme=skb.scheme_ja if ja else skb.scheme_en),
              t("init.header_use", lang, kb=skb.version))

    def f(key, **kw):
        return Field(key, t(f"init.{key}", lang), **kw)

    office = Field("office", t("init.office", lang), children=(
        f("id"), f("name"), Field("service", t("init.service", lang), value=sid, value_note=name),
        f("employees"), f("single_office_corp"),
        Field("region", t("init.region", lang, grades="、".join(REGION_GRADES) if ja else ", ".join(REGION_GRADES))),
        f("monthly_units")))
    history = Field("history", t("init.history", lang), children=(f("shogu"), f("tokutei"), f("baseup")))
    return Outline(header, (
        Field("version", t("init.version", lang), value=1), office,
        Field("as_of", t("init.as_of", lang), value=as_of.isoformat()),
        history,
        Field("met", t("init.met", lang, period=period.id), choices=_atoms(skb, period, lang)),
        f("top_annual_wage"),
        Field("workplace", t("init.workplace", lang, period=period.id), choices=_items(skb, period, lang)),
        f("collab_corp"),
        Field("pledged", t("init.pledged", lang, period=period.id), choices=_pledges(skb, period, lang)),
        f("effort"), f("guidance_done"), f("staff")))


def _atoms(kb: KB, period: Period, lang: str) -> tuple[Choice, ...]:
    """The requirement atoms that can be met in this period (composites follow from them)."""
    return tuple(Choice(r.id, r.label_ja if lang == "ja" else (r.label_en or r.label_ja))
                 for r in kb.requirements.values() if not r.composite and (not r.periods or period.id in r.periods))


def _items(kb: KB, period: Period, lang: str) -> tuple[Choice, ...]:
    def category(c):
        ja, en = kb.categories.get(c, (c, c))
        return ja if lang == "ja" else (en or ja)
    return tuple(Choice(it.number, it.label_ja, category(it.category)) for it in kb.items[period.item_list].values())


def _pledges(kb: KB, period: Period, lang: str) -> tuple[Choice, ...]:
    return tuple(Choice(p.id, t("init.pledge_choice", lang, label=kb.action_label(f"pledge.{p.id}", period, lang),
                                deadline=p.deadline.isoformat()))
                 for p in kb.pledges.get(period.id, ()))
