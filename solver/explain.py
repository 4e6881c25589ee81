"""Why a tier is (not) attained: the tier's rule tree evaluated on the office, each node with its
label, source and confidence, and for workplace rules the counts that fall short.  (Why each
action of a gap is needed: solver/why_needed.py.)

Every sentence comes from the message catalogue (carekb/i18n/messages-explain.yaml) in the
language asked for; names of requirements, rules, tiers and office facts come from the KB."""

from __future__ import annotations

from carekb.i18n import t
from carekb.model import actions
from carekb.inputs import roster
from carekb.inputs.profile.office import TURTLE_PROPERTIES

from carekb.solver import workplace as wp
from carekb.solver.gap import Evaluation


def describe_condition(cond: tuple, lang: str = "en") -> str:
    """A condition in symbols (history.shogu ∈ {1, 2, 3}): the stable form of the JSON contract's
    English sentences (unreachable reasons, `requirements`), which warnings.localize_reason parses."""
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


def field_label(kb, name: str, lang: str) -> str:
    """What a profile key (history.shogu, collab_corp, top_annual_wage) is called: the rdfs:label
    of its ck:Office property in ontology/vocab.ttl; the key itself when the vocabulary has none."""
    prop = TURTLE_PROPERTIES.get(name) or TURTLE_PROPERTIES.get(f"office.{name}")
    ja, en = kb.vocab_labels.get(prop, ("", "")) if prop else ("", "")
    return (ja if lang == "ja" else en) or name


def _value(name: str, v, lang: str) -> str:
    if isinstance(v, int) and v == 0 and name.startswith("history."):
        return t("explain.cond.none", lang)      # history tiers: 0 means no old addition held
    return f"{v:,}" if isinstance(v, int) and v >= 10000 else str(v)


def condition_text(kb, cond: tuple, lang: str = "ja") -> str:
    """An office condition as a statement in words (「2024年5月の旧処遇改善加算が 1・2・3 のいずれか」)."""
    kind = cond[0]
    if kind in ("all", "any"):
        joiner = t("explain.cond.and" if kind == "all" else "explain.cond.or", lang)
        return joiner.join(condition_text(kb, c, lang) for c in cond[1])
    if kind == "field":
        _, name, op, v = cond
        field = field_label(kb, name, lang)
        if op == "eq" and isinstance(v, bool):
            return t("explain.cond.yes" if v else "explain.cond.no", lang, field=field)
        if op == "in":
            values = t("explain.cond.values_sep", lang).join(_value(name, x, lang) for x in sorted(v))
            return t("explain.cond.in", lang, field=field, values=values)
        return t(f"explain.cond.{op}", lang, field=field, value=_value(name, v, lang))
    if kind == "date_le":
        return t("explain.cond.date_le", lang, date=cond[1].isoformat())
    if kind == "group":
        ja, en = kb.groups.get(cond[1], (cond[1], cond[1]))
        return t("explain.cond.group", lang, group=ja if lang == "ja" else en)
    raise ValueError(f"not an office condition: {cond!r}")


