"""The result tables of a batch, row by row: summary (one row per office), actions (one row per
office × pledge mode × higher tier × missing action), errors; and the long form for Parquet (one
row per office × tier × pledge mode). Cells are typed: ids text, yen and counts numbers, dates dates,
states in words (取得済, 対象外, 到達不可). Headers and words in Japanese or English (`lang`).

`brief(ev)` is what a worker process sends back per office and mode: a compact tuple, not the
JSON dict (building and pickling that dict was most of the old batch's time)."""

from __future__ import annotations

from carekb.model.types import KB
from carekb.solver.gap import Evaluation, rank_tiers
from carekb.app.report import action_cited, action_info, money_view, pct, short_tier, unreachable_reason
from carekb.i18n import has, t
from carekb.i18n.warnings import localize, localize_reason
from carekb.solver.explain import field_label

# brief tuple: (highest, rate_pct, yen, warnings, attainable, targets);
# target: (tier, rate_pct, reachable, missing_count, yen_gain, uses_pledge, missing ids, reason)


def brief(ev: Evaluation) -> tuple:
    """The office's answer under one pledge mode, as the tables need it (warnings as `to_dict` has them)."""
    highest = ev.results.get(ev.highest) if ev.highest else None
    current, warnings, gains = money_view(ev)
    targets = []
    for tid in ev.targets:
        r = ev.results[tid]
        if not r.reachable:
            targets.append((tid, pct(r.rate), False, None, None, False, (), _reason(ev, r)))
        else:
            targets.append((tid, pct(r.rate), True, len(r.missing), gains[tid], r.uses_pledge, r.missing, ""))
    return (ev.highest, pct(highest.rate) if highest else None, current, tuple(warnings),
            tuple(ev.attainable), tuple(targets))


_reasons: dict = {}


def _reason(ev: Evaluation, r) -> str:
    """`report.unreachable_reason`, which depends only on the tier, the reason and the May-2024 history."""
    o = ev.office
    key = (ev.kb.cache_key, ev.period.id, r.tier.id, r.reason, o.shogu, o.tokutei, o.baseup)
    hit = _reasons.get(key)
    if hit is None:
        hit = _reasons[key] = unreachable_reason(ev, r)
    return hit


WORDS = {"ja": {"attained": "取得済", "below": "下位区分", "not_tier": "対象外", "unreachable": "到達不可",
                "counted": "誓約込み", "ignored": "誓約なし", "yes": "はい", "no": "いいえ"},
         "en": {"attained": "attained", "below": "below highest", "not_tier": "not a tier", "unreachable": "unreachable",
                "counted": "pledges counted", "ignored": "pledges ignored", "yes": "yes", "no": "no"}}


def _t(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


def tier_order(kb: KB, period_ids=None) -> list[str]:
    """Tier columns: the latest period's tiers first, each period's by the KB's nominal rank (highest
    first); with no periods named, those of every scheme."""
    kbs = [kb] if period_ids is not None else [kb, *(k for k in kb.schemes.values() if k is not kb)]
    out: list[str] = []
    for k in kbs:
        periods = sorted((p for p in k.periods.values() if period_ids is None or p.id in period_ids),
                         key=lambda p: p.valid_from, reverse=True)
        for p in periods:
            for t in sorted(k.tiers.get(p.id, {}).values(), key=lambda t: -t.rank):
                if t.id not in out:
                    out.append(t.id)
    return out


class Summary:
    """Headers, column kinds and rows of the summary: per mode the highest tier, rate and yen, then
    per tier (of `tiers`) the missing count (or a state in words) and the yen gain."""

    def __init__(self, kb: KB, tiers: list[str], modes: tuple[str, ...], lang: str = "ja"):
        self.kb, self.tiers, self.modes, self.lang = kb, tiers, modes, lang
        w = WORDS[lang]
        self.words = w
        self.headers = [_t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "事業所名", "name"),
                        _t(lang, "サービス", "service"), _t(lang, "ルール期間", "period"), _t(lang, "判定日", "as_of")]
        self.kinds = ["int", "id", "text", "text", "text", "date"]
        for m in modes:
            sfx = f" ({w[m]})" if len(modes) > 1 else ""
            self.headers += [_t(lang, "最上位区分", "highest") + sfx, _t(lang, "加算率", "rate_pct") + sfx,
                             _t(lang, "月額", "yen_per_month") + sfx]
            self.kinds += ["text", "pct", "yen"]
            for tid in tiers:
                name = short_tier(tid, lang)
                self.headers += [_t(lang, f"{name} 不足件数", f"{name} missing") + sfx,
                                 _t(lang, f"{name} 月額増加", f"{name} yen gain") + sfx]
                self.kinds += ["int", "yen"]
        self.headers.append(_t(lang, "注記", "notes"))
        self.kinds.append("wrap")
        self._service_tiers: dict = {}
        self._notes: dict = {}      # (service, warning) -> the warning in `lang`: each distinct one localised once

    def row(self, r) -> list:
        kb, lang, w = self.kb, self.lang, self.words
        svc = kb.services[r.service]
        out = [r.row, r.office_id or None, r.office_name or None, svc.label_ja if lang == "ja" else svc.label_en,
               r.period, r.as_of]
        own = self.own_tiers(r.period, r.service)
        for b in r.modes:
            highest, rate, yen, warnings, attainable, targets = b
            out += [short_tier(highest, lang), rate, yen]
            by_tier = {t[0]: t for t in targets}
            for tid in self.tiers:
                t = by_tier.get(tid)
                if tid not in own:
                    out += [w["not_tier"], None]
                elif t is None:
                    out += [w["attained"] if tid in attainable else w["below"], None]
                elif not t[2]:
                    out += [w["unreachable"], None]
                else:
                    out += [t[3], t[4]]
        out.append(self.notes(r.service, [b[3] for b in r.modes]))
        return out

    def own_tiers(self, period: str, service: str) -> set[str]:
        """The tiers the service has in the period (the others are 対象外)."""
        key = (period, service)
        own = self._service_tiers.get(key)
        if own is None:
            okb = self.kb.for_service(service)
            own = self._service_tiers[key] = {t.id for t in rank_tiers(okb, okb.periods[period], service)[0]}
        return own

    def notes(self, service: str, warnings) -> str | None:
        """The notes cell: each mode's warnings (a list per mode), each once, in `lang`."""
        notes = []
        for w in warnings:
            notes += [x for x in w if x not in notes]
        return "; ".join(self._note(service, x) for x in notes) or None

    def _note(self, service: str, warning: str) -> str:
        """A solver warning (English in the contract) as the gap text view words it in `lang`."""
        if self.lang == "en":
            return warning
        key = (service, warning)
        hit = self._notes.get(key)
        if hit is None:
            lang, okb = self.lang, self.kb.for_service(service)

            def service_name(sid):
                svc = okb.services.get(sid)
                return svc.label_ja if svc else sid

            hit = self._notes[key] = localize(
                warning, lang, lambda tid: short_tier(tid, lang),
                lambda c: t(f"confidence.{c}", lang) if has(f"confidence.{c}") else c, service_name, kb=okb)
        return hit


