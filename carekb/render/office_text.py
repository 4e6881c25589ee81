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
from carekb.solver.explain import field_label


def office_line(kb, office, lang: str) -> str:
    """The office by name and number (a proper name: shown as written in either language) and service."""
    svc = kb.services[office.service]
    name = f"{office.name} ({office.id})" if office.name and office.id else office.label()
    return t("explain.header.office", lang, name=name, service=svc.label_ja if lang == "ja" else svc.label_en)


def date_line(as_of, period, kb_version: str, lang: str) -> str:
    return t("explain.header.date", lang, date=as_of, period=period.id,
             period_label=period.label_ja if lang == "ja" else period.label_en, kb=kb_version)


def header(ev, lang: str) -> str:
    highest = t("explain.header.highest", lang, tier=short_tier(ev.highest, lang), rate=rate_text(ev, ev.highest, lang))
    return "\n".join([office_line(ev.kb, ev.office, lang), date_line(ev.office.as_of, ev.period, ev.kb.version, lang),
                      highest])


def rate_text(ev, tid, lang: str = "ja") -> str:
    if tid is None:
        return ""
    r = ev.results[tid].rate
    return t("explain.header.rate", lang, pct=r.pct) if r else t("explain.header.rate_unknown", lang)


def yen(v, lang: str, sign: bool = False) -> str:
    if v is None:
        return "—"
    return t("explain.header.yen", lang, amount=f"{v:+,}" if sign else f"{v:,}")


