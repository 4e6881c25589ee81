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

CSV action rows also come whole (`ActionRows.whole_rows`, for a codec with a fixed `row_end`): a
target tier's rows are one `bytes.join` of its missing set's prepared row ends on its head, mode,
tier and counts (one `%` of a prepared format), so the workers (CsvOut._render) make one byte string
per target tier instead of a list of parts per row (tests/test_batch_csv_encode.py).
"""

from __future__ import annotations

from operator import itemgetter

from carekb.app.batch_sheets import WORDS, Actions, Summary
from carekb.app.report import short_tier

CACHE = 50_000       # entries kept by each cache that grows with the offices (tens of MB at most)
_WARNINGS = itemgetter(3)    # of a brief tuple


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
        self._highest: dict = {}     # (mode column, highest, rate) → format of an int yen; (…, yen) → cells
        (count, _), (gain, no_gain) = codec.int_cell(self._first_pair), codec.int_cell(self._first_pair + 1)
        # a target tier's (missing count, yen gain) pair in one % (they vary office by office)
        self._pair2, self._pair1 = count + gain, count + no_gain.replace(b"%", b"%%")
        self._mode_width = 3 + 2 * len(summary.tiers)

    def encode(self, r, who: bytes | None = None) -> bytes:
        """The office's row: head, then per pledge mode the highest tier and each tier's pair, then notes.
        `who`: the first three cells (row, id, name) if already encoded (the action rows begin with them)."""
        c = self.codec
        office = self._heads.get((r.service, r.period, r.as_of))
        if office is None:
            office = self._heads[(r.service, r.period, r.as_of)] = (
                c.cells((self._service(r.service), r.period, r.as_of), 3), *self._plan(r.period, r.service))
        head, slots, bases = office
        parts = [who or c.cells((r.row, r.office_id or None, r.office_name or None), 0), head]
        highs, pair2, pair1, unreachable = self._highest, self._pair2, self._pair1, self._unreachable
        if len(highs) > CACHE:
            highs.clear()
        col = 6
        for b in r.modes:
            if b[2].__class__ is int:   # the yen varies office by office: formatted into the highest tier's cells
                high = highs.get((col, b[0], b[1]))
                if high is None:
                    high = highs[(col, b[0], b[1])] = c.cells((short_tier(b[0], self.s.lang), b[1]), col).replace(
                        b"%", b"%%") + c.int_cell(col + 2)[0]
                parts.append(high % b[2])
            else:
                high = highs.get((col, b[0], b[1], b[2]))
                if high is None:
                    high = highs[(col, b[0], b[1], b[2])] = c.cells((short_tier(b[0], self.s.lang), b[1], b[2]), col)
                parts.append(high)
            section = (bases.get(b[4]) or self._base(slots, bases, b[4]))[:]
            for t in b[5]:
                i = slots.get(t[0])
                if i is not None:
                    if not t[2]:
                        section[i] = unreachable
                    elif t[3].__class__ is int and t[4] is None:
                        section[i] = pair1 % t[3]
                    elif t[3].__class__ is int and t[4].__class__ is int:
                        section[i] = pair2 % (t[3], t[4])
                    else:
                        section[i] = c.cells((t[3], t[4]), self._first_pair)
            parts += section
            col += self._mode_width
        parts.append(self._notes_cell(r, col))
        return b"".join(parts)

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
        key = (r.service, *map(_WARNINGS, r.modes))
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
        self._ends: dict = {}                          # (service, period) → _Ends (whole_rows)
        self._scheme_ends: dict = {}                   # (scheme, period) → _Ends
        self._formats: list[dict] = [{} for _ in modes]  # (tier, rate, uses pledge, gain is None) → format
        self._lasts: list[dict] = [{} for _ in modes]    # unreachable target → its row's tail
        self._reasons: dict = {}                         # reason → its cells

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

    def whole_rows(self, r, who: bytes, out: list) -> int:
        """The office's rows, each ending with the codec's `row_end` (a CSV writer's), appended to `out`
        as a few byte strings: one per target tier, `p.join((b"", end_0, end_1, …))` with p its head,
        mode, tier and counts, and the ends (an action's cells and row_end) prepared once per set of
        missing actions (sets recur across offices). The same bytes as the rows of `encode`. Returns
        how many rows."""
        svc = self._services.get((r.service, r.period))
        if svc is None:
            svc = self._services[(r.service, r.period)] = self.codec.cells((self._service(r.service), r.period), 3)
        head = who + svc
        ends = self._ends.get((r.service, r.period)) or self._ends_of(r.service, r.period)
        n = 0
        for k, b in enumerate(r.modes):
            formats, lasts = self._formats[k], self._lasts[k]
            for t in b[5]:
                tid, rate, reachable, count, gain, uses_pledge, missing, _ = t
                if not reachable:
                    out += (head, lasts.get(t) or self._last(k, t))
                    n += 1
                elif missing:
                    if count.__class__ is int and (gain is None or gain.__class__ is int):
                        key = (tid, rate, uses_pledge, gain is None)
                        f = formats.get(key) or self._format(k, key)
                        p = f % (head, count) if gain is None else f % (head, count, gain)
                    else:
                        p = head + (self._parts[k].get(t[:6]) or self._part(k, t))
                    out.append(p.join(ends[missing]))
                    n += len(missing)
        return n

    def _ends_of(self, service: str, period: str) -> "_Ends":
        """The service's _Ends: one per scheme and period, as an action's cells depend only on those
        (Actions.label_cells), so that a set of missing actions is prepared once for all services."""
        key = (self.a.kb.for_service(service).scheme, period)
        ends = self._scheme_ends.get(key)
        if ends is None:
            ends = self._scheme_ends[key] = _Ends(_Labels(self, service, period, self.codec.row_end))
        self._ends[(service, period)] = ends
        return ends

    def _format(self, k: int, key: tuple) -> bytes:
        """`format % (head, count[, gain])`: a target's head, mode, tier and counts (gain None or int)."""
        tid, rate, uses_pledge, no_gain = key
        fixed = (self._modes[k] + self._tier(tid, rate)).replace(b"%", b"%%")
        counts = self._count + (self._no_gain.replace(b"%", b"%%") if no_gain else self._gain)
        f = self._formats[k][key] = b"%s" + fixed + counts + self._yes_no[bool(uses_pledge)].replace(b"%", b"%%")
        return f

    def _last(self, k: int, t: tuple) -> bytes:
        """An unreachable target's row after the head: mode, tier, reason, row_end."""
        lasts = self._lasts[k]
        if len(lasts) >= CACHE:
            lasts.clear()
        hit = lasts[t] = (self._parts[k].get(t) or self._part(k, t)) + self.codec.row_end
        return hit

    def _tier(self, tid: str, rate) -> bytes:
        tier = self._tiers.get((tid, rate))
        if tier is None:
            tier = self._tiers[(tid, rate)] = self.codec.cells((short_tier(tid, self.a.lang), tid, rate), 6)
        return tier

    def _part(self, k: int, t: tuple) -> bytes:
        """Mode, tier and counts of a target (for an unreachable one, the whole tail with its reason)."""
        tid, rate, reachable, count, gain, uses_pledge, _, reason = t
        parts = self._parts[k]
        if len(parts) >= CACHE:
            parts.clear()
        c = self.codec
        tier = self._tier(tid, rate)
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
        """The cells after an unreachable tier (few distinct reasons, each with many tiers and rates)."""
        hit = self._reasons.get(reason)
        if hit is None:
            text = self._unreachable_word + ": " + self.a.reason(reason)   # the reason in the sheet's language
            hit = self._reasons[reason] = self.codec.cells((None, None, None, None, text, None, None, None), 9,
                                                           end=True)
        return hit

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
    """action id → its five encoded cells (id, label, category, source, confidence), then `suffix`,
    made on first use."""

    def __init__(self, rows: ActionRows, service: str, period: str, suffix: bytes = b""):
        super().__init__()
        self.rows, self.service, self.period, self.suffix = rows, service, period, suffix

    def __missing__(self, action: str) -> bytes:
        hit = self[action] = self.rows.codec.cells(self.rows.a.label_cells(self.service, self.period, action), 12,
                                                   end=True) + self.suffix
        return hit


class _Ends(dict):
    """missing action ids → (b"", each action's cells and row end): what a target's rows join on."""

    def __init__(self, labels: _Labels):
        super().__init__()
        self.labels = labels

    def __missing__(self, missing: tuple) -> tuple:
        if len(self) >= CACHE:
            self.clear()
        hit = self[missing] = (b"", *map(self.labels.__getitem__, missing))
        return hit

