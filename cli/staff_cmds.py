"""`carekb staff`: the staff definitions (※1–※3, priority staff) and an office's staff roster."""

from __future__ import annotations

import click

from carekb.model.errors import CarekbError
from carekb.inputs import roster
from carekb.cli.common import FORMAT_OPTION, LANG_OPTION, echo_json, handles_errors, load_rules, table
from carekb.cli.group import main
from carekb.cli.office_cmds import load


def definitions(kb, lang: str) -> dict:
    ja = lang == "ja"
    rule = kb.priority_rule
    return {
        "schemes": [{"id": s.id, "notation": s.notation, "label": s.label_ja if ja else s.label_en,
                     "roster_field": s.field, "holder_role_in": s.with_role_in, "open_list": s.open_list,
                     "decides": list(s.counts_for), "source": s.cited.text(), "confidence": s.cited.confidence,
                     "concepts": [{"id": c.id, "label_ja": c.label_ja, "label_en": c.label_en,
                                   "alt_labels": list(c.alt_labels), "counts_whatever_role": c.without_role,
                                   "also_as": list(c.also_fields), "unlisted_member": c.placeholder}
                                  for c in s.concepts]}
                    for s in kb.staff_schemes.values()],
        "priority_rule": None if rule is None else {
            "label": rule.label_ja if ja else rule.label_en, "any_of": list(rule.schemes),
            "min_years_in_corp": float(rule.min_years),
            "text": rule.satisfied_when_ja if ja else rule.satisfied_when_en,
            "note": rule.note, "source": rule.cited.text(), "confidence": rule.cited.confidence},
    }


def roster_rows(kb, office, period, lang: str) -> dict:
    ja = lang == "ja"
    # per field: an id may name both an occupation (※1) and a qualification (※2), e.g. nursery-teacher
    labels = {c.id: (c.label_ja if ja else c.label_en) for c in roster.concepts_for(kb, "role")}
    labels[roster.OTHER_ROLE] = "その他" if ja else "other"
    qlabels = {c.id: (c.label_ja if ja else c.label_en) for c in roster.concepts_for(kb, "qualifications")}
    summary = roster.roster_summary(kb, office.staff, period.id, lang)
    status = {c["index"]: c for c in summary["cp4"]["candidates"]}
    priority = {p["index"] for p in summary["priority_staff"]}
    members = []
    for m in office.staff:
        c = status.get(m.index)
        members.append({"index": m.index, "name": m.name or None, "role": m.role, "role_label": labels[m.role],
                         "qualifications": list(m.qualifications),
                         "qualification_labels": [qlabels[q] for q in m.qualifications],
                         "years_in_corp": float(m.years_in_corp),
                         "annual_wage_after": m.annual_wage_after, "annual_wage_before": m.annual_wage_before,
                         "experienced_skilled": c is not None, "cp4": c["status"] if c else None,
                         "short_by_yen": c.get("short_by_yen") if c else None, "priority": m.index in priority})
    return {"office": office.id or office.name or None, "as_of": office.as_of.isoformat(), "period": period.id,
            "kb_version": kb.version, "members": members, **summary}


@main.command()
@click.argument("profile", metavar="[PROFILE]", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Judge cp4 under the threshold of this date's period.")
@FORMAT_OPTION
@LANG_OPTION
@handles_errors
def staff(profile, as_of, fmt, lang):
    """Staff definitions, or the staff roster of a profile.

    \b
    Without PROFILE: the SKOS schemes of kb/shogai/staff.ttl — ※1 target occupations, ※2 the
    qualifications of 経験・技能のある障害福祉人材 (they decide cp4), ※3 specialists (an open list),
    the roles of the wage-distribution rule — and the priority-staff rule. Their ids or Japanese
    labels are what a roster's role and qualifications accept.
    With PROFILE: each member of its `staff:` roster, who counts for cp4 under the period's wage
    threshold (and by how many yen they fall short), and who is priority staff.

    \b
    Example:
      carekb staff
      carekb staff examples/roster-group-home.yaml
    """
    ja = lang == "ja"
    if profile is None:
        kb = load_rules(None)
        data = definitions(kb, lang)
        if fmt == "json":
            echo_json({"kb_version": kb.version, **data})
            return
        out = []
        for s in data["schemes"]:
            head = f"■ {s['notation']} {s['label']}" + ((" — 例示（「など」）" if ja else " — open list") if s["open_list"] else "")
            out.append(head + f"  [{s['source']}; {s['confidence']}]")
            out.append(table([[c["id"], c["label_ja"] if ja else c["label_en"], " / ".join(c["alt_labels"])]
                              for c in s["concepts"]], ["ID", "名称" if ja else "name", "別名" if ja else "also"]))
            out.append("")
        r = data["priority_rule"]
        if r:
            out.append(f"■ {r['label']}  [{r['source']}; {r['confidence']}]\n{r['text']}")
        click.echo("\n".join(out))
        return
    kb, office, period = load(profile, as_of)
    if not office.staff:
        raise CarekbError("the profile has no staff roster (key staff:)", str(profile), "staff")
    data = roster_rows(kb, office, period, lang)
    if fmt == "json":
        echo_json(data)
        return
    cp4 = data["cp4"]
    state = {"meets": "充足" if ja else "meets", "short": "不足" if ja else "short",
             "excluded": "除外（改善前から以上）" if ja else "excluded (already above before)", None: "—"}
    rows = [[f"staff[{m['index']}]", m["name"] or "", m["role_label"], "、".join(m["qualification_labels"]),
             f"{m['years_in_corp']:g}", f"{m['annual_wage_after']:,}",
             state[m["cp4"]] + (f" {m['short_by_yen']:,}" if m["short_by_yen"] else ""),
             ("○" if m["priority"] else "")] for m in data["members"]]
    head = ["#", "氏名" if ja else "name", "職種" if ja else "role", "資格" if ja else "qualifications",
            "勤続" if ja else "years", "改善後年額" if ja else "wage after", "キャリアパスⅣ" if ja else "cp4",
            "重点" if ja else "priority"]
    if cp4["threshold_yen"] is None:
        line = (f"{period.id}: キャリアパス要件Ⅳの年額基準なし" if ja else f"{period.id}: no cp4 wage threshold")
    else:
        met = ("充足" if cp4["met"] else "未充足") if ja else ("met" if cp4["met"] else "not met")
        line = (f"{period.id}: キャリアパス要件Ⅳ（年額{cp4['threshold_yen']:,}円以上）: {met}" if ja else
                f"{period.id}: career path IV (annual wage ≥ {cp4['threshold_yen']:,} yen): {met}")
    click.echo(f"{line}\n\n{table(rows, head)}")
