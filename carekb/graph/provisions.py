"""The provisions (ck:Provision) that KB facts encode: document, pinpoint, Japanese text, checked-on date.

Read by the loader into each fact's Cited.provisions.  A rate may carry its provision through its
rate source (one provision per table or page), every other fact carries its own.
"""

from __future__ import annotations

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import Provision

# Facts whose provision may come from their dcterms:source (a rate table) rather than from the fact.
VIA_SOURCE = ("Rate", "ComponentRate")


def provisions_of(r, s) -> tuple[Provision, ...]:
    """The provisions of node `s` (`r`: the loader's graph reader)."""
    g, ck = r.g, r.ck
    nodes = set(g.objects(s, ck.provision))
    if not nodes and any(r.is_a(s, c) for c in VIA_SOURCE):
        nodes = {p for src in g.objects(s, r.DCT.source) for p in g.objects(src, ck.provision)}
    if not nodes:
        return ()
    memo = r.__dict__.setdefault("_provision_memo", {})
    out = []
    for p in nodes:
        if p not in memo:
            memo[p] = read_provision(r, p)
        out.append(memo[p])
    return tuple(sorted(out, key=lambda x: x.id))


def read_provision(r, p) -> Provision:
    g, ck = r.g, r.ck
    doc = r.one(p, ck.inDocument)
    if doc is None:
        raise CarekbError(t("files.kb.provision_no_document"), "kb", r.where(p))
    quoted = tuple(sorted(str(q) for q in g.objects(p, ck.quotedText)))
    available = r.py(p, ck.textAvailable, None)
    if quoted and available is False:
        raise CarekbError(t("files.kb.provision_text_conflict"), "kb", r.where(p))
    if not quoted and available is not False:
        raise CarekbError(t("files.kb.provision_needs_text"), "kb", r.where(p))
    source_from = r.one(p, ck.quotedFrom)
    return Provision(
        r.local(p), _notation(r, doc, "ja"), r.label(doc, "ja"), str(r.py(doc, r.DCT.date, "") or ""),
        str(r.one(doc, r.RDFS.seeAlso, "") or ""), _in(r, p, ck.pinpoint, "ja"), quoted,
        _notation(r, source_from, "ja") if source_from is not None else "", _in(r, p, ck.textNote, "ja"),
        str(r.py(p, ck.checkedOn, "") or ""), _notation(r, doc, "en"), _in(r, p, ck.textNote, "en"),
        _in(r, p, ck.pinpoint, "en"))


def _in(r, p, prop, lang: str) -> str:
    """`prop` in exactly `lang`; an untagged literal counts as Japanese (the documents' language)."""
    for o in r.g.objects(p, prop):
        if getattr(o, "language", None) == lang or (lang == "ja" and getattr(o, "language", None) is None):
            return str(o)
    return ""


def _notation(r, node, lang: str) -> str:
    """A document's short name: its notation (no language), else its label in `lang`."""
    return str(r.one(node, r.SKOS.notation, "") or "") or r.label(node, lang) or r.local(node)


def provision_dict(p: Provision) -> dict:
    """A provision as the JSON contract shows it (document, pinpoint and note in Japanese, their English beside)."""
    return {"id": p.id, "document": p.document, "document_en": p.document_in("en"), "title": p.title,
            "date": p.date or None, "url": p.url or None, "pinpoint": p.pinpoint, "pinpoint_en": p.pinpoint_in("en"),
            "text": list(p.quoted) if p.quoted else None, "text_available": p.text_available,
            "quoted_from": p.quoted_from or None, "note": p.note or None, "note_en": p.note_en or None,
            "checked_on": p.checked_on or None}

