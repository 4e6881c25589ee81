"""`carekb staff`: the staff definitions (※1–※3, priority staff) and an office's staff roster."""

from __future__ import annotations

import click

from carekb.app import api
from carekb.cli.common import FORMAT_OPTION, LANG_OPTION, as_of_date, echo_json, handles_errors, load_rules, table
from carekb.cli.group import main
from carekb.cli.office_cmds import read_office


@main.command()
@click.argument("profile", metavar="[PROFILE]", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Judge cp4 under the threshold of this date's period.")
@click.option("--scheme", metavar="S", help="Without PROFILE: the definitions of this scheme (shogai, the default, or kaigo).")
@FORMAT_OPTION
@LANG_OPTION
@handles_errors
def staff(profile, as_of, scheme, fmt, lang):
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
        data = api.staff(kb=load_rules(None), as_of=as_of, scheme=scheme, lang=lang).to_dict()
        if fmt == "json":
            echo_json(data)
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
    kb = load_rules(None)
    result = api.staff(read_office(profile, kb), as_of=as_of_date(as_of), kb=kb, lang=lang)
    data, (_, office, period) = result.to_dict(), result.context
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
