"""One batch row checked and bound into an Office, fast: the same Office as the full path (a row's
profile dict → inputs.profile.check → bind), built from memoised readings of its cells.

A national table repeats most cells (service names, dates, はい/いいえ, regions, history tiers and
the ids of the met / workplace / pledged lists), so each cell is read once per distinct value with
the very functions the full path uses (batch_columns for the profile value, inputs.normalize and
inputs.profile for the checked one), and the Office is assembled from those readings. A cell that
does not read cleanly, or anything else the fast path does not prove good (a missing service, an
over-long cell, a date outside the rules, an item not in the period's list), sends the whole row
down the full path, so that every error message stays exactly what it was.

    n, office_id, office_name, office_or_error = check_row(kb, source, n, cells, cols, roster, as_of)

A batch worker checks a whole chunk at once with carekb.app.batch_rows_columns.check_rows (the same
memos and readings, column by column); this row path is its fallback and its reference.

The memos are bounded (entries and characters of the keys): a hostile file cannot grow them without
limit, it only loses their benefit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from carekb.model.dates import as_of_or_today, parse_date
from carekb.model.errors import CarekbError, CarekbErrors
from carekb.i18n import t
from carekb.model.types import KB
from carekb.inputs import normalize
from carekb.inputs.profile import HISTORY_TIERS, Office, bind, check, parse_region, resolve_service
from carekb.inputs.profile.check import _pledge
from carekb.inputs.roster import MAX_WAGE, parse_staff, top_wage, wage_threshold
from carekb.inputs.tabular import MAX_CELL_CHARS
from carekb.app.batch_columns import (LIST_SPLIT, Column, Roster, _bool, _empty, _history, _items, _list, _scalar,
                                      ident, row_profile)

MEMO_ENTRIES = 20_000         # per memo; past this (or MEMO_CHARS of keys) a memo starts again empty:
MEMO_CHARS = 1_000_000        # about 5 MB a memo at most, some 80 MB for all of them in a hostile file
MEMO_KEY_CHARS = 256          # longer cells are read without being remembered


@dataclass
class RowError:
    """A row that cannot be used: `FILE: row N (id X): message`; the other rows go on."""
    source: str
    row: int
    office: str
    message: str

    def __str__(self) -> str:   # in the current language: `FILE: N行目（事業所番号 X）: …` in Japanese
        who = t("err.batch.row_id", office=self.office) if self.office else ""
        return t("err.batch.row", source=self.source, row=self.row, who=who, message=self.message)


# --------------------------------------------------------------------------- the full path

def check_row_slow(kb: KB, source: str, n: int, cells: list, cols: dict[int, Column], roster: Roster, as_of):
    """The row as a profile dict, checked and bound like a YAML profile: (n, id, name, Office | RowError)."""
    values = {cols[i].key: v for i, v in enumerate(cells) if i in cols}
    oid = "" if _empty(values.get("office.id")) else ident(values["office.id"])
    name = "" if _empty(values.get("office.name")) else ident(values["office.name"])
    prefix = f"{source}: row {n}" + (f" (id {oid})" if oid else "")
    try:
        long = next((k for k, v in values.items() if isinstance(v, str) and len(v) > MAX_CELL_CHARS), None)
        if long:
            raise CarekbError(t("inputs.batch.long_cell", chars=len(values[long]), limit=MAX_CELL_CHARS), prefix, long)
        data = row_profile(values)
        if "as_of" in data and not isinstance(data["as_of"], dt.date):
            data["as_of"] = parse_date(data["as_of"], prefix, "as_of")
        if oid in roster:
            data["staff"] = roster[oid]
        office = check(data, {}, prefix, kb)
        office, _ = bind(office, kb, as_of)
        return n, oid, name, office
    except CarekbError as e:
        return n, oid, name, RowError(source, n, oid, row_message(e, prefix))


def row_message(e: CarekbError, prefix: str) -> str:
    """The error without the 'FILE: row N (id X)' prefix that RowError adds back; every problem of
    the row on one line, separated by ' / '."""
    if isinstance(e, CarekbErrors):
        shown = [row_message(CarekbError(p.message, p.source, p.where), prefix) for p in e.problems[:CarekbErrors.SHOWN]]
        more = len(e.problems) - len(shown)
        return " / ".join(shown + ([f"… +{more}"] if more > 0 else []))
    text = str(e)
    return text[len(prefix) + 2:] if text.startswith(prefix + ": ") else text


# --------------------------------------------------------------------------- memoised readings

class _Bad(Exception):
    """A reading the fast path cannot vouch for: the row goes down the full path."""


_BAD = object()      # remembered: this value does not read cleanly
_MISS = object()


class _Memo(dict):
    """value → reading, bounded by entries and by the characters of its keys."""

    __slots__ = ("chars",)

    def __init__(self):
        super().__init__()
        self.chars = 0

    def put(self, key, value, size: int) -> None:
        if size > MEMO_KEY_CHARS:
            return
        if len(self) >= MEMO_ENTRIES or self.chars + size > MEMO_CHARS:
            self.clear()
            self.chars = 0
        self[key] = value
        self.chars += size


def plain_number(v) -> int | None:
    """A cell of digits and commas as a whole number: what _scalar (which drops every comma) then
    normalize.whole or money read. None for any other cell, and for one past the cell limit
    ("1,,,…"), whose error the full path names."""
    if type(v) is str and len(v) <= MAX_CELL_CHARS:
        d = v.replace(",", "")
        if d.isdigit() and d.isascii() and len(d) <= 15:
            return int(d)
    return None


def _key(v):
    """A memo key that keeps types apart (1, 1.0 and True are equal as dict keys)."""
    return v if type(v) is str else (type(v), v)


def _size(v) -> int:
    return len(v) if type(v) is str else 16


def _read_employees(v):
    doc = _scalar(v)
    return doc, normalize.whole(doc, None, None, 0, 1_000_000)


def _read_units(v):
    doc = _scalar(v)
    return doc, normalize.whole(doc, None, None, 0, 100_000_000)


def _read_yes_no(v):
    doc = _bool(v)
    return doc, normalize.yes_no(doc)


def _read_region(v):
    doc = _scalar(v)
    return doc, parse_region(doc, None, "office.region")


def _read_as_of(v):
    doc = v.strip() if isinstance(v, str) else v
    if not isinstance(doc, dt.date):     # as the full path: the row's date is parsed first, then checked
        doc = parse_date(doc)
    return doc, parse_date(doc)


def _read_history(allowed):
    def read(v):
        doc = _history(v)
        return doc, normalize.history_tier(doc, allowed)
    return read


def _read_wage(v):
    doc = _scalar(v)
    return doc, normalize.money(doc, None, None, MAX_WAGE)


def _read_items(v):
    """A workplace cell as one value (a number from a workbook): the full path's reading."""
    doc = _items(v)
    if any(isinstance(x, bool) for x in doc):   # check refuses True/False as item numbers
        raise _Bad
    return doc, tuple(normalize.item_numbers(doc))


