"""Warnings of the JSON contract (English sentences, kept stable for programs) in the reader's
language for the text views: each known sentence pattern maps to a catalogue key."""

from __future__ import annotations

import re

from carekb.i18n import t

# pattern of the contract's sentence -> catalogue key; named groups fill the message
PATTERNS = [
    (re.compile(r"rate for tier (?P<tier>\S+) rests on .*\((?P<conf>[^()]+)\)$"), "warn.rate_confidence"),
    (re.compile(r"rates unknown for (?P<service>\S+) in (?P<period>\S+) for tier\(s\) (?P<tiers>.*): "
                r"tiers are ordered by their nominal rank$"), "warn.rates_unknown"),
    (re.compile(r"tier (?P<tier>\S+) relies on an inferred exception \((?P<conf>[^()]+)\): (?P<label>.*)$"), "warn.exception"),
    (re.compile(r"the requirements of tier (?P<tier>\S+) are unconfirmed \(U\): (?P<note>.*)$"), "warn.unconfirmed"),
    (re.compile(r"history not given: .*$"), "warn.no_history"),
    (re.compile(r"pledge (?P<pledge>\S+) ignored \(--no-pledge\)$"), "warn.pledge_ignored"),
    (re.compile(r"pledge (?P<pledge>\S+) is not accepted in (?P<period>\S+) on (?P<date>\S+): ignored$"), "warn.pledge_late"),
    (re.compile(r"fewer than 10 regular employees: .*$"), "warn.small_office"),
    (re.compile(r"rules overlay in effect \(hypothetical facts for this run\): (?P<files>.*)$"), "warn.overlay"),
    (re.compile(r"gain of tier (?P<tier>\S+) unknown \(rate unknown\): not considered$"), "warn.gain_unknown"),
]


def localize(warning: str, lang: str, tier_name=lambda tid: tid, confidence_name=lambda c: c) -> str:
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
            if "conf" in groups:
                groups["conf_name"] = confidence_name(groups["conf"])
            return t(key, lang, **groups)
    return warning
