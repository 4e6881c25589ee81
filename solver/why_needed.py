"""Why each action of a gap is needed: for the chosen missing actions of a tier, the rule of the
KB expression tree that brings in those the tier does not name itself (docs/profile.md,
`targets[].actions[].required_by`).  Read off the tree, never from rules written in Python."""

from __future__ import annotations

from carekb.model import actions

from carekb.solver import workplace as wp
from carekb.solver.gap import Evaluation
from carekb.solver.memo import per_kb


def why_needed(ev: Evaluation, tier_id: str) -> dict[str, list[dict]]:
    """For each action of the tier's chosen missing set that the tier does not name itself (among
    its own top-level requirements): the rules that bring it in — the innermost named node around
    it in the KB expression tree (a composite requirement, a tier the tier includes, the condition
    of a pledge, a workplace rule) on the derivation that the chosen actions complete.  Each rule
    as {kind, id, label_ja, label_en}; actions the tier names itself are left out."""
    return why_needed_all(ev, [tier_id]).get(tier_id, {})


def why_needed_all(ev: Evaluation, tier_ids) -> dict[str, dict[str, list[dict]]]:
    """`why_needed` for several tiers of one evaluation, sharing what depends only on the office."""
    shared = _Office(ev)
    out = {}
    for tid in tier_ids:
        out[tid] = _why(ev, tid, shared)
    return out


def _why(ev: Evaluation, tier_id: str, shared: "_Office") -> dict[str, list[dict]]:
    res = ev.results[tier_id]
    if not res.reachable or not res.missing:
        return {}
    walk = _Derivation(shared, frozenset(res.missing))
    root = _tree(ev.kb, ev.period.id, tier_id)
    if walk.relevant(root.children[0]):   # the tier's own node is not a reason: start below it
        walk.walk(root.children[0], ())
    out = {}
    for action in res.missing:
        paths = walk.paths.get(action, [])
        if not paths or any(len(p) == 1 for p in paths):
            continue                     # named by the tier itself (or not found: say nothing rather than guess)
        around = sorted({p[-2] for p in paths}, key=lambda n: (n[0], n[-1]))
        out[action] = [_node_info(ev, n) for n in around]
    return out


def _node_info(ev: Evaluation, node: tuple) -> dict:
    return dict(_named(ev.kb, ev.period.id, node))   # a fresh dict: callers may add to it


@per_kb
def _named(kb, period_id: str, node: tuple) -> dict:
    """A named node of the expression tree as the contract shows it: kind, id and both labels."""
    kind = node[0]
    if kind == "pledge":
        rule = next(p for p in kb.pledges[period_id] if p.id == node[1])
        labels = {lang: " / ".join(kb.expr_label(x, lang) for x in rule.targets) for lang in ("ja", "en")}
        return {"kind": "pledge-condition", "id": actions.pledge(node[1]), "label_ja": labels["ja"], "label_en": labels["en"]}
    kinds = {"tier": "tier", "req": "requirement", "act": "requirement", "wrule": "workplace-rule"}
    nid = node[2] if kind == "tier" else node[1]
    return {"kind": kinds[kind], "id": nid, "label_ja": kb.expr_label(node, "ja"), "label_en": kb.expr_label(node, "en")}


class _Node:
    """One node of a tier's expression, compiled once per KB: its children, the pledges offered
    for it (with their conditions), and what can lie below it (atoms and pledges; workplace rules)."""

    __slots__ = ("expr", "kind", "children", "pledges", "acts", "rules")

    def __init__(self, expr: tuple):
        self.expr, self.kind = expr, expr[0]
        self.children: list[_Node] = []
        self.pledges: list = []            # (PledgeRule, condition node or None)
        self.acts: frozenset = frozenset()
        self.rules = False


@per_kb
def _tree(kb, period_id: str, tier_id: str) -> _Node:
    """The tier's expression as shared _Node objects (one per distinct sub-expression)."""
    nodes: dict[tuple, _Node] = {}
    pledges = kb.pledges.get(period_id, ())

    def build(e: tuple) -> _Node:
        n = nodes.get(e)
        if n is not None:
            return n
        n = nodes[e] = _Node(e)
        kind = e[0]
        parts = []
        if kind in ("all", "any"):
            parts = list(e[1])
        elif kind == "tier":
            parts = [kb.tiers[e[1]][e[2]].expr]
        elif kind == "req":
            parts = [kb.requirements[e[1]].definition]
        n.children = [build(x) for x in parts if x is not None]
        if kind in ("act", "req", "wrule"):
            n.pledges = [(p, build(p.condition) if p.condition is not None else None) for p in pledges if e in p.targets]
        acts = {e[1]} if kind == "act" else set()
        acts |= {actions.pledge(p.id) for p, _ in n.pledges}
        below = n.children + [c for _, c in n.pledges if c is not None]
        for c in below:
            acts |= c.acts
        n.acts, n.rules = frozenset(acts), kind == "wrule" or any(c.rules for c in below)
        return n

    return build(("tier", period_id, tier_id))


