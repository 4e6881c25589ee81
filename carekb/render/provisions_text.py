"""`carekb requirements --with-text`: each rule beside the provision it encodes, as text."""

from __future__ import annotations


def provision_text(p: dict, lang: str = "ja") -> str:
    """[document pinpoint] 「quoted text」 (as quoted by X), or the statement that the text is not available."""
    en = lang == "en"
    head = (f"[{p['document_en']} {p['pinpoint_en']}]" if en else f"[{p['document']} {p['pinpoint']}]").replace(" ]", "]")
    if p["text"]:
        body = " ".join(f"「{q}」" for q in p["text"])
        if p["quoted_from"] and p["quoted_from"] != p["document"]:
            body += f"（{p['quoted_from']} による）" if lang == "ja" else f" (as quoted by {p['quoted_from']})"
    else:
        note = (p["note_en"] or p["note"]) if en else p["note"]   # a provision without an English note: its Japanese
        body = ("本文未収録" if lang == "ja" else "text not available") + (f" — {note}" if note else "")
    checked = f"（確認 {p['checked_on']}）" if lang == "ja" and p["checked_on"] else (
        f" (checked {p['checked_on']})" if p["checked_on"] else "")
    return f"{head} {body}{checked}"


def _block(lines: list[str], title: str, provisions: list[dict], lang: str) -> None:
    lines.append(title)
    if not provisions:
        lines.append("    " + ("根拠規定の記録なし" if lang == "ja" else "no provision recorded"))
    for p in provisions:
        lines.append("    " + ("根拠: " if lang == "ja" else "provision: ") + provision_text(p, lang))


def with_text(data: dict, short_tier, lang: str = "ja") -> str:
    ja = lang == "ja"
    lines = ["■ " + ("規則と根拠規定" if ja else "Rules beside their provisions")]
    for t in data["tiers"]:
        _block(lines, f"{short_tier(t['tier'], lang)}  {t['requires']}  ({t['confidence']})", t["provisions"], lang)
    for r in data["requirements"]:
        _block(lines, f"{r['id']}  {r['label_ja'] if ja else r['label_en']}  ({r['confidence']})", r["provisions"], lang)
    for r in data["workplace_rules"]:
        _block(lines, f"{r['id']}  {r['label']}  ({r['confidence']})", r["provisions"], lang)
    for x in data["pledges"]:
        _block(lines, f"{x['id']}  → {', '.join(x['satisfies'])}  ({x['confidence']})", x["provisions"], lang)
    for d in data["derived"]:
        _block(lines, f"{d['requirement']}  {d['label'] if ja else d.get('label_en') or d['label']}  ({d['confidence']})",
               d["provisions"], lang)
    lines.append("\n■ " + ("加算率の根拠（表・頁ごと）" if ja else "Rate tables"))
    for p in data["rate_provisions"]:
        lines.append(f"  {p['rates']:>4} " + ("件 " if ja else "rates ") + provision_text(p, lang))
    if data["contests"]:
        lines.append("\n■ " + ("解釈の分かれる規定" if ja else "Contested rules"))
        for c in data["contests"]:
            lines.append(f"{c['id']}  {c['label'] if ja else c['label_en']}")
            for r in c["readings"]:
                mark = ("既定" if ja else "default") if r["default"] else ("別解" if ja else "other")
                lines.append(f"    {r['id']} [{mark}; {r['source']}; {r['confidence']}] {r['label'] if ja else r['label_en']}")
                reason = r["default_reason"] if ja else r["default_reason_en"]
                if reason:
                    lines.append("      " + ("理由: " if ja else "why: ") + reason)
    return "\n".join(lines)
