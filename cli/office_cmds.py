"""Commands that evaluate one office profile: tiers, gap, explain, validate."""

from __future__ import annotations

import sys

import click

from carekb.model.errors import CarekbError
from carekb.inputs.profile import bind, load_office
from carekb.inputs.shapes import kb_report_text, validate_kb, validate_office
from carekb.solver.gap import ENGINES
from carekb.app import api
from carekb.app.report import short_tier
from carekb.app.readings import differs_line
from carekb.cli.common import (AS_OF_OPTION, ENDPOINT_OPTION, FORMAT_OPTION, LANG_OPTION, NO_PLEDGE_OPTION, OVERLAY_OPTION, RATES_OPTION, READING_OPTION,
                               as_of_date, echo_json, handles_errors, load_rules, table)
from carekb.cli.group import main
from carekb.i18n import has, t
from carekb.i18n.warnings import localize, localize_reason
from carekb.render.width import fit

PROFILE_ARG = click.argument("profile", metavar="PROFILE", type=click.Path(dir_okay=False, allow_dash=True))


def read_office(profile: str, kb):
    """The office of a profile path, checked against the KB ('-' reads YAML from standard input)."""
    text = sys.stdin.read() if profile == "-" else None
    return load_office("<stdin>.yaml" if profile == "-" else profile, kb, text)


def load(profile: str, as_of: str | None, endpoint: str | None = None, overlays=()):
    """(kb, office, period) for a profile path ('-' reads YAML from standard input)."""
    kb = load_rules(endpoint, overlays)
    office = read_office(profile, kb)
    kb = kb.for_service(office.service)  # the rules of the office's scheme (障害, 介護, ...)
    office, period = bind(office, kb, as_of_date(as_of))
    return kb, office, period


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
                      highest + rate_text(ev, ev.highest)])


def rate_text(ev, tid) -> str:
    if tid is None:
        return ""
    r = ev.results[tid].rate
    return f" ({r.pct}%)" if r else " (rate unknown)"


def yen(v, lang: str, sign: bool = False) -> str:
    if v is None:
        return "—"
    s = f"{v:+,}" if sign else f"{v:,}"
    return s + ("円" if lang == "ja" else " yen")


def warnings_text(data: dict, lang: str) -> str:
    if not data["warnings"]:
        return ""
    head = "注意:" if lang == "ja" else "Warnings:"
    shown = [localize(w, lang, lambda tid: short_tier(tid, lang),
                      lambda c: t(f"confidence.{c}", lang) if has(f"confidence.{c}") else c) for w in data["warnings"]]
    return "\n" + head + "\n" + "\n".join(f"  - {w}" for w in shown)


@main.command()
@PROFILE_ARG
@AS_OF_OPTION
@click.option("--target", "target", metavar="TIER", help="Only this tier (e.g. II, I-ro, V3).")
@NO_PLEDGE_OPTION
@click.option("--engine", type=click.Choice(list(ENGINES)), default="dnf", show_default=True,
              help="dnf: compiled rules, instant; csp: the python-constraint model (exact, slow on large gaps).")
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def gap(profile, as_of, target, no_pledge, engine, endpoint, overlays, rates, reading, fmt, lang):
    """Gaps to every higher tier: the fewest (least-effort) actions that reach each one.

    \b
    For each tier above the highest attainable one (by rate) it lists one minimum-effort set
    of actions (requirement ids, workplace.N, pledge.X), equal-effort alternatives, whether the
    set relies on a pledge, and the yen gained a month when office.region and
    office.monthly_units are given.

    \b
    Example:
      carekb gap examples/r7-after-school-day.yaml
      carekb gap examples/r8-employment-b.yaml --no-pledge --format json
    """
    kb = load_rules(endpoint, overlays)
    result = api.gap(read_office(profile, kb), as_of=as_of_date(as_of), no_pledge=no_pledge, target=target,
                     engine=engine, kb=kb, rates=rates, reading=reading, lang=lang)
    data, ev = result.to_dict(), result.evaluation
    if fmt == "json":
        echo_json(data)
        return
    out = [header(ev, lang)]
    if data["yen_per_month"] is not None:
        out[-1] += f"  月額 {data['yen_per_month']:,}円" if lang == "ja" else f"  {data['yen_per_month']:,} yen a month"
    if no_pledge:
        out.append("（誓約は数えていません）" if lang == "ja" else "(pledges ignored)")
    out.append(differs_line(data["readings"], short_tier, lang))
    if not data["targets"]:
        out.append(held_note(data, target, lang) if data.get("note") else
                   "これより上位の区分はありません。" if lang == "ja" else "No higher tier.")
    for t in data["targets"]:
        name = short_tier(t["tier"], lang)
        rate = f"{t['rate_pct']}%" if t["rate_pct"] is not None else ("加算率不明" if lang == "ja" else "rate unknown")
        if not t["reachable"]:
            out.append(f"\n■ {name} ({rate}): " + ("到達不可 — " if lang == "ja" else "unreachable — ") + localize_reason(t["reason"], lang))
            continue
        gain = yen(t["yen_per_month_gain"], lang, sign=True)
        if lang == "ja":
            out.append(f"\n■ {name} ({rate}) — 不足 {t['missing_count']}件" + (f"、月額 {gain}" if t["yen_per_month_gain"] is not None else "")
                       + ("、誓約を含む" if t["uses_pledge"] else ""))
        else:
            out.append(f"\n■ {name} ({rate}) — {t['missing_count']} missing" + (f", {gain} a month" if t["yen_per_month_gain"] is not None else "")
                       + (", relies on a pledge" if t["uses_pledge"] else ""))
        rows = []
        for a in t["actions"]:
            alts = t["alternatives"].get(a["id"])
            label = a["label_ja"] if lang == "ja" else a["label_en"]
            alt = ""
            if alts:
                shown = ", ".join(alts[:4]) + (" …" if len(alts) > 4 else "")
                alt = ("（代替: " if lang == "ja" else " (or: ") + shown + ("）" if lang == "ja" else ")")
            rows.append([a["id"], action_cell(ev, a["id"], label, alts, lang), a["confidence"]])
        out.append(table(rows, ["ID", "取組" if lang == "ja" else "action", "確度" if lang == "ja" else "conf."]))
    out.append(warnings_text(data, lang))
    out.append(next_command(profile, data, lang))
    click.echo(fit("\n".join(x for x in out if x)))


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


