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
             service_name=lambda sid: sid) -> str:
    """`warning` in `lang`; a sentence no pattern knows is shown as it is."""
    if lang == "en":
        return warning
    for pattern, key in PATTERNS:
        m = pattern.match(warning)
        if m:
            groups = m.groupdict()
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


# the office facts a reachability condition names, as a Japanese form calls them
FACTS_JA = {"history.shogu": "旧処遇改善加算", "history.tokutei": "旧特定処遇改善加算", "history.baseup": "旧ベースアップ等支援加算",
            "shogu": "旧処遇改善加算", "tokutei": "旧特定処遇改善加算", "baseup": "旧ベースアップ等支援加算"}
_REASON = re.compile(r"requires the additions held in May 2024 to be: (?P<need>.*); this office: (?P<office>.*)$")


def localize_reason(reason: str, lang: str) -> str:
    """Why a tier is unreachable (the contract's English sentence) in `lang`."""
    m = _REASON.match(reason or "")
    if lang == "en" or not m:
        return reason
    return t("reason.history", lang, need=_facts(m["need"], " and "), office=_facts(m["office"], ", "))


def _facts(text: str, sep: str) -> str:
    out = []
    for part in text.split(sep):
        name, _, value = part.replace(" = ", "=").partition("=")
        value = {"false": "なし", "true": "あり", "0": "なし"}.get(value.strip(), value.strip())
        out.append(f"{FACTS_JA.get(name.strip(), name.strip())} {value}")
    return "、".join(out)