class Actions:
    """Rows of missing actions, with labels, category, source and confidence prepared once per action."""

    def __init__(self, kb: KB, lang: str = "ja"):
        self.kb, self.lang = kb, lang
        self.headers = [_t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "事業所名", "name"),
                        _t(lang, "サービス", "service"), _t(lang, "ルール期間", "period"), _t(lang, "誓約の扱い", "pledges"),
                        _t(lang, "目標区分", "target"), _t(lang, "区分ID", "target_id"), _t(lang, "加算率", "rate_pct"),
                        _t(lang, "不足件数", "missing_count"), _t(lang, "月額増加", "yen_gain"),
                        _t(lang, "誓約を含む", "uses_pledge"), _t(lang, "取組ID", "action"), _t(lang, "取組", "label"),
                        _t(lang, "分類", "category"), _t(lang, "出典", "source"), _t(lang, "確度", "confidence")]
        self.kinds = ["int", "id", "text", "text", "text", "text", "text", "text", "pct", "int", "yen", "text", "text",
                      "text", "text", "text", "text"]
        self._labels: dict = {}
        self._services: dict = {}
        self._reasons: dict = {}

    def reason(self, reason: str) -> str:
        """Why a tier is unreachable, in the sheet's language (memo: few distinct reasons per run)."""
        hit = self._reasons.get(reason)
        if hit is None:
            hit = self._reasons[reason] = localize_reason(reason, self.lang, lambda k: field_label(self.kb, k, self.lang))
        return hit

    def rows(self, r, modes: tuple[str, ...]):
        lang, w = self.lang, WORDS[self.lang]
        svc = self._services.get(r.service)
        if svc is None:
            s = self.kb.services[r.service]
            svc = self._services[r.service] = s.label_ja if lang == "ja" else s.label_en
        head = [r.row, r.office_id or None, r.office_name or None, svc, r.period]
        for m, b in zip(modes, r.modes):
            hm = head + [w[m]]
            for tid, rate, reachable, count, gain, uses_pledge, missing, reason in b[5]:
                tier = [short_tier(tid, lang), tid, rate]
                if not reachable:
                    yield hm + tier + [None, None, None, None, w["unreachable"] + ": " + self.reason(reason), None, None, None]
                    continue
                lead = hm + tier + [count, gain, w["yes"] if uses_pledge else w["no"]]
                for a in missing:
                    yield lead + self.label_cells(r.service, r.period, a)

    def label_cells(self, service: str, period_id: str, action: str) -> list:
        """The action's last five cells: id, label, category, source, confidence."""
        key = (self.kb.for_service(service).scheme, period_id, action)
        out = self._labels.get(key)
        if out is None:
            kb, lang = self.kb.for_service(service), self.lang
            period = kb.periods[period_id]
            info = action_info(_Ev(kb, period), action)
            out = self._labels[key] = [action, info["label_ja"] if lang == "ja" else info["label_en"],
                                       _category(kb, info, lang), action_cited(kb, period_id, action).text(lang),
                                       info["confidence"]]
        return out


class _Ev:
    """The two attributes `report.action_info` reads from an Evaluation."""
    def __init__(self, kb, period):
        self.kb, self.period = kb, period


def _category(kb: KB, action: dict, lang: str) -> str:
    kind = action["id"].partition(".")[0]
    if kind == "workplace":
        ja, en = kb.categories.get(action.get("category"), (action.get("category"), action.get("category")))
        return _t(lang, f"職場環境等要件: {ja}", f"workplace: {en}")
    if kind == "pledge":
        return _t(lang, "誓約", "pledge")
    return _t(lang, "要件", "requirement")


def errors_headers(lang: str = "ja") -> list[str]:
    return [_t(lang, "ファイル", "file"), _t(lang, "行", "row"), _t(lang, "事業所番号", "id"), _t(lang, "エラー", "error")]


ERRORS_KINDS = ["text", "int", "id", "wrap"]


def error_row(e) -> list:
    return [e.source, e.row, e.office or None, e.message]
