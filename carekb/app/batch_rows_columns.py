"""A chunk of batch rows checked and bound column by column: exactly what `batch_rows.check_row`
gives row by row, for about two thirds of its cost (a worker's chunk of generated offices, without
documents: 76k CPU instructions a row against 116k; bench/row_check_bench.py).

The per-row fast path spends most of its time in Python's per-cell steps (a loop over the columns,
a memo look-up, an unpacking, a dict store per cell). Here each column is looked up in the same
memos (batch_rows._Rows) once per distinct cell, the cells looked up with C-level map/zip, and the
Offices and their profile documents are made from the columns (dict(zip(names, values)) per row).
What is left is mostly inherent: an Office's instance dict (a fifth), the met and workplace lists'
words and frozensets (two fifths), a hash per fresh cell. A row that any column
cannot vouch for (a reading not proved good, an over-long cell, a roster entry, a rare history
layout, a date or item outside the rules) is done alone by check_row, so every Office and every
error message stays what the full path makes.

    results = check_rows(kb, source, raw, cols, roster, as_of)   # [(n, id, name, Office | RowError)]
"""

from __future__ import annotations

import dataclasses
from collections import deque
from functools import partial
from itertools import repeat
from operator import itemgetter, le

from carekb.model.dates import as_of_or_today
from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.inputs import normalize
from carekb.inputs.profile import Office
from carekb.inputs.tabular import MAX_CELL_CHARS
from carekb.app.batch_columns import Column, Roster, _empty, ident
from carekb.app.batch_rows import (_BAD, _EMPTY, _MISS, _Bad, _Memo, _Rows, _key, _office, _read_items, _rows,
                                   check_row, plain_number)

_FIELDS = tuple(f.name for f in dataclasses.fields(Office))
_DEFAULT = {f.name: f.default for f in dataclasses.fields(Office) if f.default is not dataclasses.MISSING}
_new = object.__new__
_set = object.__setattr__


def check_rows(kb: KB, source: str, raw: list, cols: dict[int, Column], roster: Roster, as_of,
               documents: bool = True) -> list:
    """[check_row(kb, source, n, cells, cols, roster, as_of) for n, cells in raw], the same values.
    `documents=False`: the Offices need not carry their profile document (None but in the rows done
    alone), for a caller that only evaluates them (the document is what-if's input, never read by
    an evaluation)."""
    if not raw:
        return []
    rows = _rows(kb, cols)
    ns, cells = zip(*raw)
    if rows.service_col is None or min(map(len, cells)) < rows.width or _office is Office:
        return [check_row(kb, source, n, c, cols, roster, as_of) for n, c in raw]
    try:
        out, bad = _Chunk(rows, cells, as_of, documents).results(source, ns, roster)
    except TypeError:    # a cell that cannot be a memo key: the row path says which
        return [check_row(kb, source, n, c, cols, roster, as_of) for n, c in raw]
    for j in sorted(bad):
        out[j] = check_row(kb, source, ns[j], cells[j], cols, roster, as_of)
    return out


def _ascii_text(col) -> bool:
    """Every cell is ASCII text."""
    try:
        return "".join(col).isascii()
    except TypeError:
        return False


def _text(col) -> bool:
    """Every cell is text (a CSV's always are): the cells are their own memo keys."""
    try:
        "".join(col)
    except TypeError:
        return False
    return True