def _read_item_word(word: str):
    """One word of a workplace cell: (its profile value, its item numbers: "①⑤" holds two)."""
    doc = _items(word)
    return doc, tuple(normalize.item_numbers(doc))


# profile key → (reader of one cell: (profile value, checked value), the Office attribute)
_SCALARS = {
    "office.single_office_corp": (_read_yes_no, "single_office_corp"),
    "office.region": (_read_region, "region"),
    "as_of": (_read_as_of, "as_of"),
    "history.shogu": (_read_history(HISTORY_TIERS["shogu"]), "shogu"),
    "history.tokutei": (_read_history(HISTORY_TIERS["tokutei"]), "tokutei"),
    "history.baseup": (_read_yes_no, "baseup"),
    "collab_corp": (_read_yes_no, "collab_corp"),
}
# whole numbers, mostly distinct (units, wages): plain digits are read directly, the rest as _SCALARS
_NUMBERS = {
    "office.employees": (_read_employees, "employees", 1_000_000),
    "office.monthly_units": (_read_units, "monthly_units", 100_000_000),
    "top_annual_wage": (_read_wage, "top_annual_wage", MAX_WAGE),
}

_EMPTY = object()     # a blank cell: no key in the profile


def _ascii_words(v: str) -> list[str]:
    """The words of an ASCII cell as batch_columns.LIST_SPLIT splits it (its ASCII separators: ',',
    ';' and whitespace, where \\s is exactly str.isspace), without the regex."""
    return v.replace(",", " ").replace(";", " ").split()