class _Office:
    """What the derivations of one evaluation share: the actions in place, which requirements cost
    nothing here, and workplace-rule checks by item set."""

    def __init__(self, ev: Evaluation):
        self.ev, self.kb, self.ctx = ev, ev.kb, ev.ctx
        self.have = ev.have()
        self.workplace = frozenset(ev.office.workplace)
        self.exceptions = self.ctx.exceptions()
        self.list_id = ev.period.item_list
        self._free: dict[tuple, bool] = {}
        self._rules: dict[tuple, bool] = {}

    def free(self, n: _Node) -> bool:
        """A requirement that costs nothing here: met as a whole, not applicable, or derived from facts."""
        hit = self._free.get(n.expr)
        if hit is None:
            rid = n.expr[1]
            hit = self._free[n.expr] = ((n.kind == "req" and rid in self.ev.office.met) or not self.ctx.applies(rid)
                                        or self.ctx.derived_holds(rid))
        return hit

    def rule_ok(self, rid: str, items: frozenset) -> bool:
        key = (rid, items)
        hit = self._rules.get(key)
        if hit is None:
            hit = self._rules[key] = wp.satisfied(self.kb, self.list_id, frozenset([rid]), items, self.exceptions)
        return hit


class _Derivation:
    """Walks a tier's compiled expression with the actions in place plus the chosen missing ones,
    along the branches they satisfy (the solver's semantics: rules.Compiler), and records for each
    missing action the named nodes above it: tiers, requirements, pledge conditions, workplace rules."""

    def __init__(self, shared: _Office, missing: frozenset):
        self.shared, self.ev, self.ctx = shared, shared.ev, shared.ctx
        self.missing = missing
        self.done = shared.have | missing
        self.items = shared.workplace | {n for a in missing if (n := actions.item_number(a)) is not None}
        self.new_items = self.items - shared.workplace
        self.free, self.rule_ok = shared.free, shared.rule_ok
        self.paths: dict[str, list[tuple]] = {}
        self._sat: dict[_Node, bool] = {}
        self._base: dict[_Node, bool] = {}

    def relevant(self, n: _Node) -> bool:
        """Whether any chosen action can lie below `n`: the walk skips the rest."""
        return bool(n.acts & self.missing) or (n.rules and bool(self.new_items))

    def record(self, action: str, path: tuple) -> None:
        if action in self.missing:
            self.paths.setdefault(action, []).append(path)

    def base(self, n: _Node) -> bool:
        hit = self._base.get(n)
        if hit is None:
            if n.kind == "act":
                hit = n.expr[1] in self.done
            elif n.kind == "req":
                hit = self.sat(n.children[0])
            else:
                hit = self.rule_ok(n.expr[1], self.items)
            self._base[n] = hit
        return hit

    def pledge(self, n: _Node):
        """The first pledge for node `n` that the chosen set makes, valid on the date and with its
        condition met (as rules.Context.pledges_for offers them): (rule, condition node), or None."""
        if not self.ctx.use_pledges:
            return None
        for p, cond in n.pledges:
            if (actions.pledge(p.id) in self.done and self.ctx.holds(("date_le", p.deadline))
                    and (cond is None or self.sat(cond))):
                return p, cond
        return None

    def sat(self, n: _Node) -> bool:
        hit = self._sat.get(n)
        if hit is None:
            hit = self._sat[n] = self._satisfied(n)
        return hit

    def _satisfied(self, n: _Node) -> bool:
        kind = n.kind
        if kind == "all":
            return all(self.sat(c) for c in n.children)
        if kind == "any":
            return any(self.sat(c) for c in n.children)
        if kind in ("field", "date_le", "group"):
            return self.ctx.holds(n.expr)
        if kind == "tier":
            return self.sat(n.children[0])
        if kind in ("act", "req") and self.free(n):
            return True
        return self.base(n) or self.pledge(n) is not None

    def walk(self, n: _Node, path: tuple) -> None:
        """Record the chosen actions below `n` (callers skip nodes that cannot lead to one)."""
        kind = n.kind
        if kind == "all":
            for c in n.children:
                if self.relevant(c):
                    self.walk(c, path)
        elif kind == "any":
            for c in n.children:
                if self.relevant(c) and self.sat(c):
                    self.walk(c, path)
        elif kind == "tier":
            self.walk(n.children[0], path + (n.expr,))
        elif kind in ("act", "req", "wrule"):
            if kind != "wrule" and self.free(n):
                return
            own = path + (n.expr,)
            if self.base(n):
                if kind == "act":
                    self.record(n.expr[1], own)
                elif kind == "req":
                    if self.relevant(n.children[0]):
                        self.walk(n.children[0], own)
                else:
                    self.record_items(n.expr[1], own)
                return
            chosen = self.pledge(n)
            if chosen is not None:
                p, cond = chosen
                self.record(actions.pledge(p.id), own)
                if cond is not None and self.relevant(cond):
                    self.walk(cond, own + (("pledge", p.id),))

    def record_items(self, rid: str, path: tuple) -> None:
        """The new workplace items this rule needs: each one without which it would fail (when
        none is needed alone, every new item, provided the items in place do not suffice)."""
        needed = [n for n in sorted(self.new_items) if not self.rule_ok(rid, self.items - {n})]
        if not needed and not self.rule_ok(rid, self.shared.workplace):
            needed = sorted(self.new_items)
        for n in needed:
            self.record(actions.workplace(n), path)
