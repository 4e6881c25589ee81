"""The text views of the consultant commands — whatif (side by side) and plan (stages) — exactly as
`carekb … --format table` prints them.  `width` as in carekb/render/office_text.py (None: the
terminal's, 0: never fold, N: N columns)."""

from __future__ import annotations

import json

from carekb.app.report import short_tier
from carekb.i18n import t
from carekb.render.office_text import date_line, office_line, warnings_text, yen
from carekb.render.table import table
from carekb.render.width import fit


# --------------------------------------------------------------------------- whatif

def tier_state(ev, tid: str, lang: str) -> str:
    ja = lang == "ja"
    r = ev.results.get(tid)
    if r is None:
        return ""
    if r.attained:
        return "取得可" if ja else "attained"
    if not r.reachable:
        return "到達不可" if ja else "unreachable"
    return f"不足 {len(r.missing)}" if ja else f"{len(r.missing)} missing"


def side_by_side(columns: list[tuple[str, object, dict]], lang: str, width: int | None = None) -> str:
    """One column per evaluation (name, Evaluation, to_dict): date, period, tier, rate, yen, each tier's gap."""
    ja = lang == "ja"
    rows = [["判定日" if ja else "as of"] + [d["as_of"] for _, _, d in columns],
            ["ルール期間" if ja else "rule period"] + [d["period"] for _, _, d in columns],
            ["最上位区分" if ja else "highest tier"] + [short_tier(d["highest"], lang) for _, _, d in columns],
            ["加算率" if ja else "rate"] + [f"{d['rate_pct']}%" if d["rate_pct"] is not None else
                                            ("—" if d["highest"] is None else ("不明" if ja else "unknown"))
                                            for _, _, d in columns],
            ["月額" if ja else "yen a month"] + [yen(d["yen_per_month"], lang) for _, _, d in columns],
            ["年額" if ja else "yen a year"] + [yen(None if d["yen_per_month"] is None else 12 * d["yen_per_month"], lang)
                                               for _, _, d in columns]]
    tiers = list(dict.fromkeys(tid for _, ev, _ in columns for tid in ev.results))
    never = {"", "到達不可", "unreachable"}
    hidden = [tid for tid in tiers if all(tier_state(ev, tid, lang) in never for _, ev, _ in columns)]
    for tid in tiers:
        if tid not in hidden:  # e.g. the 14 Ⅴ tiers of R6 that the office's May-2024 history rules out
            rows.append([short_tier(tid, lang)] + [tier_state(ev, tid, lang) for _, ev, _ in columns])
    if hidden:
        rows.append(["到達不可" if ja else "unreachable"] + [
            f"{sum(1 for tid in hidden if tid in ev.results)}" + ("区分" if ja else " tiers") for _, ev, _ in columns])
    return table(rows, [""] + [name for name, _, _ in columns], max_width=width)


def delta_text(before: dict, after: dict, delta: dict, lang: str) -> str:
    ja = lang == "ja"
    text = f"{short_tier(before['highest'], lang)} → {short_tier(after['highest'], lang)}"
    if delta["yen_per_month"] is not None:
        text += (f", {yen(delta['yen_per_month'], lang, True)}/月（{yen(delta['yen_per_year'], lang, True)}/年）" if ja
                 else f", {yen(delta['yen_per_month'], lang, True)}/month ({yen(delta['yen_per_year'], lang, True)}/year)")
    elif delta["rate_pct"] is not None:
        text += f", 加算率 {delta['rate_pct']:+}ポイント" if ja else f", rate {delta['rate_pct']:+} points"
    else:
        text += "（金額不明）" if ja else " (amount unknown)"
    return ("差: " if ja else "Change: ") + text


def changes_text(changes: list[dict], lang: str) -> str:
    ja = lang == "ja"
    parts = []
    for c in changes:
        if c["op"] == "set":
            parts.append(f"{c['key']}: {shown(c['old'])} → {shown(c['new'])}")
        else:
            parts.append(("+" if c["op"] == "add" else "−") + c["action"] + (f" ({c['note']})" if c.get("note") else ""))
    return ("変更: " if ja else "Changes: ") + "; ".join(parts)


def shown(value) -> str:
    """A --set value as the user would write it (dates as YYYY-MM-DD, none for a missing key)."""
    return "none" if value is None else json.dumps(value, ensure_ascii=False, default=str).strip('"')


