"""User-supplied rates (`--rates FILE.csv`): period,service,tier,rate_pct[,source].

For a consultant who holds the 告示 when the KB does not know a rate (most R8 services): each row
sets the rate of one (period, service, tier) for this run.  The file is read like every table
(UTF-8 with or without BOM, or Shift_JIS; blank rows and rows starting with '#' skipped); a bad
row stops the run with `FILE: row N: …`.  A rate from the file is marked as user-supplied
(confidence `user`) with the row's source, and the KB version gains the file's hash, so that no
answer computed with it passes for one of the KB alone.  `carekb services --unknown-rates` writes
the rows the KB lacks in the same columns.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB, Cited, Rate
from carekb.inputs import normalize
from carekb.inputs.tabular import read_csv

COLUMNS = ("period", "service", "tier", "rate_pct", "source")
REQUIRED = COLUMNS[:4]
WITH_RATES = "_with_user_rates"   # attribute of a loaded KB: its copies with rates files, by (path, hash)
USER = "user"   # the confidence of a user-supplied rate: below every level of the KB's scale


@dataclasses.dataclass(frozen=True)
class UserRate:
    period: str
    service: str
    tier: str
    pct: Decimal
    source: str
    row: int


def read_rates_csv(path: str | Path, kb: KB) -> list[UserRate]:
    """The rows of a rates file, checked against the KB (period, service, tier of that service, 0 < rate < 100)."""
    source = str(path)
    sheet, _ = read_csv(path)
    header = [h.strip().lower() for h in sheet.header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CarekbError(t("inputs.rates.header", required=",".join(REQUIRED), missing=",".join(missing),
                            got=repr(",".join(sheet.header))), source, t("inputs.place.row", row=sheet.header_row))
    col = {c: header.index(c) for c in COLUMNS if c in header}
    out: list[UserRate] = []
    seen: dict[tuple, int] = {}
    for n, cells in sheet.rows:
        place = t("inputs.place.row", row=n)
        value = {c: ("" if cells[i] is None else str(cells[i]).strip()) for c, i in col.items()}
        for c in REQUIRED:
            if not value[c]:
                raise CarekbError(t("inputs.rates.empty_cell", column=c), source, place)
        period = value["period"]
        service = normalize.service(kb, value["service"], source, place)
        scheme_kb = kb.for_service(service)
        if period not in scheme_kb.periods:
            raise CarekbError(t("inputs.rates.unknown_period", period=period, periods=", ".join(scheme_kb.periods)), source, place)
        tiers = {t.id: t for t in scheme_kb.tiers_for(period, service)}
        if not tiers:
            raise CarekbError(t("inputs.rates.no_tier", service=service, period=period), source, place)
        tier = normalize.tier(value["tier"], tiers, source, place, None, scheme_kb.tiers.get(period, {}))
        pct = _percent(value["rate_pct"], source, place)
        key = (period, service, tier)
        if key in seen:
            raise CarekbError(t("inputs.rates.twice", period=period, service=service, tier=tier, row=seen[key]), source, place)
        seen[key] = n
        out.append(UserRate(period, service, tier, pct, value.get("source", ""), n))
    if not out:
        raise CarekbError(t("inputs.rates.no_rows"), source)
    return out


def _percent(text: str, source: str, place: str) -> Decimal:
    s = text.replace("％", "%").removesuffix("%").strip()
    try:
        d = Decimal(s)
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or not (0 < d < 100):
        raise CarekbError(t("inputs.rates.bad_pct", got=repr(text)), source, place)
    return d


def file_hash(path: str | Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError as e:
        raise CarekbError(t("inputs.cannot_read", why=e.strerror), str(path)) from None


def with_user_rates(kb: KB, path: str | Path) -> KB:
    """The KB with the file's rates in force (they replace the KB's for the rows they name).

    Every scheme's KB is copied so that `kb.for_service` finds the rates whichever scheme the
    office belongs to; each copy's version ends with `+rates-<hash of the file>`."""
    digest = file_hash(path)
    cache = kb.__dict__.setdefault(WITH_RATES, {})  # the solver keeps its state on the KB object: reuse it
    if (str(path), digest) in cache:
        return cache[(str(path), digest)]
    rows = read_rates_csv(path, kb)
    name = Path(path).name
    suffix = f"+rates-{digest}"
    schemes = kb.schemes or {kb.scheme: kb}
    copies = {}
    for sid, skb in schemes.items():
        rates = dict(skb.rates)
        for u in rows:
            if kb.services[u.service].scheme not in ("", sid):
                continue  # another scheme's service: its rate goes to that scheme's KB
            rates[(u.period, u.service, u.tier)] = Rate(u.pct, Cited(
                (u.source or name,), f"{name} row {u.row}", USER, "user-supplied rate (--rates)"))
        copies[sid] = dataclasses.replace(skb, rates=rates, version=skb.version + suffix,
                                          user_rates=skb.user_rates + (str(path),))
    for c in copies.values():
        c.schemes = dict(copies) if kb.schemes else {}
    out = copies[kb.scheme] if kb.schemes else copies[next(iter(copies))]
    cache[(str(path), digest)] = out
    return out


def unknown_rates_csv(kb: KB, period: str | None = None) -> str:
    """The (period, service, tier) rows whose rate the KB does not know, as a rates CSV to fill in."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in unknown_rates(kb, period):
        w.writerow(list(row) + ["", ""])
    return buf.getvalue()


def unknown_rates(kb: KB, period: str | None = None) -> list[tuple[str, str, str]]:
    """Every (period, service, tier) of this scheme whose rate is unknown (the service's tiers of each period)."""
    out = []
    for pid in kb.periods:
        if period and pid != period:
            continue
        for svc in kb.own_services().values():
            for t in sorted(kb.tiers_for(pid, svc.id), key=lambda t: -t.rank):
                if (pid, svc.id, t.id) not in kb.rates:
                    out.append((pid, svc.id, t.id))
    return out
