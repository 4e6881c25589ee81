"""Warnings of the JSON contract (English sentences, kept stable for programs) in the reader's
language for the text views: each known sentence pattern maps to a catalogue key."""

from __future__ import annotations

import re

from carekb.i18n import t

# pattern of the contract's sentence -> catalogue key; named groups fill the message
PATTERNS = [
    (re.compile(r"rate for tier (?P<tier>\S+) rests on .*\((?P<conf>[^()]+)\)$"), "warn.rate_confidence"),
    (re.compile(r"rate for tier (?P<tier>\S+) is user-supplied: (?P<pct>[\d.]+)% \((?P<source>.*)\)$"), "warn.rate_user"),
    (re.compile(r"rate for tier (?P<tier>\S+) is unknown for (?P<service>\S+) in (?P<period>\S+)$"), "warn.rate_unknown"),
    (re.compile(r"rates unknown for (?P<service>\S+) in (?P<period>\S+) for tier\(s\) (?P<tiers>.*): "
                r"tiers are ordered by their nominal rank$"), "warn.rates_unknown"),
    (re.compile(r"tier (?P<tier>\S+) relies on an inferred exception \((?P<conf>[^()]+)\): (?P<label>.*)$"), "warn.exception"),
    (re.compile(r"the requirements of tier (?P<tier>\S+) are unconfirmed \(U\): (?P<note>.*)$"), "warn.unconfirmed"),
    (re.compile(r"history not given: .*$"), "warn.no_history"),
    (re.compile(r"pledge (?P<pledge>\S+) ignored \(--no-pledge\)$"), "warn.pledge_ignored"),
    (re.compile(r"pledge (?P<pledge>\S+) is not accepted in (?P<period>\S+) on (?P<date>\S+): ignored$"), "warn.pledge_late"),
    (re.compile(r"fewer than 10 regular employees: .*$"), "warn.small_office"),
    (re.compile(r"rules overlay in effect \(hypothetical facts for this run\): (?P<files>.*)$"), "warn.overlay"),
    (re.compile(r"yen for tier (?P<tier>\S+): unit price unknown for (?P<service>\S+) in (?P<grade>\S+)$"), "warn.price_unknown"),
    (re.compile(r"yen for tier (?P<tier>\S+): rate unknown$"), "warn.yen_rate_unknown"),
    (re.compile(r"yen for the current tier: rate unknown$"), "warn.yen_current_rate_unknown"),
    (re.compile(r"yen for the current tier: unit price unknown for (?P<service>\S+) in (?P<grade>\S+)$"),
     "warn.yen_current_price_unknown"),
    (re.compile(r"yen unknown \(office\.region, office\.monthly_units or the unit price missing\): gains are in rate points \(%\)$"),
     "warn.gains_in_points"),
    (re.compile(r"gain of tier (?P<tier>\S+) unknown \(rate unknown\): not considered$"), "warn.gain_unknown"),
    (re.compile(r"guidance checklist \((?P<source>[^()]*)\) applies to this service: (?P<count>\d+) open items "
                r"\(carekb guidance PROFILE\)$"), "warn.guidance_checklist"),
]


def localize(warning: str, lang: str, tier_name=lambda tid: tid, confidence_name=lambda c: c,
             service_name=lambda sid: sid, kb=None) -> str:
    """`warning` in `lang`; a sentence no pattern knows is shown as it is.  With the `kb` the
    sentence came from, the KB texts it quotes (an exception's label, a tier's note) are given in
    `lang` too, from the KB's own Japanese literals."""
    if lang == "en":
        return warning
    for pattern, key in PATTERNS:
        m = pattern.match(warning)
        if m:
            groups = m.groupdict()
            for quoted in ("label", "note"):
                if quoted in groups and kb is not None:
                    groups[quoted] = kb_text_ja(kb, groups[quoted])
            if "tier" in groups:
                groups["tier"] = tier_name(groups["tier"])
            if "tiers" in groups:
                groups["tiers"] = "、".join(tier_name(x.strip()) for x in groups["tiers"].split(","))
            if "service" in groups:
                groups["service"] = service_name(groups["service"])
            if "conf" in groups:
                groups["conf_name"] = confidence_name(groups["conf"])
            return t(key, lang, **groups)
    return warning


def kb_text_ja(kb, text: str) -> str:
    """The Japanese of an English text the KB gives in both languages (exception labels, tier
    notes); the text itself when the KB has no Japanese for it."""
    for scheme in list(kb.schemes.values()) or [kb]:   # any scheme's KB will do: the text names its own
        for x in scheme.exceptions:
            if x.label_en == text:
                return x.label_ja
        for tiers in scheme.tiers.values():
            for tier in tiers.values():
                if tier.note == text and tier.note_ja:
                    return tier.note_ja
    return text


_REASON = re.compile(r"requires the additions held in May 2024 to be: (?P<need>.*); this office: (?P<office>.*)$")


def localize_reason(reason: str, lang: str, fact_name=lambda key: key) -> str:
    """Why a tier is unreachable (the contract's English sentence) in `lang`.  `fact_name` names a
    profile key (history.shogu) as the reader knows it: the KB vocabulary's label, from the caller
    (this layer cannot read the profile keys' properties)."""
    m = _REASON.match(reason or "")
    if lang == "en" or not m:
        return reason
    return t("reason.history", lang, need=_facts(m["need"], " and ", fact_name, lang),
             office=_facts(m["office"], ", ", fact_name, lang))


def _facts(text: str, sep: str, fact_name, lang: str) -> str:
    held = {"false": "explain.cond.none", "0": "explain.cond.none", "none": "explain.cond.none", "true": "explain.held"}
    out = []
    for part in text.split(sep):
        name, _, value = part.replace(" = ", "=").partition("=")
        name, value = name.strip(), value.strip()
        key = name if "." in name else f"history.{name}"   # "this office: shogu=2, …" names the history keys bare
        out.append(f"{fact_name(key)} {t(held[value], lang) if value in held else value}")
    return t("explain.part_sep", lang).join(out)
