"""Why a tier is (not) attained: the tier's rule tree evaluated on the office, each node with its
label, source and confidence, and for workplace rules the counts that fall short."""

from __future__ import annotations

from carekb.model import actions
from carekb.inputs import roster

from carekb.solver import workplace as wp
from carekb.solver.gap import Evaluation


def describe_condition(cond: tuple, lang: str = "en") -> str:
    kind = cond[0]
    if kind in ("all", "any"):
        joiner = (" かつ " if kind == "all" else " または ") if lang == "ja" else f" {'and' if kind == 'all' else 'or'} "
        return joiner.join(describe_condition(c, lang) for c in cond[1])
    if kind == "field":
        _, name, op, v = cond
        sym = {"eq": "=", "ge": "≥", "lt": "<", "in": "∈"}[op]
        if op == "in":
            v = "{" + ", ".join(map(str, sorted(v))) + "}"
        elif isinstance(v, bool):
            v = str(v).lower()
        elif isinstance(v, int) and v >= 10000:
            v = f"{v:,}"
        return f"{name} {sym} {v}"
    if kind == "date_le":
        return f"as_of ≤ {cond[1]}" if lang == "en" else f"判定日が{cond[1]}以前"
    if kind == "group":
        return f"service in group {cond[1]}" if lang == "en" else f"サービス群 {cond[1]}"
    return repr(cond)


