"""Pieces that several JSON contracts share (docs/profile.md)."""

from __future__ import annotations

from carekb.model.overlay import overlay_info


def note_overlays(data: dict, overlays) -> dict:
    """Add `rules_overlays` and a warning to a result dict: its facts are not (only) the KB's."""
    data["rules_overlays"] = overlay_info(overlays)
    if overlays:
        data.setdefault("warnings", []).append(
            "rules overlay in effect (hypothetical facts for this run): " + ", ".join(str(o) for o in overlays))
    return data


def merged_warnings(*dicts) -> dict:
    """The warnings of several results, each once, in order of appearance."""
    return {"warnings": list(dict.fromkeys(w for d in dicts for w in d.get("warnings", [])))}