class _Chunk:
    """One chunk's columns, read: per profile key its column of profile values (_EMPTY: blank),
    per Office field its column of values, and the rows to do alone (`bad`).

    A column is read once per distinct cell (a table for the chunk, filled from batch_rows' memos),
    then looked up cell by cell with map: most columns hold a few values, and even the mostly
    distinct ones (units, met) repeat some."""

    def __init__(self, rows: _Rows, cells: tuple, as_of, documents: bool):
        self.rows, self.n = rows, len(cells)
        self.columns = list(zip(*cells))
        self.bad: set[int] = set()
        self.docs: dict[tuple[int, str], object] = {}     # (place: office 0 / history 1 / top 2, key) → values
        self.blank: dict[tuple[int, str], list] = {}      # the same → rows where it is blank
        self.fields: dict[str, object] = {}               # Office field → values
        self.as_of, self.documents = as_of, documents

    # ------------------------------------------------------------------ cells → readings

    def column(self, col, read, default, keys=None, read_all=None) -> tuple:
        """(profile values, checked values, blank rows) of a column: `read(cell)` gives (profile
        value, checked value), _EMPTY or _BAD (its rows go alone), once per distinct cell (or key);
        `read_all(distinct keys)`: the same for a list of them at once."""
        if keys is None:
            keys = col if _text(col) else list(map(_key, col))
        if read_all is not None:
            distinct = list(set(keys))
            table = dict(zip(distinct, read_all(distinct)))
        else:
            table = {k: read(k if type(k) is str else k[1]) for k in set(keys)}
        blank: list = []
        odd = [k for k, g in table.items() if g.__class__ is not tuple]
        if odd:
            bads = {k for k in odd if table[k] is _BAD}
            if bads:
                self.bad.update(j for j, k in enumerate(keys) if k in bads)
            empties = set(odd) - bads
            if empties and len(empties) < len(table):
                blank = [j for j, k in enumerate(keys) if k in empties]
            elif empties:
                blank = range(self.n)
            pair = (_EMPTY, default)
            for k in odd:
                table[k] = pair
        if not self.documents:   # the checked values alone: one look-up a cell
            return None, list(map({k: g[1] for k, g in table.items()}.__getitem__, keys)), blank
        docs, values = zip(*map(table.__getitem__, keys))
        return docs, values, blank

    def _put(self, place: int, sub: str, attr: str, got: tuple) -> None:
        docs, values, blank = got
        self._doc(place, sub, docs, blank)
        self.fields[attr] = values

    def _doc(self, place: int, sub: str, docs, blank) -> None:
        self.docs[place, sub] = docs
        self.blank[place, sub] = blank

    def _memo_reader(self, memo: _Memo, reader):
        rows = self.rows

        def read(v):
            got = memo.get(v if type(v) is str else (type(v), v), _MISS)
            return rows.read(memo, reader, v) if got is _MISS else got
        return read

    def idents(self, i: int | None, sub: str) -> list:
        """The id or name column as check_row reads it ('' when blank); an over-long cell, or a
        name the full path's normalize.text refuses, sends its row alone."""
        if i is None:
            return [""] * self.n
        col = self.columns[i]
        if _text(col):
            out = list(map(str.strip, col))
            if max(map(len, col)) > MAX_CELL_CHARS:
                self.bad.update(j for j, v in enumerate(col) if len(v) > MAX_CELL_CHARS)
        else:
            out = ["" if _empty(v) else ident(v) for v in col]
            self.bad.update(j for j, v in enumerate(col) if type(v) is str and len(v) > MAX_CELL_CHARS)
        if not "".join(out).isascii():
            for j, d in enumerate(out):
                if not d.isascii():
                    try:
                        normalize.text(d)
                    except CarekbError:
                        self.bad.add(j)
        if self.documents:
            blank = [j for j, d in enumerate(out) if not d]
            self._doc(0, sub, [d or _EMPTY for d in out] if blank else out, blank)
        return out

    def service(self) -> tuple:
        rows = self.rows
        docs, pairs, blank = self.column(self.columns[rows.service_col],
                                         self._memo_reader(rows.memos["office.service"], rows._read_service), None)
        self.bad.update(blank)
        self._doc(0, "service", docs, [])
        if None in pairs:    # bad rows (a blank or unknown service): placeholders, replaced later
            pairs = [(None, None) if p is None else p for p in pairs]
        return tuple(zip(*pairs))

    def scalars(self) -> None:
        for i, memo, reader, attr, place, sub in self.rows.scalars:
            self._put(place, sub, attr, self.column(self.columns[i], self._memo_reader(memo, reader), _DEFAULT.get(attr)))

    def numbers(self) -> None:
        rows = self.rows
        for i, memo, reader, attr, hi, place, sub in rows.numbers:
            read = partial(_number, rows, memo, reader, hi)
            self._put(place, sub, attr, self.column(self.columns[i], read, None, read_all=partial(_numbers, read, hi)))

    def workplace(self, i: int, memo: _Memo) -> None:
        rows = self.rows

        def read_all(cells: list) -> list:
            if _ascii_text(cells) and max(map(len, cells)) <= MAX_CELL_CHARS:
                get = rows.digits.__getitem__
                try:    # "1 3 5": _Rows.workplace's reading of an ASCII cell, in one comprehension
                    if self.documents:
                        docs = [list(map(get, v.replace(",", " ").replace(";", " ").split())) for v in cells]
                        out = list(zip(docs, map(frozenset, docs)))
                    else:   # the item numbers alone
                        out = list(zip(repeat(None), [frozenset(map(get, v.replace(",", " ").replace(";", " ").split()))
                                                      for v in cells]))
                except KeyError:    # a word not read yet: the cells one by one (which remember it)
                    pass
                else:
                    for j, (_, numbers) in enumerate(out):
                        if not numbers:   # blank, or separators only: the cell's own path
                            out[j] = _items_cell(rows, memo, cells[j])
                    return out
            return [_items_cell(rows, memo, k if type(k) is str else k[1]) for k in cells]
        docs, values, blank = self.column(self.columns[i], None, frozenset(), read_all=read_all)
        if docs is not None:   # the table's lists are shared by equal cells: each row's document its own
            docs = [d if d is _EMPTY else list(d) for d in docs]
        self._put(2, "workplace", "workplace", (docs, values, blank))

    def ids(self, key: str, i: int, skbs: tuple) -> None:
        """A met or pledged column: each cell's words read against its service's scheme."""
        col = self.columns[i]
        by_id = dict(zip(map(id, skbs), skbs))
        rows = self.rows

        def read_all(keys: list) -> list:
            out = [_BAD] * len(keys)       # a row whose service is bad already stays _BAD
            for sid, skb in by_id.items():
                if skb is None:
                    continue
                at = [j for j, k in enumerate(keys) if k[1] == sid]
                cells = [keys[j][0] for j in at]
                got = None
                memo = rows.ids_of.get((key, sid))
                if memo is not None and _ascii_text(cells) and max(map(len, cells), default=0) <= MAX_CELL_CHARS:
                    get = memo.__getitem__
                    words = [v.replace(",", " ").replace(";", " ").split() for v in cells]
                    try:    # _Rows.ids' reading of an ASCII cell, in one comprehension
                        got = list(zip(words if self.documents else repeat(None),
                                       map(frozenset, map(map, repeat(get), words))))
                    except KeyError:   # a word not read yet: the cells one by one (which remember it)
                        got = None
                    else:
                        check = _BAD in memo.values()
                        for j, (_, ids) in enumerate(got):
                            if not ids or (check and _BAD in ids):   # blank, separators only, or a bad word
                                got[j] = _ids_cell(rows, key, cells[j], skb)
                if got is None:
                    got = [_ids_cell(rows, key, v if type(v) is str else v[1], skb) for v in cells]
                for j, g in zip(at, got):
                    out[j] = g
            return out
        keys = list(zip(col if _text(col) else map(_key, col), map(id, skbs)))
        docs, values, blank = self.column(col, None, frozenset(), keys, read_all)
        if docs is not None:
            docs = [d if d is _EMPTY else list(d) for d in docs]
        self._put(2, key, key, (docs, values, blank))

    # ------------------------------------------------------------------ the Offices

    def results(self, source: str, ns: tuple, roster: Roster) -> tuple[list, set]:
        rows, n, bad, fields = self.rows, self.n, self.bad, self.fields
        oids = self.idents(rows.id_col, "id")
        names = self.idents(rows.name_col, "name")
        if roster:   # rows with staff: parse_staff and the roster's wage, alone
            bad.update(j for j, o in enumerate(oids) if o in roster)
        sids, skbs = self.service()
        self.scalars()
        self.numbers()
        for i, memo in rows.items:
            self.workplace(i, memo)
        for i, key in rows.lists:
            self.ids(key, i, skbs)
        history = self._history()
        self._days_and_items(sids)
        fields.update(service=sids, id=oids, name=names)
        fields["source"] = [f"{source}: row {k} (id {o})" if o else f"{source}: row {k}" for k, o in zip(ns, oids)]
        fields["lines"] = [{} for _ in range(n)]
        if history is not None:
            fields["history_given"] = history
        fields["document"] = self._documents(rows) if self.documents else None
        return list(zip(ns, oids, names, self._offices())), bad

    def _days_and_items(self, sids) -> None:
        """Each row's day of the rules (--as-of, else its date, else today), its period, and every
        workplace item in the period's list."""
        rows, n, fields = self.rows, self.n, self.fields
        if self.as_of:
            days = [self.as_of] * n
        elif "as_of" not in fields:
            days = [as_of_or_today()] * n
        else:
            days = fields["as_of"]
            if self.blank[2, "as_of"]:
                today = as_of_or_today()
                days = [d or today for d in days]
        fields["as_of"] = days
        keys = list(zip(sids, days))
        table = {k: _period(rows, *k) for k in set(keys)}
        if _BAD in table.values():
            bads = {k for k, p in table.items() if p is _BAD}
            self.bad.update(j for j, k in enumerate(keys) if k in bads)
            table.update(dict.fromkeys(bads, (None, frozenset())))
        if "workplace" in fields:
            items = list(map(itemgetter(1), map(table.__getitem__, keys)))
            if not all(map(le, fields["workplace"], items)):
                self.bad.update(j for j, ok in enumerate(map(le, fields["workplace"], items)) if not ok)

    def _offices(self) -> list:
        """Office(**fields) of each row, without its __init__ (a frozen dataclass's setattr per field,
        a fifth of a row's time): its instance dict made at once (`batch_rows._plain_office`)."""
        fields, n = self.fields, self.n
        values = [fields[f] if fields.get(f) is not None else repeat(_DEFAULT.get(f)) for f in _FIELDS]
        offices = list(map(_new, repeat(Office, n)))
        deque(map(_set, offices, repeat("__dict__"), map(dict, map(zip, repeat(_FIELDS), zip(*values)))), maxlen=0)
        return offices

    def _history(self) -> list | None:
        """history_given per row, and the rows' history dicts as a top-level profile column."""
        subs = [sub for (place, sub) in self.docs if place == 1]
        if not subs:
            return None
        blank_all = set.intersection(*(set(self.blank[1, s]) for s in subs))
        given = [j not in blank_all for j in range(self.n)] if blank_all else [True] * self.n
        if self.documents:
            hdocs = _dicts(subs, [self.docs[1, s] for s in subs], [self.blank[1, s] for s in subs], self.n)
            blank = sorted(blank_all)
            for j in blank:
                hdocs[j] = _EMPTY
            self._doc(2, "history", hdocs, blank)
        rows = self.rows
        if rows.history_split:   # "history" would sit elsewhere in the profile dict: alone
            first = self.columns[rows.history_first]
            self.bad.update(j for j in range(self.n) if given[j] and _empty(first[j]))
        return given

    def _documents(self, rows: _Rows) -> list:
        n = self.n
        okeys = list(rows.office_doc)
        odocs = _dicts(okeys, [self.docs[0, k] for k in okeys], [self.blank[0, k] for k in okeys], n)
        self._doc(2, "office", odocs, [])
        self._doc(2, "version", repeat(1), [])
        tkeys = [k for k in rows.top_doc if (2, k) in self.docs]
        return _dicts(tkeys, [self.docs[2, k] for k in tkeys], [self.blank[2, k] for k in tkeys], n)