class _Rows:
    """The memos of one KB and one column layout (rebuilt when either changes), and the layout as
    lists of columns by kind, each in file order."""

    def __init__(self, kb: KB, cols: dict[int, Column]):
        self.kb, self.cols = kb, cols
        keys = {i: c.key for i, c in cols.items()}
        self.width = max(keys, default=-1) + 1
        self.id_col = next((i for i, k in keys.items() if k == "office.id"), None)
        self.name_col = next((i for i, k in keys.items() if k == "office.name"), None)
        # cell → reading, per column (workplace: its numbers from a workbook), and (service, day) → period
        self.memos = {k: _Memo() for k in (*_SCALARS, *_NUMBERS, "office.service", "workplace", "period")}
        self.words = _Memo()                             # a word of a workplace cell → (profile value, numbers)
        self.digits = _Memo()                            # a word of plain digits → its int
        # ids are read against the KB of the service's scheme: (met|pledged, id of that KB) → id as written → id
        self.ids_of: dict[tuple[str, int], _Memo] = {}
        # the profile dict's keys in the full path's order (file order), each dropped when its cell is blank
        self.top_doc: dict = {"version": 1, "office": None}
        self.office_doc: dict = {}
        self.service_col = None
        self.scalars, self.numbers, self.idents, self.lists, self.items = [], [], [], [], []
        for i, key in sorted(keys.items()):
            head, _, sub = key.partition(".")
            place = {"office": 0, "history": 1}.get(head, 2)          # index into (office, history, top level)
            sub = sub or key
            (self.office_doc if place == 0 else self.top_doc)[sub if place != 1 else "history"] = None
            if key in _SCALARS:
                self.scalars.append((i, self.memos[key], *_SCALARS[key], place, sub))
            elif key in _NUMBERS:
                self.numbers.append((i, self.memos[key], *_NUMBERS[key], place, sub))
            elif key == "office.service":
                self.service_col = i
            elif key in ("office.id", "office.name"):
                self.idents.append((i, sub))
            elif key == "workplace":
                self.items.append((i, self.memos[key]))
            else:
                self.lists.append((i, key))
        # the full path puts "history" where its first non-blank cell is: where the first history
        # column is, unless that cell is blank and another top-level key sits between the history columns
        spots = [i for i, k in keys.items() if k.startswith("history.")]
        self.history_first = min(spots, default=None)
        self.history_split = bool(spots) and any(
            min(spots) < i < max(spots) and not k.startswith(("history.", "office.")) for i, k in keys.items())

    def read(self, memo: _Memo, reader, v):
        """Fill the memo for a cell: (profile value, checked value), _EMPTY or _BAD."""
        if type(v) is str and len(v) > MAX_CELL_CHARS:
            return _BAD                    # the full path names the over-long cell
        if _empty(v):
            got = _EMPTY
        else:
            try:
                got = reader(v)
            except (CarekbError, _Bad):
                got = _BAD
        memo.put(_key(v), got, _size(v))
        return got

    def service(self, v):
        """(profile value, service id, the KB of its scheme) of the service cell."""
        memo = self.memos["office.service"]
        got = memo.get(v if type(v) is str else (type(v), v), _MISS)
        if got is _MISS:
            got = self.read(memo, self._read_service, v)
        if got is _BAD or got is _EMPTY:
            raise _Bad
        return got

    def _read_service(self, v):
        doc = ident(v)
        sid = resolve_service(self.kb, str(doc), None, "office.service")
        return doc, (sid, self.kb.for_service(sid))

    # Lists are remembered word by word, not cell by cell: their cells are mostly distinct, and
    # holding ~100k of them (containers, with their keys) made the collector's passes cost more
    # than the memo saved (measured: +8 µs a row).
    def workplace(self, v: str):
        """(profile list, item numbers) of a workplace text cell, word by word (as batch_columns._items splits it)."""
        if v.isascii():   # "1 3 5", "1, 5, 9": each word plain digits, an int to _items and its own item
            try:
                doc = list(map(self.digits.__getitem__, _ascii_words(v)))
                return doc, frozenset(doc)
            except KeyError:
                for word in _ascii_words(v):
                    if word.isdigit() and len(word) <= 15:
                        self.digits.put(word, int(word), len(word))
        doc, numbers = [], []
        memo = self.words
        for word in LIST_SPLIT.split(v.strip()):
            if not word:
                continue
            got = memo.get(word, _MISS)
            if got is _MISS:
                got = self.read(memo, _read_item_word, word)
            if got is _BAD:
                raise _Bad
            doc += got[0]
            numbers += got[1]
        return doc, frozenset(numbers)

    def ids(self, key: str, v, skb: KB):
        """(profile list, frozenset of checked ids) of a met or pledged cell, word by word."""
        memo = self.ids_of.get((key, id(skb)))
        if memo is None:
            memo = self.ids_of[key, id(skb)] = _Memo()
        if type(v) is not str:
            doc = [str(x) for x in _list(v)]
        else:
            doc = _ascii_words(v) if v.isascii() else list(filter(None, LIST_SPLIT.split(v.strip())))
        try:
            got = frozenset(map(memo.__getitem__, doc))
        except KeyError:     # a word not read yet
            got = frozenset(one if (one := memo.get(word, _MISS)) is not _MISS else self._word(key, word, skb, memo)
                            for word in doc)
        if _BAD in got:
            raise _Bad
        return doc, got

    @staticmethod
    def _word(key: str, word: str, skb: KB, memo: _Memo):
        """One id as written, read against the service's scheme (and remembered), or _BAD."""
        try:
            written = normalize.text(word).strip()
            one = normalize.requirement(skb, written) if key == "met" else _pledge(skb, written, skb.pledge_ids(), None, key)
        except CarekbError:
            one = _BAD
        memo.put(word, one, len(word))
        return one

    def period(self, sid: str, skb: KB, day: dt.date):
        """(period, its workplace item numbers) of a service on a day, if the service has tiers then."""
        memo = self.memos["period"]
        k = (sid, day)
        got = memo.get(k, _MISS)
        if got is _MISS:
            p = skb.period_at(day)
            got = _BAD if p is None or not skb.tiers_for(p.id, sid) else (p, frozenset(skb.items[p.item_list]))
            memo.put(k, got, 16)
        if got is _BAD:
            raise _Bad
        return got


