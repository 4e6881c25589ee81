"""The batch tables' rows (carekb.app.batch_sheets Summary, Actions) encoded straight to a writer's
bytes, CSV or XLSX alike, from parts prepared once: an action's five cells per (scheme, period,
action), a tier's per (tier, rate), the 対象外 runs of the summary per (period, service), the notes
per set of warnings. A row is then a join of a few byte strings, not a loop over its cells: 100,000
offices have 5 million action rows and 18 million summary cells.

A `codec` is the writer of one table: `cells(values, start, end) -> bytes` renders consecutive cells
(from column `start`; `end`: the row ends there) exactly as its `append` renders a row of values,
`int_cell(start)` gives the format of an int cell, and the writer's `write_row(cells)` /
`write_rows(prefix, mids, ends)` take the parts. The same cells therefore come out as through
`Summary.row` / `Actions.rows` and `append`, which remain the reference (tests/test_batch_writers.py).
Caches are keyed by values (a count, a yen amount, a rate), which the brief tuples hold as int and
float, never as each other's equals.
"""

from __future__ import annotations

from carekb.app.batch_sheets import WORDS, Actions, Summary
from carekb.app.report import short_tier

CACHE = 50_000       # entries kept by each cache that grows with the offices (tens of MB at most)


class SummaryRows:
    """Summary rows (one per office) for `codec`."""

    def __init__(self, summary: Summary, codec, notes: list[str] = ()):
        self.s, self.codec, self.extra_notes = summary, codec, list(notes)
        w = summary.words
        self._first_pair = 9                    # column of the first tier's (count, yen) pair
        pair = lambda word: codec.cells((word, None), self._first_pair)  # noqa: E731
        self._attained, self._below, self._unreachable = pair(w["attained"]), pair(w["below"]), pair(w["unreachable"])
        self._not_tier = pair(w["not_tier"])
        self._plans: dict = {}
        self._notes: dict = {}
        self._heads: dict = {}
        self._highest: dict = {}     # (mode column, highest, rate, yen) → cells
        (self._count, _), (self._gain, self._no_gain) = (codec.int_cell(self._first_pair),
                                                         codec.int_cell(self._first_pair + 1))
        self._mode_width = 3 + 2 * len(summary.tiers)

    def encode(self, r, who: bytes | None = None) -> bytes:
        """The office's row: head, then per pledge mode the highest tier and each tier's pair, then notes.
        `who`: the first three cells (row, id, name) if already encoded (the action rows begin with them)."""
        c = self.codec
        head = self._heads.get((r.service, r.period, r.as_of))
        if head is None:
            head = self._heads[(r.service, r.period, r.as_of)] = c.cells(
                (self._service(r.service), r.period, r.as_of), 3)
        parts = [who or c.cells((r.row, r.office_id or None, r.office_name or None), 0), head]
        slots, bases = self._plan(r.period, r.service)
        highs = self._highest
        if len(highs) > CACHE:
            highs.clear()
        col = 6
        for b in r.modes:
            key = (col, *b[:3])
            high = highs.get(key)
            if high is None:
                high = highs[key] = c.cells((short_tier(b[0], self.s.lang), b[1], b[2]), col)
            parts.append(high)
            section = (bases.get(b[4]) or self._base(slots, bases, b[4]))[:]
            for t in b[5]:
                i = slots.get(t[0])
                if i is not None:
                    section[i] = self._pair(t[3], t[4]) if t[2] else self._unreachable
            parts += section
            col += self._mode_width
        parts.append(self._notes_cell(r, col))
        return b"".join(parts)

    def _pair(self, count, gain) -> bytes:
        """A target tier's (missing count, yen gain) cells: they vary office by office, so formatted."""
        if count.__class__ is int and (gain is None or gain.__class__ is int):
            return (self._count % count) + (self._no_gain if gain is None else self._gain % gain)
        return self.codec.cells((count, gain), self._first_pair)

    def _plan(self, period: str, service: str) -> tuple[dict, dict]:
        """The tier columns of the service's offices: (tier id → its place in a mode's section, for the
        tiers the service has; attainable tiers → the section before the targets are filled in)."""
        plan = self._plans.get((period, service))
        if plan is None:
            own = self.s.own_tiers(period, service)
            slots, template = {}, []
            for tid in self.s.tiers:
                if tid in own:
                    slots[tid] = len(template)
                    template.append(tid)
                elif template and template[-1].__class__ is bytes:
                    template[-1] += self._not_tier       # runs of 対象外 as one part
                else:
                    template.append(self._not_tier)
            plan = self._plans[(period, service)] = (slots, {None: template})
        return plan

    def _base(self, slots: dict, bases: dict, attainable: tuple) -> list:
        """A section with every tier the service has as attained or below the highest (targets overwrite)."""
        base = [self._attained if p in attainable else self._below if p in slots else p for p in bases[None]]
        bases[attainable] = base
        return base

    def _service(self, service: str) -> str:
        svc = self.s.kb.services[service]
        return svc.label_ja if self.s.lang == "ja" else svc.label_en

    def _notes_cell(self, r, col: int) -> bytes:
        key = (r.service, *(b[3] for b in r.modes))
        hit = self._notes.get(key)
        if hit is None:
            if len(self._notes) >= CACHE:
                self._notes.clear()
            text = "; ".join(x for x in [self.s.notes(r.service, [b[3] for b in r.modes]), *self.extra_notes] if x)
            hit = self._notes[key] = self.codec.cells((text or None,), col, end=True)
        return hit