def _dicts(keys: list, columns: list, blanks: list, n: int) -> list[dict]:
    """Per row a dict of keys → its values in the columns, in key order, without its blank cells."""
    keep = [k for k, b in enumerate(blanks) if len(b) < n]       # a column blank in every row: no key
    if not keep:
        return [{} for _ in range(n)]
    out = list(map(dict, map(zip, repeat([keys[k] for k in keep]), zip(*(columns[k] for k in keep)))))
    for k in keep:
        key = keys[k]
        for j in blanks[k]:
            del out[j][key]
    return out


def _period(rows: _Rows, sid, day):
    """(period, its item numbers) of a service on a day, _BAD if it has no tiers then (or the row
    is bad already: no service)."""
    if sid is None:
        return _BAD
    try:
        return rows.period(sid, rows.kb.for_service(sid), day)
    except _Bad:
        return _BAD


def _numbers(read, hi: int, cells: list) -> list:
    """`read` of each cell, the plain ones (digits and commas) at once: int() of the digits."""
    if _text(cells) and max(map(len, cells)) <= MAX_CELL_CHARS:
        ds = [v.replace(",", "") for v in cells]
        plain = [d for d in ds if d]
        digits = "".join(plain)
        if digits.isdigit() and digits.isascii() and max(map(len, plain)) <= 15:
            values = list(map(int, plain))
            if max(values) <= hi:
                pairs = iter(zip(values, values))
                return [next(pairs) if d else read(v) for d, v in zip(ds, cells)]    # "" or ",": the cell's own path
    return [read(k if type(k) is str else k[1]) for k in cells]