class Explainer:
    def __init__(self, ev: Evaluation, lang: str = "ja"):
        self.ev, self.kb, self.ctx, self.lang = ev, ev.kb, ev.ctx, lang
        self.have = ev.have()
        self.items = ev.office.workplace
        self.exceptions = self.ctx.exceptions()

    def label(self, obj) -> str:
        return obj.label_ja if self.lang == "ja" else obj.label_en

    def msg(self, key: str, **params) -> str:
        return t(f"explain.{key}", self.lang, **params)

    def node(self, e: tuple) -> dict:
        kind, kb = e[0], self.kb
        if kind in ("all", "any"):
            children = [self.node(c) for c in e[1]]
            ok = all(c["ok"] for c in children) if kind == "all" else any(c["ok"] for c in children)
            return {"kind": kind, "label": self.msg(kind), "ok": ok, "children": children}
        if kind in ("field", "date_le", "group"):
            ok = self.ctx.holds(e)
            node = {"kind": "condition", "label": condition_text(kb, e, self.lang), "ok": ok}
            if kind == "field" and not ok:   # what the profile says instead
                node["detail"] = self.msg("office_value", value=self.office_value(e[1]))
            return node
        if kind == "tier":
            t_ = kb.tiers[e[1]][e[2]]
            inner = self.node(t_.expr)
            return {"kind": "tier", "id": t_.id, "label": self.label(t_), "ok": inner["ok"], "children": [inner],
                    **cite(t_.cited, self.lang)}
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
            detail = self.msg("pledged" if made else "may_pledge", date=p.deadline.isoformat())
            out.append({"kind": "pledge", "id": pid, "label": self.kb.action_label(pid, self.ev.period, self.lang),
                        "ok": ok, "detail": detail, "children": [cond] if cond else [], **cite(p.cited, self.lang)})
        return out

    def requirement(self, e: tuple) -> dict:
        rid = e[1]
        r = self.kb.requirements[rid]
        out = {"kind": "requirement", "id": rid, "label": self.label(r), **cite(r.cited, self.lang)}
        if r.applicable_when is not None and not self.ctx.holds(r.applicable_when):
            cond = condition_text(self.kb, r.applicable_when, self.lang)
            return {**out, "ok": True, "detail": self.msg("not_applicable", cond=cond)}
        for d in self.kb.derived.get(self.ev.period.id, ()):
            if d.requirement == rid and self.ctx.holds(d.condition):
                who = self.roster_text(d)
                return {**out, "ok": True, "detail": self.msg("met_by", label=self.label(d)) + (f" — {who}" if who else "")}
        if rid in self.ev.office.met:
            return {**out, "ok": True, "detail": self.msg("in_place")}
        children = [self.node(r.definition)] if r.definition else []
        children += self.pledge_nodes(e)
        ok = any(c["ok"] for c in children)
        detail = ""
        if not r.composite and not ok:
            parts = [self.msg("not_in_place")]
            parts += [f"{self.label(d)}: {self.fact_text(d)}" for d in self.kb.derived.get(self.ev.period.id, ())
                      if d.requirement == rid]
            detail = self.msg("detail_sep").join(parts)
        return {**out, "ok": ok, "detail": detail, "children": children}

    def office_value(self, name: str) -> str:
        v = self.ev.office.fact(name)
        if isinstance(v, bool):
            return self.msg("yes" if v else "no")
        return self.msg("not_given") if v is None else _value(name, v, self.lang)

    def fact_text(self, d) -> str:
        """How far the office is from a derived fact (cp4 from the annual wage): the roster's
        nearest member, or the profile value and what is missing."""
        who = self.roster_text(d)
        if who or d.condition[0] != "field":
            return who
        _, name, op, want = d.condition
        v = self.ev.office.fact(name)
        value = f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else self.msg("not_given")
        text = self.msg("fact_value", field=field_label(self.kb, name, self.lang), value=value)
        if isinstance(v, int) and op == "ge":
            text += self.msg("yen_short", yen=f"{want - v:,}")
        return text

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
                short.append(self.msg("category_count", category=kb.categories[c][0 if ja else 1], have=counts[c], need=m))
        short += [self.msg("must_missing", item=n) for n in sorted(need.must - self.items)]
        if need.total and len(self.items) < need.total:
            short.append(self.msg("total_count", have=len(self.items), need=need.total))
        children = self.pledge_nodes(("wrule", rid))
        ok = ok or any(c["ok"] for c in children)
        detail = "" if ok or not short else self.msg("short", parts=self.msg("part_sep").join(short))
        return {"kind": "workplace-rule", "id": rid, "label": self.label(r), "ok": ok, "detail": detail,
                "children": children, **cite(r.cited, self.lang)}


def cite(c, lang: str = "en") -> dict:
    return {"source": c.text(lang), "confidence": c.confidence}


def explain(ev: Evaluation, tier_id: str, lang: str = "ja") -> dict:
    res = ev.results[tier_id]
    tree = Explainer(ev, lang).node(("tier", ev.period.id, tier_id))
    out = {"tier": tier_id, "attained": res.attained, "reachable": res.reachable, "tree": tree,
           "failing": failing(tree)}
    if res.tier.reachable_when is not None:
        out["reachable_when"] = condition_text(ev.kb, res.tier.reachable_when, lang)
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