def whatif_text(result, kb, lang: str = "ja", width: int | None = None) -> str:
    """`carekb whatif`: before/after (or one column per --compare-periods period) side by side, the
    change and what was changed.  `kb`: the KB the request loaded (its version is shown)."""
    data, columns = result.to_dict(), result.context
    ja = lang == "ja"
    first, last = columns[0][2], columns[-1][2]
    if "periods" in data:   # --compare-periods: one column per period
        out = [office_line(kb, columns[0][1].office, lang),
               ("プロファイルの判定日: " if ja else "Profile date: ") + data["as_of_requested"]
               + ("（各期間内に収めた日付で判定）" if ja else " (each period is evaluated on this date clipped into it)"),
               f"KB: {kb.version}", "", side_by_side(columns, lang, width), "", delta_text(first, last, data["delta"], lang)]
        if data["changes"]:
            out.append(changes_text(data["changes"], lang))
    else:
        names = {"before": "変更前" if ja else "before", "after": "変更後" if ja else "after"}
        cols = [(names[n], ev, d) for n, ev, d in columns]
        out = [office_line(kb, columns[0][1].office, lang), f"KB: {kb.version}", "", side_by_side(cols, lang, width), "",
               delta_text(first, last, data["delta"], lang), changes_text(data["changes"], lang)]
    out.append(warnings_text(data, lang, kb))
    return fit("\n".join(x for x in out if x is not None), width)


# --------------------------------------------------------------------------- plan

def plan_text(result, kb, lang: str = "ja", width: int | None = None) -> str:
    """`carekb plan`: the options above the current tier, the recommendation and its stages."""
    office, period = result.context
    r = result.to_dict()
    ja = lang == "ja"
    money = r["gain_basis"] == "yen"

    def gain(v):
        if v is None:
            return "不明" if ja else "unknown"
        return yen(v, lang, True) if money else f"{v:+}pt"

    current = short_tier(r["highest"], lang) + (f" ({r['rate_pct']}%)" if r["rate_pct"] is not None else "")
    out = [office_line(kb, office, lang),
           date_line(r["as_of"], period, r["kb_version"], lang),
           ("現在の区分: " if ja else "Current tier: ") + current
           + (("  月額 " if ja else "  ") + yen(r["yen_per_month"], lang) if r["yen_per_month"] is not None else ""),
           ("予算（工数）: " if ja else "Budget (effort): ")
           + (str(r["budget"]) if r["budget"] is not None else ("制限なし" if ja else "unlimited")), ""]
    if not r["options"]:
        out.append("これより上位の区分はありません。" if ja else "No higher tier.")
    rows = []
    for o in r["options"]:
        rate = f"{o['rate_pct']}%" if o["rate_pct"] is not None else ("不明" if ja else "unknown")
        if not o["reachable"]:
            rows.append([short_tier(o["tier"], lang), rate, "", "", "", "到達不可" if ja else "unreachable"])
            continue
        year = yen(o["yen_per_year_gain"], lang, True) if money else "—"
        rows.append([short_tier(o["tier"], lang), rate, o["effort"], gain(o["gain"]), year,
                     ("○" if o["within_budget"] else "×")])
    if rows:
        out.append(table(rows, ["区分", "加算率", "最小工数", "月額増" if money else "加算率増", "年額増", "予算内"] if ja else
                         ["tier", "rate", "min. effort", "gain/month" if money else "rate gain", "gain/year", "in budget"],
                         max_width=width))
    if r["chosen"] is None:
        unknown = [o for o in r["options"] if o["reachable"] and o["within_budget"] and o["gain"] is None]
        if unknown:   # unknown is not zero: say why no tier was chosen
            out.append("\n" + t("plan.gain_unknown", lang, tiers="、".join(short_tier(o["tier"], lang) for o in unknown)))
        elif r["options"]:
            out.append("\n" + ("予算内で増収となる区分はありません。" if ja else "No tier with a gain fits the budget."))
    else:
        out.append("\n" + (f"推奨: {short_tier(r['chosen'], lang)}（工数 {r['chosen_effort']}、{'月額 ' if money else ''}"
                           f"{gain(r['chosen_gain'])}）" if ja else
                           f"Recommended: {short_tier(r['chosen'], lang)} (effort {r['chosen_effort']}, "
                           f"{gain(r['chosen_gain'])}{' a month' if money else ''})"))
        out.append("\n" + ("次の一手（段階ごと、追加の増収 ÷ 工数 の大きい順）:" if ja else
                           "Next steps (in stages, by gain added per unit of effort):"))
        for s in r["next_steps"]:
            per = (yen(round(s["gain_per_effort"]), lang) if money else f"{s['gain_per_effort']}pt")
            out.append((f"{s['step']}. {short_tier(s['reaches'], lang)} に到達 — 工数 {s['effort']}（累計 {s['cumulative_effort']}）、"
                        f"増収 {gain(s['gain_added'])}、1工数あたり {per}") if ja else
                       (f"{s['step']}. reach {short_tier(s['reaches'], lang)} — effort {s['effort']} (total "
                        f"{s['cumulative_effort']}), gain {gain(s['gain_added'])}, {per} per unit of effort"))
            out.append(table([[a["id"], a["label_ja"] if ja else a["label_en"], a["effort"]] for a in s["actions"]],
                             ["ID", "取組" if ja else "action", "工数" if ja else "effort"], max_width=width))
    out.append(warnings_text(r, lang, kb))
    return fit("\n".join(out).rstrip(), width)