_state: _Rows | None = None


def _rows(kb: KB, cols: dict[int, Column]) -> _Rows:
    global _state
    if _state is None or _state.kb is not kb or _state.cols is not cols:
        _state = _Rows(kb, cols)
    return _state


# --------------------------------------------------------------------------- the fast path

def check_row(kb: KB, source: str, n: int, cells: list, cols: dict[int, Column], roster: Roster, as_of):
    """(n, office id, office name, Office | RowError): exactly what `check_row_slow` gives."""
    rows = _rows(kb, cols)
    width = len(cells)
    v = cells[rows.id_col] if rows.id_col is not None and rows.id_col < width else None
    oid = "" if _empty(v) else ident(v)
    v = cells[rows.name_col] if rows.name_col is not None and rows.name_col < width else None
    name = "" if _empty(v) else ident(v)
    prefix = f"{source}: row {n} (id {oid})" if oid else f"{source}: row {n}"
    try:
        office = _fast(rows, prefix, cells, {"id": oid, "name": name}, roster.get(oid) if oid in roster else None, as_of)
    except (_Bad, TypeError):     # TypeError: a cell that cannot be a memo key
        return check_row_slow(kb, source, n, cells, cols, roster, as_of)
    return n, oid, name, office


def _fast(rows: _Rows, source: str, cells: list, names: dict, staff: list | None, as_of) -> Office:
    """The bound Office of a row whose every part reads cleanly (`source`: the row's place, as the
    full path names it; `names`: its id and name, read already); _Bad otherwise."""
    if len(cells) < rows.width or rows.service_col is None:
        raise _Bad
    office = rows.office_doc.copy()
    history: dict = {}
    data = rows.top_doc.copy()
    data["office"] = office
    docs = (office, history, data)
    doc, (sid, skb) = rows.service(cells[rows.service_col])
    office["service"] = doc
    kw: dict = {}
    for i, memo, reader, attr, place, sub in rows.scalars:
        v = cells[i]
        got = memo.get(v if type(v) is str else (type(v), v), _MISS)
        if got is _MISS:
            got = rows.read(memo, reader, v)
        if got is _EMPTY:
            if place != 1:
                del docs[place][sub]
            continue
        if got is _BAD:
            raise _Bad
        docs[place][sub], kw[attr] = got
    for i, memo, reader, attr, hi, place, sub in rows.numbers:
        v = cells[i]
        got = plain_number(v)
        if got is not None:
            if got > hi:
                raise _Bad
            docs[place][sub] = kw[attr] = got
            continue
        got = memo.get(v if type(v) is str else (type(v), v), _MISS)
        if got is _MISS:
            got = rows.read(memo, reader, v)
        if got is _EMPTY:
            del docs[place][sub]
            continue
        if got is _BAD:
            raise _Bad
        docs[place][sub], kw[attr] = got
    for i, sub in rows.idents:
        doc = names[sub]
        if not doc:
            del office[sub]
            continue
        if type(cells[i]) is str and len(cells[i]) > MAX_CELL_CHARS:
            raise _Bad
        if not doc.isascii():
            try:
                normalize.text(doc)
            except CarekbError:
                raise _Bad from None
        office[sub] = kw[sub] = doc
    for i, memo in rows.items:
        v = cells[i]
        if type(v) is str and not _empty(v):
            if len(v) > MAX_CELL_CHARS:
                raise _Bad
            data["workplace"], kw["workplace"] = rows.workplace(v)
            continue
        got = memo.get(v if type(v) is str else (type(v), v), _MISS)
        if got is _MISS:
            got = rows.read(memo, _read_items, v)
        if got is _EMPTY:
            del data["workplace"]
            continue
        if got is _BAD:
            raise _Bad
        data["workplace"], kw["workplace"] = list(got[0]), frozenset(got[1])
    for i, key in rows.lists:
        v = cells[i]
        if _empty(v):
            del data[key]
            continue
        if type(v) is str and len(v) > MAX_CELL_CHARS:
            raise _Bad
        data[key], kw[key] = rows.ids(key, v, skb)
    if history:
        if rows.history_split and _empty(cells[rows.history_first]):
            raise _Bad     # a rare layout: "history" would sit elsewhere in the profile dict
        data["history"] = history
        kw["history_given"] = True
    elif "history" in data:
        del data["history"]
    if staff is not None:
        data["staff"] = staff
        try:
            kw["staff"] = parse_staff(staff, skb, source, {})
        except CarekbError:
            raise _Bad from None
    day = as_of or kw.get("as_of") or as_of_or_today()     # the first date given, else today
    period, items = rows.period(sid, skb, day)
    workplace = kw.get("workplace")
    if workplace and not workplace <= items:
        raise _Bad
    kw["as_of"] = day
    if kw.get("staff"):   # the roster decides the wage for cp4, as bind does
        kw["top_annual_wage"] = top_wage(skb, kw["staff"], wage_threshold(skb, period.id))
    return _office(service=sid, source=source, lines={}, document=data, **kw)


def _plain_office():
    """Office(**kw) for this module: the frozen dataclass's __init__ costs a setattr call per field
    (~3 µs, a fifth of a row), so the instance dict is filled at once with the same values, defaults
    first (field order). Only while Office stays a plain dataclass (no __post_init__, no slots);
    tests/test_batch_rows.py compares every field with the constructor's."""
    fields = dataclasses.fields(Office)
    plain = not hasattr(Office, "__post_init__") and not hasattr(Office, "__slots__") and all(
        f.default_factory is dataclasses.MISSING or f.name == "lines" for f in fields)
    if not plain:
        return Office
    defaults = {f.name: (None if f.default is dataclasses.MISSING else f.default) for f in fields}
    new = object.__new__

    def make(**kw):
        o = new(Office)
        d = o.__dict__
        d.update(defaults)
        d.update(kw)
        return o
    return make


_office = _plain_office()
