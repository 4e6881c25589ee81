"""The text views of `carekb staff`: the staff definitions (※1–※3, the roles of the distribution
rule, the priority-staff rule) and an office's roster judged for キャリアパス要件Ⅳ and priority staff.
Names are the KB's labels (@ja / @en); sentences come from the catalogue."""

from __future__ import annotations

from carekb.i18n import t
from carekb.render.table import table
from carekb.render.width import fit


def definitions_text(data: dict, lang: str = "ja", width: int | None = None) -> str:
    """The answer of `carekb staff` without a profile (carekb.app.staff.definitions)."""
    out = []
    for s in data["schemes"]:
        # the label carries the scheme's mark (※1 / *1); the notation alone would repeat it
        out.append(fit(t("staff.scheme_head", lang, label=s["label"], source=s["source"], confidence=s["confidence"],
                         open=t("staff.open_list", lang) if s["open_list"] else ""), width))
        # the other names a roster accepts are Japanese: shown to Japanese readers, who type them
        also = lang == "ja"
        out.append(table([[c["id"], c["label_ja"] if lang == "ja" else c["label_en"],
                           *([" / ".join(c["alt_labels"])] if also else [])] for c in s["concepts"]],
                         ["ID", t("staff.col_name", lang), *([t("staff.col_also", lang)] if also else [])],
                         max_width=width))
        out.append("")
    r = data["priority_rule"]
    if r:
        out.append(fit(t("staff.rule_head", lang, label=r["label"], source=r["source"], confidence=r["confidence"])
                       + "\n" + r["text"], width))
    return "\n".join(out)


def roster_text(data: dict, period_id: str, lang: str = "ja", width: int | None = None) -> str:
    """The answer of `carekb staff PROFILE` (carekb.app.staff.roster_rows): the cp4 verdict, then
    one row per roster member."""
    cp4 = data["cp4"]
    if cp4["threshold_yen"] is None:
        line = t("staff.cp4_none", lang, period=period_id)
    else:
        line = t("staff.cp4_threshold", lang, period=period_id, threshold=f"{cp4['threshold_yen']:,}",
                 met=t("staff.met" if cp4["met"] else "staff.not_met", lang))
    sep = "、" if lang == "ja" else ", "
    rows = [[m["index"] + 1, m["name"] or "", m["role_label"], sep.join(m["qualification_labels"]),
             f"{m['years_in_corp']:g}", f"{m['annual_wage_after']:,}", _state(m, lang), "○" if m["priority"] else ""]
            for m in data["members"]]
    head = ["#", t("staff.col_name_person", lang), t("staff.col_role", lang), t("staff.col_qualifications", lang),
            t("staff.col_years", lang), t("staff.col_wage_after", lang), t("staff.col_cp4", lang),
            t("staff.col_priority", lang)]
    return "\n".join([fit(line, width), "", table(rows, head, max_width=width), "", fit(t("staff.legend", lang), width)])


def _state(member: dict, lang: str) -> str:
    state = member["cp4"]
    if state is None:
        return "—"
    return t(f"staff.state.{state}", lang, yen=f"{member['short_by_yen'] or 0:,}")
