"""The staff definitions (※1–※3 of kb/shogai/staff.ttl, the priority-staff rule) and an office's staff
roster judged for cp4 and priority staff, as the JSON contract of `carekb staff`."""

from __future__ import annotations

from carekb.inputs import roster


def definitions(kb, lang: str) -> dict:
    """The staff schemes and the priority-staff rule (the `carekb staff` answer without a profile)."""
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
    """Each roster member with role, qualifications, cp4 status and priority (`carekb staff PROFILE`)."""
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
