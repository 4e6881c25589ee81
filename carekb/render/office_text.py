"""The text views of one office's evaluation — gap, tiers, explain — exactly as `carekb … --format
table` prints them, for the CLI and the web page alike.  Each takes the application result
(carekb/app/results.py: its dict and `.context`) and returns text.

`width`: None fits the terminal (width.terminal_columns: COLUMNS, the tty, --wide), 0 never folds,
N folds tables and prose to N columns (the web page's choice)."""

from __future__ import annotations

from carekb.app.readings import differs_line
from carekb.app.report import short_tier
from carekb.i18n import has, t
from carekb.i18n.warnings import localize, localize_reason
from carekb.render.table import table
from carekb.render.width import fit


def office_line(kb, office, lang: str) -> str:
    svc = kb.services[office.service]
    name = f"{office.name} ({office.id})" if office.name and office.id else office.label()
    return (f"事業所: {name}（{svc.label_ja}）" if lang == "ja" else f"Office: {office.label()} ({svc.label_en})")


def date_line(as_of, period, kb_version: str, lang: str) -> str:
    if lang == "ja":
        return f"判定日: {as_of}  ルール期間: {period.id} {period.label_ja}  KB: {kb_version}"
    return f"As of: {as_of}  rule period: {period.id} {period.label_en}  KB: {kb_version}"


def header(ev, lang: str) -> str:
    highest = ("取得可能な最上位区分: " if lang == "ja" else "Highest attainable tier: ") + short_tier(ev.highest, lang)
    return "\n".join([office_line(ev.kb, ev.office, lang), date_line(ev.office.as_of, ev.period, ev.kb.version, lang),
                      highest + rate_text(ev, ev.highest, lang)])


def rate_text(ev, tid, lang: str = "ja") -> str:
    if tid is None:
        return ""
    r = ev.results[tid].rate
    return f" ({r.pct}%)" if r else (" (加算率 不明)" if lang == "ja" else " (rate unknown)")


def yen(v, lang: str, sign: bool = False) -> str:
    if v is None:
        return "—"
    s = f"{v:+,}" if sign else f"{v:,}"
    return s + ("円" if lang == "ja" else " yen")


def warnings_text(data: dict, lang: str) -> str:
    if not data["warnings"]:
        return ""
    head = "注意:" if lang == "ja" else "Warnings:"
    def service_name(sid: str) -> str:
        return data.get("service_label") or sid if sid == data.get("service") else sid

    shown = [localize(w, lang, lambda tid: short_tier(tid, lang),
                      lambda c: t(f"confidence.{c}", lang) if has(f"confidence.{c}") else c, service_name)
             for w in data["warnings"]]
    return "\n" + head + "\n" + "\n".join(f"  - {w}" for w in shown)


# --------------------------------------------------------------------------- gap

def gap_text(result, lang: str = "ja", width: int | None = None, profile: str | None = None,
             target: str | None = None) -> str:
    """`carekb gap`: header, then each higher tier with its missing actions.  `profile` (the path
    the user gave) names the next command to run; `target` is the --target the user typed."""
    data, ev = result.to_dict(), result.evaluation
    out = [header(ev, lang)]
    if data["yen_per_month"] is not None:
        out[-1] += f"  月額 {data['yen_per_month']:,}円" if lang == "ja" else f"  {data['yen_per_month']:,} yen a month"
    if data["pledges"] == "ignored":
        out.append("（誓約は数えていません）" if lang == "ja" else "(pledges ignored)")
    out.append(differs_line(data["readings"], short_tier, lang))
    if not data["targets"]:
        out.append(held_note(data, target, lang) if data.get("note") else
                   "これより上位の区分はありません。" if lang == "ja" else "No higher tier.")
    for tg in data["targets"]:
        name = short_tier(tg["tier"], lang)
        rate = f"{tg['rate_pct']}%" if tg["rate_pct"] is not None else ("加算率不明" if lang == "ja" else "rate unknown")
        if not tg["reachable"]:
            out.append(f"\n■ {name} ({rate}): " + ("到達不可 — " if lang == "ja" else "unreachable — ")
                       + localize_reason(tg["reason"], lang))
            continue
        gain = yen(tg["yen_per_month_gain"], lang, sign=True)
        if lang == "ja":
            out.append(f"\n■ {name} ({rate}) — 不足 {tg['missing_count']}件"
                       + (f"、月額 {gain}" if tg["yen_per_month_gain"] is not None else "")
                       + ("、誓約を含む" if tg["uses_pledge"] else ""))
        else:
            out.append(f"\n■ {name} ({rate}) — {tg['missing_count']} missing"
                       + (f", {gain} a month" if tg["yen_per_month_gain"] is not None else "")
                       + (", relies on a pledge" if tg["uses_pledge"] else ""))
        rows = []
        for a in tg["actions"]:
            alts = tg["alternatives"].get(a["id"])
            label = a["label_ja"] if lang == "ja" else a["label_en"]
            rows.append([a["id"], action_cell(ev, a["id"], label, alts, lang), a["confidence"]])
        out.append(table(rows, ["ID", "取組" if lang == "ja" else "action", "確度" if lang == "ja" else "conf."],
                         max_width=width))
    out.append(warnings_text(data, lang))
    out.append(next_command(profile, data, lang))
    return fit("\n".join(x for x in out if x), width)