def held_note(data: dict, target: str, lang: str) -> str:
    """--target naming a tier the office already holds (or one below it): say so, not "no higher tier"."""
    return t("gap.target_held", lang, tier=target, highest=short_tier(data["highest"], lang))


def next_command(profile: str, data: dict, lang: str) -> str:
    """The commands a consultant runs next on this office."""
    reachable = [x["tier"] for x in data["targets"] if x.get("reachable")]
    if not reachable:
        return ""
    return "\n" + t("gap.next", lang, profile=profile, tier=short_tier(reachable[-1], lang))


@main.command()
@PROFILE_ARG
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@OVERLAY_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def tiers(profile, as_of, no_pledge, endpoint, overlays, rates, reading, fmt, lang):
    """Every tier of the office's service in the period: rate, attained or not, actions missing.

    Tiers are listed highest first by rate (by nominal rank where a rate is unknown).
    """
    kb = load_rules(endpoint, overlays)
    result = api.tiers(read_office(profile, kb), as_of=as_of_date(as_of), no_pledge=no_pledge, kb=kb, rates=rates,
                       reading=reading, lang=lang)
    data, ev = result.to_dict(), result.context
    if fmt == "json":
        echo_json(data)
        return
    ja = lang == "ja"
    rows = []
    for t in data["tiers"]:
        state = ("取得可" if ja else "attained") if t["attained"] else (
            ("到達不可" if ja else "unreachable") if not t["reachable"] else (f"不足 {t['missing_count']}" if ja else f"{t['missing_count']} missing"))
        rate = f"{t['rate_pct']}%" if t["rate_pct"] is not None else ("不明" if ja else "unknown")
        rows.append([short_tier(t["tier"], lang), rate, t["rate_confidence"] or "", state])
    differs = differs_line(data["readings"], short_tier, lang)
    click.echo(fit(header(ev, lang) + "\n\n" + table(rows, ["区分", "加算率", "確度", "状態"] if ja else ["tier", "rate", "conf.", "state"])
               + (f"\n{differs}" if differs else "") + warnings_text(data, lang)))


@main.command()
@PROFILE_ARG
@click.argument("tier", metavar="TIER")
@AS_OF_OPTION
@NO_PLEDGE_OPTION
@click.option("--full", is_flag=True, help="Show the whole rule tree, not only what fails.")
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@RATES_OPTION
@READING_OPTION
@handles_errors
def explain(profile, tier, as_of, no_pledge, full, endpoint, rates, reading, fmt, lang):
    """Why TIER is or is not attained: each requirement with its label, source and confidence.

    \b
    Example:
      carekb explain examples/r7-after-school-day.yaml II
    """
    kb = load_rules(endpoint)
    result = api.explain(read_office(profile, kb), tier, full=full, as_of=as_of_date(as_of), no_pledge=no_pledge,
                         kb=kb, rates=rates, reading=reading, lang=lang)
    data, ev = result.to_dict(), result.context
    if fmt == "json":
        echo_json(data)
        return
    ja = lang == "ja"
    lines = [header(ev, lang), ""]
    state = ("取得可" if ja else "attained") if data["attained"] else ("取得不可" if ja else "not attained")
    lines.append(f"{short_tier(tier, lang)}: {state}")
    if not data["reachable"] and "reachable_when" in data:
        lines.append(("到達不可: 2024年5月の算定状況が必要 — " if ja else "unreachable: requires May-2024 history ") + data["reachable_when"])
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
    click.echo(fit("\n".join(lines)))


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


@main.command()
@click.argument("profiles", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--kb", "check_kb", is_flag=True, help="Check the knowledge base itself against ontology/shapes.ttl.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Check the period-dependent keys under this date's rules.")
@click.option("--shacl/--no-shacl", default=True, show_default=True,
              help="Also check each profile's RDF form against the SHACL shapes (pySHACL).")
@LANG_OPTION
@handles_errors
def validate(profiles, check_kb, as_of, shacl, lang):
    """Check profiles (keys, ids, numbers, dates, then SHACL) and/or the KB. Exit 2 if any is bad.

    \b
    Example:
      carekb validate examples/*.yaml
      carekb validate --kb
    """
    if not profiles and not check_kb:
        raise CarekbError("name one or more profiles, or --kb")
    bad = 0
    if check_kb:
        violations = validate_kb()
        if violations:
            click.echo(kb_report_text(violations, lang), err=True)
            bad += 1
        else:
            click.echo("kb: conforms to ontology/shapes.ttl")
    for p in profiles:
        try:
            kb, office, period = load(p, as_of)
            if shacl:
                validate_office(office, lang)
            click.echo(f"{p}: OK ({office.service}, {office.as_of}, period {period.id})")
        except CarekbError as e:
            for line in str(e).split("\n"):   # every problem of the file, one line each
                click.echo(f"carekb: error: {line}", err=True)
            bad += 1
    if bad:
        sys.exit(2)
