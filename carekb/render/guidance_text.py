"""The text views of `carekb guidance` (the items of seed 000 for a service, or an office's checklist
gap) and `carekb visit` (a visit request screened), in the reader's language; labels come from the
KB (rdfs:label / skos:prefLabel @ja and @en), sentences from the catalogue."""

from __future__ import annotations

from carekb.app.guidance import Guidance, Item
from carekb.i18n import t
from carekb.render.table import table
from carekb.render.width import fit


def document_lines(gd: Guidance, lang: str) -> list[str]:
    """Which document the items come from, and the warning that it is COVID-era guidance."""
    d = gd.document
    if not d:
        return []
    publisher = (d.get("publisher") or {}).get(lang, "")
    return [t("guidance.source_line", lang, title=d["title"], publisher=publisher, date=d["date"]),
            t("guidance.note_line", lang, note=d["note"][lang])]


def selection_line(gd: Guidance, selector: dict, cats: set[str], lang: str) -> str:
    """The service or category asked for, and the categories whose items apply (KB labels)."""
    names = "、" if lang == "ja" else ", "
    shown = names.join(gd.categories[c].label[lang] for c in sorted(cats, key=_category_order(gd)) if c in gd.categories)
    if "service" in selector:
        svc = gd.services.get(selector["service"])
        return t("guidance.for_service", lang, label=svc.label[lang] if svc else selector["service"], categories=shown)
    c = gd.categories[selector["category"]]
    return t("guidance.for_category", lang, label=c.label[lang], categories=shown)


def _category_order(gd: Guidance):
    order = list(gd.categories)
    return lambda c: (c != "all", len(gd.closure([c])), order.index(c))


def guidance_text(gd: Guidance, items: list[Item], mode: str, selector: dict, cats: set[str], done: set[str] | None,
                  lang: str = "ja", width: int | None = None) -> str:
    """`carekb guidance`: the document, the selection, then one row per item (modality and status
    by their KB labels, the item's label, where it is in the document and the notices it cites)."""
    out = document_lines(gd, lang) + [selection_line(gd, selector, cats, lang), ""]
    head = t("guidance.gap_heading" if mode == "gap" else "guidance.applicable_heading", lang, count=len(items))
    if done is not None:
        head += t("guidance.done_count", lang, count=len(done))
    out.append(head)
    # the gap holds in-force items only: their status column would say 有効 on every row
    status = mode != "gap"
    rows = [[i.id, gd.modalities.get(i.modality, {}).get(lang, i.modality),
             *([t(f"guidance.status.{i.status}", lang)] if status else []), i.label[lang], i.source_text(lang)]
            for i in items]
    heads = ["ID", t("guidance.col_modality", lang), *([t("guidance.col_status", lang)] if status else []),
             t("guidance.col_item", lang), t("guidance.col_source", lang)]
    return fit("\n".join(out), width) + "\n" + table(rows, heads, max_width=width)


def visit_text(gd: Guidance, res: dict, lang: str = "ja", width: int | None = None) -> str:
    """`carekb visit`: the decision, its reasons or the conditions of the visit, and the assumptions
    it rests on (KB labels, marked when --assume changed them).  The rules' keys are in the JSON."""
    out = document_lines(gd, lang) + [""]
    out.append(t("visit.decision", lang, decision=t(f"visit.{res['decision']}", lang)))
    text = fit("\n".join(out), width)
    if res["reasons"]:
        text += "\n\n" + t("visit.reasons", lang) + "\n" + table(
            [[r["text"], r["source"]] for r in res["reasons"]],
            [t("visit.col_reason", lang), t("visit.col_source", lang)], max_width=width)
    if res["conditions"]:
        text += "\n\n" + t("visit.conditions", lang) + "\n" + table(
            [[c["text"], c["source"]] for c in res["conditions"]],
            [t("visit.col_condition", lang), t("visit.col_source", lang)], max_width=width)
    sep = "、" if lang == "ja" else "; "
    items = sep.join(t("visit.assumption", lang, id=a["id"], label=gd.assumptions[a["id"]].label[lang], value=f"{a['value']:g}",
                       unit=gd.assumptions[a["id"]].unit[lang]) + (t("visit.overridden", lang) if a["overridden"] else "")
                     for a in res["assumptions"])
    return text + "\n\n" + fit(t("visit.assumptions", lang, items=items), width)