def warnings_text(data: dict, lang: str, kb=None) -> str:
    """The `注意:` block.  With the `kb`, KB texts quoted in warnings come in `lang` (i18n/warnings.py)."""
    if not data["warnings"]:
        return ""
    head = t("explain.header.warnings", lang)
    def service_name(sid: str) -> str:
        return data.get("service_label") or sid if sid == data.get("service") else sid

    shown = [localize(w, lang, lambda tid: short_tier(tid, lang),
                      lambda c: t(f"confidence.{c}", lang) if has(f"confidence.{c}") else c, service_name, kb=kb)
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
        out[-1] += t("explain.gap.monthly", lang, amount=f"{data['yen_per_month']:,}")
    if data["pledges"] == "ignored":
        out.append(t("explain.gap.pledges_ignored", lang))
    out.append(differs_line(data["readings"], short_tier, lang))
    if not data["targets"]:
        out.append(held_note(data, target, lang) if data.get("note") else t("explain.gap.no_higher", lang))
    for tg in data["targets"]:
        name = short_tier(tg["tier"], lang)
        rate = f"{tg['rate_pct']}%" if tg["rate_pct"] is not None else t("explain.gap.rate_unknown", lang)
        if not tg["reachable"]:
            out.append("\n" + t("explain.gap.unreachable", lang, tier=name, rate=rate,
                                 reason=localize_reason(tg["reason"], lang, lambda key: field_label(ev.kb, key, lang))))
            continue
        parts = [t("explain.gap.missing", lang, count=tg["missing_count"])]
        if tg["yen_per_month_gain"] is not None:
            parts.append(t("explain.gap.gain", lang, amount=yen(tg["yen_per_month_gain"], lang, sign=True)))
        if tg["uses_pledge"]:
            parts.append(t("explain.gap.uses_pledge", lang))
        out.append("\n" + t("explain.gap.target", lang, tier=name, rate=rate, parts=t("explain.gap.sep", lang).join(parts)))
        rows = []
        for a in tg["actions"]:
            alts = tg["alternatives"].get(a["id"])
            label = a["label_ja"] if lang == "ja" else a["label_en"]
            rows.append([a["id"], action_cell(ev, a["id"], label, alts, lang, a.get("required_by")), a["confidence"]])
        out.append(table(rows, ["ID", t("explain.gap.col_action", lang), t("explain.gap.col_conf", lang)],
                         max_width=width))
    out.append(warnings_text(data, lang, ev.kb))
    out.append(next_command(profile, data, lang))
    return fit("\n".join(x for x in out if x), width)


def action_cell(ev, action: str, label: str, alternatives, lang: str, required_by=None) -> str:
    """What an action is, what it means in plain words, its deadline when it is a pledge, why it is
    needed when another rule brings it in, and the actions that could replace it, by name."""
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
    if required_by:
        parts.append(why_text(required_by, lang))
    if alternatives:
        names = [f"{x}（{_short_label(kb, x, period, lang)}）" if lang == "ja" else f"{x} ({_short_label(kb, x, period, lang)})"
                 for x in alternatives[:3]]
        parts.append(t("gap.alternatives", lang, names=t("norm.sep", lang).join(names)
                       + (" …" if len(alternatives) > 3 else "")))
    return " ".join(parts)


def why_text(required_by: list[dict], lang: str) -> str:
    """「〔pledge.cp1（キャリアパス要件Ⅰ…）の条件による〕」: the rules that bring an action in (the
    `required_by` of the gap contract); several pledges are named by id, their labels being in the
    same table."""
    pledges = [r for r in required_by if r["kind"] == "pledge-condition"]
    names = []
    for r in required_by:
        label = r["label_ja"] if lang == "ja" else r["label_en"]
        if r["kind"] == "tier":
            names.append(t("explain.via_tier", lang, tier=short_tier(r["id"], lang)))
        elif r["kind"] != "pledge-condition":
            names.append(t("explain.via_rule", lang, id=r["id"], label=label))
        elif len(pledges) == 1:
            names.append(t("explain.via_pledge", lang, pledge=r["id"], label=label))
    if len(pledges) > 1:
        names.append(t("explain.via_pledges", lang, ids=t("explain.cond.values_sep", lang).join(r["id"] for r in pledges)))
    sep = t("explain.why_sep", lang)
    text = sep.join(names[:2]) if len(names) <= 2 else t("explain.why_more", lang, names=sep.join(names[:2]), count=len(names) - 2)
    return t("explain.why", lang, via=text)


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
    rows = []
    for tr in data["tiers"]:
        state = t("explain.attained", lang) if tr["attained"] else (
            t("explain.tiers.unreachable", lang) if not tr["reachable"] else
            t("explain.tiers.missing", lang, count=tr["missing_count"]))
        rate = f"{tr['rate_pct']}%" if tr["rate_pct"] is not None else t("explain.tiers.unknown", lang)
        rows.append([short_tier(tr["tier"], lang), rate, tr["rate_confidence"] or "", state])
    differs = differs_line(data["readings"], short_tier, lang)
    head = [t(f"explain.tiers.col_{c}", lang) for c in ("tier", "rate", "conf", "state")]
    return fit(header(ev, lang) + "\n\n" + table(rows, head, max_width=width)
               + (f"\n{differs}" if differs else "") + warnings_text(data, lang, ev.kb), width)


# --------------------------------------------------------------------------- explain

def explain_text(result, tier: str, lang: str = "ja", width: int | None = None, full: bool = False) -> str:
    """`carekb explain`: whether the tier is attained, and the rule tree (only what fails unless
    `full` or attained), every line from the catalogue (`tier`, as the user wrote it, is resolved
    in the result: the tree names the tier by its id)."""
    data, ev = result.to_dict(), result.context
    lines = [header(ev, lang), ""]
    state = t("explain.attained" if data["attained"] else "explain.not_attained", lang)
    name = short_tier(data["tier"], lang)
    if lang == "ja" and name == data["tier"]:   # no Japanese short name (介護 R8's SINGLE): the KB's label
        name = data["tree"].get("label") or name
    lines.append(t("explain.tier_state", lang, tier=name, state=state))
    if not data["reachable"] and "reachable_when" in data:
        lines.append(t("explain.unreachable", lang, cond=data["reachable_when"]))
    lines.append("")
    if full or data["attained"]:
        render_tree(data["tree"], lines, 0, lang)
        shown = [data["tree"]]
    else:
        lines.append(t("explain.failing_head", lang))
        for node in data["failing"]:
            render_tree(node, lines, 1, lang)
        shown = data["failing"]
    lines += ["", legend(shown, lang)]
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
        text += "  " + t("explain.source", lang, source=node["source"], conf=node["confidence"])
    if node.get("provision") and not node["ok"]:
        cite = "; ".join(f"{p['document_en']} {p['pinpoint_en']}".strip() for p in node["provisions"]) \
            if lang == "en" and node.get("provisions") else node["provision"]   # `provision`: the Japanese citation
        text += "  " + t("explain.provision", lang, provision=cite)
    lines.append("  " * depth + f"{mark} {text}")
    for c in node.get("children", []):
        render_tree(c, lines, depth + 1, lang)


def legend(nodes: list[dict], lang: str) -> str:
    """What the marks and the confidence letters shown mean (most certain first)."""
    seen: set[str] = set()

    def collect(n: dict) -> None:
        if n.get("confidence"):
            seen.add(n["confidence"])
        for c in n.get("children", []):
            collect(c)

    for n in nodes:
        collect(n)
    order = ["P", "S×2", "S", "I", "U"]
    letters = sorted(seen, key=lambda c: order.index(c) if c in order else len(order))
    names = t("explain.part_sep", lang).join(
        f"{c} = {t(f'confidence.{c}', lang) if has(f'confidence.{c}') else c}" for c in letters)
    return t("explain.legend", lang, legend=names)