class ActionRows:
    """Action rows (office × pledge mode × higher tier × missing action) for `codec`."""

    def __init__(self, actions: Actions, codec, modes: tuple[str, ...]):
        self.a, self.codec = actions, codec
        w = WORDS[actions.lang]
        self._modes = [codec.cells((w[m],), 5) for m in modes]
        self._yes_no = {True: codec.cells((w["yes"],), 11), False: codec.cells((w["no"],), 11)}
        self._unreachable_word = w["unreachable"]
        self._services: dict = {}
        self._parts: list[dict] = [{} for _ in modes]
        self._tiers: dict = {}       # (tier, rate) → cells
        (self._count, _), (self._gain, self._no_gain) = codec.int_cell(9), codec.int_cell(10)
        self._labels: dict = {}

    def encode(self, r, who: bytes | None = None) -> tuple[bytes, list[bytes], list[bytes]]:
        """The office's rows as (head, mids, ends): row i is head + mids[i] + ends[i]. The head is the
        office (row, id, name, service, period: `who` is the first three if already encoded); a mid is
        mode, tier and counts (for an unreachable tier, also its reason); an end an action's five cells.
        Rows are lists of shared parts, joined only once written: no byte string per row."""
        c = self.codec
        svc = self._services.get((r.service, r.period))
        if svc is None:
            svc = self._services[(r.service, r.period)] = c.cells((self._service(r.service), r.period), 3)
        labels = self._labels_of(r.service, r.period)
        mids: list[bytes] = []
        ends: list[bytes] = []
        label = labels.__getitem__
        for k, b in enumerate(r.modes):
            get = self._parts[k].get
            for t in b[5]:
                if t[2]:
                    part = get(t[:6]) or self._part(k, t)
                    missing = t[6]
                    mids += [part] * len(missing)
                    ends += map(label, missing)
                else:
                    mids.append(get(t) or self._part(k, t))
                    ends.append(b"")
        return (who or c.cells((r.row, r.office_id or None, r.office_name or None), 0)) + svc, mids, ends

    def _part(self, k: int, t: tuple) -> bytes:
        """Mode, tier and counts of a target (for an unreachable one, the whole tail with its reason)."""
        tid, rate, reachable, count, gain, uses_pledge, _, reason = t
        parts = self._parts[k]
        if len(parts) >= CACHE:
            parts.clear()
        c = self.codec
        tier = self._tiers.get((tid, rate))
        if tier is None:
            tier = self._tiers[(tid, rate)] = c.cells((short_tier(tid, self.a.lang), tid, rate), 6)
        if reachable:
            if count.__class__ is int and (gain is None or gain.__class__ is int):
                counts = (self._count % count) + (self._no_gain if gain is None else self._gain % gain)
            else:
                counts = c.cells((count, gain), 9)
            part = parts[t[:6]] = self._modes[k] + tier + counts + self._yes_no[bool(uses_pledge)]
        else:
            part = parts[t] = self._modes[k] + tier + self._reason(reason)
        return part

    def _reason(self, reason: str) -> bytes:
        text = self._unreachable_word + ": " + self.a.reason(reason)   # the reason in the sheet's language
        return self.codec.cells((None, None, None, None, text, None, None, None), 9, end=True)

    def _service(self, service: str) -> str:
        svc = self.a.kb.services[service]
        return svc.label_ja if self.a.lang == "ja" else svc.label_en

    def _labels_of(self, service: str, period: str) -> dict:
        key = (service, period)
        hit = self._labels.get(key)
        if hit is None:
            hit = self._labels[key] = _Labels(self, service, period)
        return hit


class _Labels(dict):
    """action id → its five encoded cells (id, label, category, source, confidence), made on first use."""

    def __init__(self, rows: ActionRows, service: str, period: str):
        super().__init__()
        self.rows, self.service, self.period = rows, service, period

    def __missing__(self, action: str) -> bytes:
        hit = self[action] = self.rows.codec.cells(self.rows.a.label_cells(self.service, self.period, action), 12,
                                                   end=True)
        return hit