def action_cell(ev, action: str, label: str, alternatives, lang: str) -> str:
    """What an action is, what it means in plain words, its deadline when it is a pledge, and the
    actions that could replace it, by name."""
    kb, period = ev.kb, ev.period
    parts = [label]
    req = kb.requirements.get(action)
    meaning = (req.satisfied_when_ja if lang == "ja" else req.satisfied_when_en) if req else ""
    if meaning:
        parts.append(t("gap.meaning", lang, text=meaning))
    kind, _, rest = action.partition(".")
    rule = next((r for r in kb.pledges.get(period.id, ()) if r.id == rest), None) if kind == "pledge" else None
    if rule is not None:
        parts.append(t("gap.pledge_deadline", lang, date=rule.deadline.isoformat()))
    if alternatives:
        names = [f"{x}（{_short_label(kb, x, period, lang)}）" if lang == "ja" else f"{x} ({_short_label(kb, x, period, lang)})"
                 for x in alternatives[:3]]
        parts.append(t("gap.alternatives", lang, names=t("norm.sep", lang).join(names)
                       + (" …" if len(alternatives) > 3 else "")))
    return " ".join(parts)


def _short_label(kb, action: str, period, lang: str) -> str:
    label = kb.action_label(action, period, lang).split(": ", 1)[-1]
    return label if len(label) <= 16 else label[:15] + "…"


def held_note(data: dict, target: str | None, lang: str) -> str:
    """--target naming a tier the office already holds (or one below it): say so, not "no higher tier"."""
    return t("gap.target_held", lang, tier=target, highest=short_tier(data["highest"], lang))


def next_command(profile: str | None, data: dict, lang: str) -> str:
    """The commands a consultant runs next on this office (only when we know the profile's path)."""
    reachable = [x["tier"] for x in data["targets"] if x.get("reachable")]
    if not reachable or not profile:
        return ""
    return "\n" + t("gap.next", lang, profile=profile, tier=short_tier(reachable[-1], lang))


# --------------------------------------------------------------------------- tiers

def tiers_text(result, lang: str = "ja", width: int | None = None) -> str:
    """`carekb tiers`: every tier with its rate, confidence and state."""
    data, ev = result.to_dict(), result.context
    ja = lang == "ja"
    rows = []
    for tr in data["tiers"]:
        state = ("取得可" if ja else "attained") if tr["attained"] else (
            ("到達不可" if ja else "unreachable") if not tr["reachable"] else
            (f"不足 {tr['missing_count']}" if ja else f"{tr['missing_count']} missing"))
        rate = f"{tr['rate_pct']}%" if tr["rate_pct"] is not None else ("不明" if ja else "unknown")
        rows.append([short_tier(tr["tier"], lang), rate, tr["rate_confidence"] or "", state])
    differs = differs_line(data["readings"], short_tier, lang)
    return fit(header(ev, lang) + "\n\n"
               + table(rows, ["区分", "加算率", "確度", "状態"] if ja else ["tier", "rate", "conf.", "state"], max_width=width)
               + (f"\n{differs}" if differs else "") + warnings_text(data, lang), width)


# --------------------------------------------------------------------------- explain

def explain_text(result, tier: str, lang: str = "ja", width: int | None = None, full: bool = False) -> str:
    """`carekb explain`: whether `tier` (as the user wrote it) is attained, and the rule tree (only
    what fails unless `full` or attained)."""
    data, ev = result.to_dict(), result.context
    ja = lang == "ja"
    lines = [header(ev, lang), ""]
    state = ("取得可" if ja else "attained") if data["attained"] else ("取得不可" if ja else "not attained")
    lines.append(f"{short_tier(tier, lang)}: {state}")
    if not data["reachable"] and "reachable_when" in data:
        lines.append(("到達不可: 2024年5月の算定状況が必要 — " if ja else "unreachable: requires May-2024 history ")
                     + data["reachable_when"])
    lines.append("")
    if full or data["attained"]:
        render_tree(data["tree"], lines, 0, lang)
    else:
        lines.append("満たしていない要件（--full で全体）:" if ja else "Requirements not met (--full for the whole tree):")
        for node in data["failing"]:
            render_tree(node, lines, 1, lang)
    differs = differs_line(data["readings"], short_tier, lang)
    if differs:
        lines += ["", differs]
    return fit("\n".join(lines), width)


def render_tree(node: dict, lines: list, depth: int, lang: str) -> None:
    mark = "✓" if node["ok"] else "✗"
    text = node.get("label", "")
    if node.get("id") and node["kind"] not in ("tier",):
        text = f"{node['id']} {text}"
    if node.get("detail"):
        text += f" — {node['detail']}"
    if node.get("source"):
        text += f"  [{node['source']}; {node['confidence']}]"
    if node.get("provision") and not node["ok"]:
        text += ("  根拠: " if lang == "ja" else "  provision: ") + node["provision"]
    lines.append("  " * depth + f"{mark} {text}")
    for c in node.get("children", []):
        render_tree(c, lines, depth + 1, lang)