def _number(rows: _Rows, memo: _Memo, reader, hi: int, v):
    """A whole-number cell as batch_rows._fast reads it."""
    got = plain_number(v)
    if got is not None:
        return (got, got) if got <= hi else _BAD
    got = memo.get(_key(v), _MISS)
    return rows.read(memo, reader, v) if got is _MISS else got


def _items_cell(rows: _Rows, memo: _Memo, v):
    """A workplace cell as batch_rows._fast reads it: (list, frozenset), _EMPTY or _BAD."""
    if type(v) is str and not _empty(v):
        if len(v) > MAX_CELL_CHARS:
            return _BAD
        try:
            return rows.workplace(v)
        except _Bad:
            return _BAD
    got = memo.get(_key(v), _MISS)
    if got is _MISS:
        got = rows.read(memo, _read_items, v)
    return got if got is _EMPTY or got is _BAD else (list(got[0]), frozenset(got[1]))


def _ids_cell(rows: _Rows, key: str, v, skb: KB):
    """A met or pledged cell as batch_rows._fast reads it: (list, frozenset), _EMPTY or _BAD."""
    if _empty(v):
        return _EMPTY
    if type(v) is str and len(v) > MAX_CELL_CHARS:
        return _BAD
    try:
        return rows.ids(key, v, skb)
    except _Bad:
        return _BAD