class Explainer:
    def __init__(self, ev: Evaluation, lang: str = "ja"):
        self.ev, self.kb, self.ctx, self.lang = ev, ev.kb, ev.ctx, lang
        self.have = ev.have()
        self.items = ev.office.workplace
        self.exceptions = self.ctx.exceptions()

    def label(self, obj) -> str:
        return obj.label_ja if self.lang == "ja" else obj.label_en

    def node(self, e: tuple) -> dict:
        kind, kb = e[0], self.kb
        if kind in ("all", "any"):
            children = [self.node(c) for c in e[1]]
            ok = all(c["ok"] for c in children) if kind == "all" else any(c["ok"] for c in children)
            name = {"all": ("すべて", "all of"), "any": ("いずれか", "any of")}[kind][self.lang != "ja"]
            return {"kind": kind, "label": name, "ok": ok, "children": children}
        if kind in ("field", "date_le", "group"):
            return {"kind": "condition", "label": describe_condition(e, self.lang), "ok": self.ctx.holds(e)}
        if kind == "tier":
            t = kb.tiers[e[1]][e[2]]
            inner = self.node(t.expr)
            return {"kind": "tier", "id": t.id, "label": self.label(t), "ok": inner["ok"], "children": [inner],
                    **cite(t.cited)}
        if kind in ("act", "req"):
            return self.requirement(e)
        if kind == "wrule":
            return self.workplace_rule(e[1])
        raise ValueError(kind)

    def pledge_nodes(self, e: tuple) -> list[dict]:
        out = []
        for p in self.ctx.pledges_for(e):
            pid = actions.pledge(p.id)
            made = pid in self.have
            cond = self.node(p.condition) if p.condition else None
            ok = made and (cond is None or cond["ok"])
            detail = (f"誓約済み（期限 {p.deadline}）" if made else f"誓約可（期限 {p.deadline}）") if self.lang == "ja" else \
                (f"pledged (deadline {p.deadline})" if made else f"may be pledged (deadline {p.deadline})")
            out.append({"kind": "pledge", "id": pid, "label": self.kb.action_label(pid, self.ev.period, self.lang),
                        "ok": ok, "detail": detail, "children": [cond] if cond else [], **cite(p.cited)})
        return out

    def requirement(self, e: tuple) -> dict:
        rid = e[1]
        r = self.kb.requirements[rid]
        out = {"kind": "requirement", "id": rid, "label": self.label(r), **cite(r.cited)}
        if r.applicable_when is not None and not self.ctx.holds(r.applicable_when):
            cond = describe_condition(r.applicable_when, self.lang)
            return {**out, "ok": True, "detail": ("適用外: " if self.lang == "ja" else "not applicable: ") + f"not ({cond})"}
        for d in self.kb.derived.get(self.ev.period.id, ()):
            if d.requirement == rid and self.ctx.holds(d.condition):
                who = self.roster_text(d)
                return {**out, "ok": True, "detail": ("充足: " if self.lang == "ja" else "met: ") + self.label(d)
                        + (f" — {who}" if who else "")}
        if rid in self.ev.office.met:
            return {**out, "ok": True, "detail": "実施済み" if self.lang == "ja" else "in place"}
        children = [self.node(r.definition)] if r.definition else []
        children += self.pledge_nodes(e)
        ok = any(c["ok"] for c in children)
        detail = ""
        if not r.composite and not ok:
            detail = "未実施" if self.lang == "ja" else "not in place"
            for d in self.kb.derived.get(self.ev.period.id, ()):
                if d.requirement != rid:
                    continue
                who = self.roster_text(d)
                if who:
                    detail += f"; {self.label(d)}: {who}"
                else:
                    v = self.ev.office.fact(d.condition[1]) if d.condition[0] == "field" else None
                    detail += f"; {self.label(d)}: {d.condition[1]} = " + (f"{v:,}" if isinstance(v, int) else "未記入" if self.lang == "ja" else "not given")
                    if isinstance(v, int) and d.condition[2] == "ge":
                        detail += (f"（あと {d.condition[3] - v:,} 円）" if self.lang == "ja" else f" ({d.condition[3] - v:,} yen short)")
        return {**out, "ok": ok, "detail": detail, "children": children}

    def roster_text(self, d) -> str:
        """For a wage-derived fact and an office with a staff roster: the person who meets it or comes nearest."""
        threshold = roster.fact_threshold(d)
        if not self.ev.office.staff or threshold is None:
            return ""
        return roster.wage_text(self.kb, self.ev.office.staff, threshold, self.lang)

    def workplace_rule(self, rid: str) -> dict:
        kb = self.kb
        r = kb.rules[rid]
        ok = wp.satisfied(kb, r.list_id, frozenset([rid]), self.items, self.exceptions)
        items = kb.items[r.list_id]
        need = wp.merged_need(kb, frozenset([rid]), None)
        counts = {c: sum(1 for n in self.items if items[n].category == c) for c in kb.categories}
        short = []
        ja = self.lang == "ja"
        for c, m in sorted(need.category_min, key=lambda cm: list(kb.categories).index(cm[0])):
            if counts[c] < m:
                name = kb.categories[c][0 if ja else 1]
                short.append(f"{name} {counts[c]}/{m}")
        for n in sorted(need.must - self.items):
            short.append(f"必須 {n} 未実施" if ja else f"must-include item {n} missing")
        if need.total and len(self.items) < need.total:
            short.append((f"全体 {len(self.items)}/{need.total}" if ja else f"total {len(self.items)}/{need.total}"))
        children = self.pledge_nodes(("wrule", rid))
        ok = ok or any(c["ok"] for c in children)
        detail = "" if ok or not short else ("不足: " if ja else "short: ") + ", ".join(short)
        return {"kind": "workplace-rule", "id": rid, "label": self.label(r), "ok": ok, "detail": detail,
                "children": children, **cite(r.cited)}


def cite(c) -> dict:
    return {"source": c.text(), "confidence": c.confidence}


def explain(ev: Evaluation, tier_id: str, lang: str = "ja") -> dict:
    res = ev.results[tier_id]
    tree = Explainer(ev, lang).node(("tier", ev.period.id, tier_id))
    out = {"tier": tier_id, "attained": res.attained, "reachable": res.reachable, "tree": tree,
           "failing": failing(tree)}
    if res.tier.reachable_when is not None:
        out["reachable_when"] = describe_condition(res.tier.reachable_when, lang)
    if ev.office.staff:
        out["staff"] = roster.roster_summary(ev.kb, ev.office.staff, ev.period.id, lang)
    return out


def failing(node: dict) -> list[dict]:
    """The failing nodes, pruned to their failing children: what has to change."""
    if node["ok"]:
        return []
    kids = [f for c in node.get("children", []) for f in failing(c)]
    if node["kind"] in ("all", "tier"):
        return kids
    slim = {k: v for k, v in node.items() if k != "children"}
    if node["kind"] == "any" or node.get("children"):
        slim["children"] = kids
    return [slim]
