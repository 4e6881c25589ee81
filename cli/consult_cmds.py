"""Consultant commands: whatif (changed profile, other periods, rule overlays) and plan (effort, budget)."""

from __future__ import annotations

import json

import click

from carekb.app import api
from carekb.app.report import short_tier
from carekb.cli.common import (AS_OF_OPTION, FORMAT_OPTION, LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, RATES_OPTION,
                               READING_OPTION, as_of_date,
                               echo_json, handles_errors, load_rules, table)
from carekb.cli.group import main
from carekb.i18n import t
from carekb.render.width import fit
from carekb.cli.office_cmds import PROFILE_ARG, date_line, office_line, read_office, warnings_text, yen


# --------------------------------------------------------------------------- rendering

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


def side_by_side(columns: list[tuple[str, object, dict]], lang: str) -> str:
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
    tiers = list(dict.fromkeys(t for _, ev, _ in columns for t in ev.results))
    never = {"", "到達不可", "unreachable"}
    hidden = [t for t in tiers if all(tier_state(ev, t, lang) in never for _, ev, _ in columns)]
    for t in tiers:
        if t not in hidden:  # e.g. the 14 Ⅴ tiers of R6 that the office's May-2024 history rules out
            rows.append([short_tier(t, lang)] + [tier_state(ev, t, lang) for _, ev, _ in columns])
    if hidden:
        rows.append(["到達不可" if ja else "unreachable"] + [
            f"{sum(1 for t in hidden if t in ev.results)}" + ("区分" if ja else " tiers") for _, ev, _ in columns])
    return table(rows, [""] + [name for name, _, _ in columns])


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


# --------------------------------------------------------------------------- whatif

@main.command()
@PROFILE_ARG
@click.option("--add", "adds", multiple=True, metavar="ACTION",
              help="Put an action in place: a requirement atom (→ met), workplace.N (→ workplace), pledge.X (→ pledged).")
@click.option("--remove", "removes", multiple=True, metavar="ACTION", help="Take an action away (same ids as --add).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Set a profile key; the value is read as YAML (top_annual_wage=4700000, office.region=3級地, "
                   "history.shogu=none, workplace=[1,3,18], as_of=2026-06-01).")
@click.option("--compare-periods", "periods", metavar="P1,P2,...",
              help="Evaluate the (changed) profile under each period's rules, side by side (e.g. R7,R8).")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def whatif(profile, adds, removes, sets, periods, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """What if the office changed, or the rules did: before and after side by side.

    \b
    The changes are applied to the profile's data and checked like a file (same messages).
    --as-of evaluates both sides on that date; --set as_of=… moves only the "after" side.
    Shown: date, rule period, highest tier, rate, yen a month and a year, each tier's missing
    actions, and the change (e.g. "Ⅲ → Ⅱ, +18,648円/月").

    \b
    --compare-periods R7,R8 evaluates the profile under each period's rules, on the profile's
    date clipped into that period (its first day if the date is earlier, its last if later;
    the table shows the date used). Workplace item numbers carry over only between periods that
    share an item list (R7 and R8 do; R6 numbers its 25 items differently): otherwise it stops
    with an error rather than renumber the items by guess.

    \b
    Examples:
      carekb whatif examples/r7-after-school-day.yaml --add cp4 --add visibility
      carekb whatif examples/r7-after-school-day.yaml --set top_annual_wage=4700000 --remove visibility
      carekb whatif examples/r7-after-school-day.yaml --compare-periods R7,R8
      carekb whatif examples/r7-after-school-day.yaml --as-of 2026-07-01 \\
          --rules-overlay examples/overlays/hypothetical-r8-rate.ttl --add cp5
    """
    kb = load_rules(None, overlays)
    result = api.whatif(read_office(profile, kb), add=adds, remove=removes, set=sets, compare_periods=periods,
                        as_of=as_of_date(as_of), no_pledge=no_pledge, kb=kb, rates=rates, reading=reading)
    data, columns = result.to_dict(), result.context
    if fmt == "json":
        echo_json(data)
        return
    ja = lang == "ja"
    first, last = columns[0][2], columns[-1][2]
    if periods:
        out = [office_line(kb, columns[0][1].office, lang),
               ("プロファイルの判定日: " if ja else "Profile date: ") + data["as_of_requested"]
               + ("（各期間内に収めた日付で判定）" if ja else " (each period is evaluated on this date clipped into it)"),
               f"KB: {kb.version}", "", side_by_side(columns, lang), "", delta_text(first, last, data["delta"], lang)]
        if data["changes"]:
            out.append(changes_text(data["changes"], lang))
    else:
        names = {"before": "変更前" if ja else "before", "after": "変更後" if ja else "after"}
        cols = [(names[n], ev, d) for n, ev, d in columns]
        out = [office_line(kb, columns[0][1].office, lang), f"KB: {kb.version}", "", side_by_side(cols, lang), "",
               delta_text(first, last, data["delta"], lang), changes_text(data["changes"], lang)]
    out.append(warnings_text(data, lang))
    click.echo(fit("\n".join(x for x in out if x is not None)))


# --------------------------------------------------------------------------- plan

@main.command()
@PROFILE_ARG
@click.option("--budget", type=click.IntRange(min=0), metavar="N",
              help="Total effort available (same units as `effort`; default: unlimited).")
@click.option("--effort", "effort_file", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Effort per action: columns action,effort (or 取組,工数), UTF-8 or Shift_JIS. Overrides the "
                   "profile's effort: for the actions it names; others keep the profile's value (default 1).")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def plan(profile, budget, effort_file, as_of, no_pledge, fmt, lang, overlays, rates, reading):
    """Which higher tier pays best within an effort budget, and the order to get there.

    \b
    For every tier above the current one: its minimum effort (exact) and its gain over the
    current tier, in yen a month and a year (or, where yen cannot be computed, in rate points,
    with a warning). The chosen tier has the largest gain among those whose minimum effort is
    at most --budget (ties: less effort). A budget equal to a tier's effort reaches it.

    \b
    Next steps: the chosen tier's actions in stages. A stage is the cheapest group of the
    plan's remaining actions that completes some tier above the one reached so far; stages are
    chosen greedily by the gain they add per unit of effort. Gain is credited to a whole stage:
    one action alone earns nothing until its stage's tier is complete.

    \b
    Examples:
      carekb plan examples/r7-after-school-day.yaml
      carekb plan examples/r7-after-school-day.yaml --budget 3 --effort examples/effort.csv
    """
    kb = load_rules(None, overlays)
    result = api.plan(read_office(profile, kb), budget=budget, effort=effort_file, as_of=as_of_date(as_of),
                      no_pledge=no_pledge, kb=kb, rates=rates, reading=reading)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    office, period = result.context
    click.echo(fit(plan_text(kb, office, period, result.to_dict(), lang)))


def plan_text(kb, office, period, r: dict, lang: str) -> str:
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
                         ["tier", "rate", "min. effort", "gain/month" if money else "rate gain", "gain/year", "in budget"]))
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
                             ["ID", "取組" if ja else "action", "工数" if ja else "effort"]))
    out.append(warnings_text(r, lang))
    return "\n".join(out).rstrip()
