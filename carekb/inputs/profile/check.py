"""Checking a profile document against the KB: every key, id, number and date, with the file, key
and line of the first problem; the result is an Office.  Checks that depend on the rule period
(workplace item numbers) wait for `bind`."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from contextlib import contextmanager

from carekb.i18n import t
from carekb.inputs import normalize
from carekb.model import actions, dates
from carekb.model.errors import CarekbError, CarekbErrors
from carekb.model.types import KB
from carekb.inputs.profile.office import HISTORY_TIERS, OFFICE_KEYS, REGION_GRADES, TOP_KEYS, Office
from carekb.inputs.profile.read import read_document
from carekb.inputs.roster import MAX_WAGE, parse_staff


class _Checker:
    """Reads each key through carekb.inputs.normalize and keeps every problem (file, key, line), so
    that a profile's author sees all of them at once; `field()` guards one key's reading."""

    def __init__(self, source: str, lines: dict, kb: KB):
        self.source, self.lines, self.kb = source, lines, kb
        self.problems: list[CarekbError] = []

    def err(self, msg: str, container, key, path: str):
        raise CarekbError(msg, self.source, self._where(container, key, path))

    @contextmanager
    def field(self):
        """Record a problem in the block and carry on with the next key."""
        try:
            yield
        except CarekbErrors as e:
            self.problems.extend(e.problems)
        except CarekbError as e:
            self.problems.append(e)

    def int_(self, container, key, path, lo=0, hi=None):
        return normalize.whole(container[key], self.source, self._where(container, key, path), lo, hi)

    def yen(self, container, key, path, hi=None):
        return normalize.money(container[key], self.source, self._where(container, key, path), hi)

    def bool_(self, container, key, path):
        return normalize.yes_no(container[key], self.source, self._where(container, key, path))

    def str_list(self, container, key, path):
        v = container[key]
        if v is None:
            return []
        if isinstance(v, str):      # one cell or line: "cp1.1 cp1.2", "見える化要件、cp4"
            return normalize.words(v)
        if not isinstance(v, list):
            self.err(t("profile.expected_list"), container, key, path)
        for x in v:
            if isinstance(x, (list, dict)):
                self.err(t("profile.expected_plain_ids", kind=type(x).__name__), container, key, path)
        return [normalize.text(x, self.source, path).strip() for x in v]

    def date(self, container, key, path):
        return parse_date(container[key], self.source, self._where(container, key, path))

    def _where(self, container, key, path):
        line = self.lines.get((id(container), key)) if container is not None else None
        if isinstance(line, str):   # a workbook cell (事業所!B5, read_xlsx): the place a consultant looks
            return line
        return t("err.place.key_line", key=path, line=line) if line else path


def parse_date(v, source: str, where: str) -> dt.date:
    """A date as people write it (carekb.model.dates.parse_date: 2026-07-01, 2026/7/1, 令和8年7月1日, R8.7.1)."""
    return dates.parse_date(v, source, where)


def resolve_service(kb: KB, name: str, source: str, where: str) -> str:
    """A service id, from its id, Japanese or English name, or a part of the name that fits only one."""
    return normalize.service(kb, name, source, where)


def check(data: dict, lines: dict, source: str, kb: KB) -> Office:
    """The document as an Office; CarekbErrors listing every problem found (each with key and line)."""
    c = _Checker(source, lines, kb)
    for k in data:
        if k not in TOP_KEYS:
            with c.field():
                c.err(t("profile.unknown_key", key=k, allowed=", ".join(TOP_KEYS)), data, k, str(k))
    if "version" in data and data["version"] != 1:
        with c.field():
            c.err(t("profile.version", got=repr(data["version"])), data, "version", "version")
    office = data.get("office")
    if not isinstance(office, dict):
        c.problems.append(CarekbError(t("profile.missing_office"), source, "office"))
        raise CarekbErrors(c.problems)
    for k in office:
        if k not in OFFICE_KEYS:
            with c.field():
                c.err(t("profile.unknown_key", key=k, allowed=", ".join(OFFICE_KEYS)), office, k, f"office.{k}")
    if not office.get("service"):
        c.problems.append(CarekbError(t("profile.missing_service"), source, "office.service"))
        raise CarekbErrors(c.problems)
    kw: dict = {"source": source, "lines": lines, "document": data}
    try:
        kw["service"] = resolve_service(kb, str(office["service"]), source, c._where(office, "service", "office.service"))
    except CarekbError as e:   # the other keys are checked against the service's scheme: stop here
        raise CarekbErrors(c.problems + [e]) from None
    kb = c.kb = kb.for_service(kw["service"])  # the rest is checked against the rules of the service's scheme
    for k in ("id", "name"):
        if office.get(k) is not None:
            with c.field():
                kw[k] = normalize.text(office[k], source, f"office.{k}")
    with c.field():
        if office.get("employees") is not None:
            kw["employees"] = c.int_(office, "employees", "office.employees", 0, 1_000_000)
    with c.field():
        if office.get("single_office_corp") is not None:
            kw["single_office_corp"] = c.bool_(office, "single_office_corp", "office.single_office_corp")
    with c.field():
        if office.get("monthly_units") is not None:
            kw["monthly_units"] = c.int_(office, "monthly_units", "office.monthly_units", 0, 100_000_000)
    with c.field():
        if office.get("region") is not None:
            kw["region"] = parse_region(office["region"], source, c._where(office, "region", "office.region"))
    with c.field():
        if data.get("as_of") is not None:
            kw["as_of"] = c.date(data, "as_of", "as_of")
    history = data.get("history")
    if history is not None:
        with c.field():
            if not isinstance(history, dict):
                c.err(t("profile.history_mapping"), data, "history", "history")
            for k in history:
                if k not in ("shogu", "tokutei", "baseup"):
                    with c.field():
                        c.err(t("profile.unknown_key", key=k, allowed="shogu, tokutei, baseup"), history, k, f"history.{k}")
            for k, allowed in HISTORY_TIERS.items():
                with c.field():
                    if history.get(k) is not None:
                        kw[k] = normalize.history_tier(history[k], allowed, source, c._where(history, k, f"history.{k}"))
            with c.field():
                if history.get("baseup") is not None:
                    kw["baseup"] = c.bool_(history, "baseup", "history.baseup")
            kw["history_given"] = True
    if "met" in data:
        with c.field():
            met = []
            for m in c.str_list(data, "met", "met"):
                with c.field():
                    met.append(normalize.requirement(kb, m, source, c._where(data, "met", "met")))
            kw["met"] = frozenset(met)
    with c.field():
        if data.get("top_annual_wage") is not None:
            kw["top_annual_wage"] = c.yen(data, "top_annual_wage", "top_annual_wage", MAX_WAGE)
    if "workplace" in data:
        with c.field():
            items = data["workplace"]
            if items is not None and not isinstance(items, (list, str)):   # a string: "①⑤⑨⑭" or "1 3 18"
                c.err(t("profile.workplace_list"), data, "workplace", "workplace")
            if isinstance(items, list) and any(isinstance(x, bool) for x in items):
                c.err(t("norm.expected_item", got=repr(next(x for x in items if isinstance(x, bool)))), data, "workplace", "workplace")
            kw["workplace"] = frozenset(normalize.item_numbers(items, source, c._where(data, "workplace", "workplace")))
    with c.field():
        if data.get("collab_corp") is not None:
            kw["collab_corp"] = c.bool_(data, "collab_corp", "collab_corp")
    if "pledged" in data:
        with c.field():
            pledged = []
            known = kb.pledge_ids()
            for p in c.str_list(data, "pledged", "pledged"):
                with c.field():
                    pledged.append(_pledge(kb, p, known, source, c._where(data, "pledged", "pledged")))
            kw["pledged"] = frozenset(pledged)
    with c.field():
        if data.get("effort") is not None:
            kw["effort"] = tuple(sorted(check_effort(data["effort"], kb, source, c).items()))
    with c.field():
        if data.get("guidance_done") is not None:
            kw["guidance_done"] = tuple(c.str_list(data, "guidance_done", "guidance_done"))
    with c.field():
        if data.get("staff") is not None:
            if not isinstance(data["staff"], list):
                c.err(t("profile.staff_list"), data, "staff", "staff")
            kw["staff"] = parse_staff(data["staff"], kb, source, lines)  # a roster overrides top_annual_wage in bind
    if c.problems:
        raise CarekbErrors(c.problems)
    return Office(**kw)


def _pledge(kb: KB, written: str, known: set[str], source: str, where: str) -> str:
    """A pledge id (cp3, pledge.cp3) or the name of the requirement pledged (キャリアパス要件Ⅲ)."""
    p = written.removeprefix("pledge.")
    if p in known:
        return p
    forms = {k: [k, *normalize.requirement_forms(kb).get(k, [])] for k in known}
    return normalize.pick(p, forms, t("norm.what_pledge"), source, where)


def check_effort(effort, kb: KB, source: str, c: _Checker | None = None) -> dict[str, int]:
    if not isinstance(effort, dict):
        raise CarekbError(t("inputs.effort.not_mapping"), source, "effort")
    out = {}
    for action, cost in effort.items():
        where = f"effort.{action}"
        line = c.lines.get((id(effort), action)) if c else None
        if line:
            where = t("err.place.key_line", key=where, line=line)
        if not is_action_id(kb, str(action)):   # as people write it: workplace.㉒, 見える化要件
            try:
                action = normalize.action(kb, str(action), source, where)
            except CarekbError as e:
                if getattr(e, "kind", "") == "norm.ambiguous":
                    raise
                action = str(action)
        if not is_action_id(kb, str(action)):
            raise CarekbError(t("profile.unknown_action", action=normalize.text(action)), source, where)
        if isinstance(cost, str):   # "３", "2": as people write it; anything else gets the message below
            try:
                cost = normalize.whole(cost, source, where, 1, 1_000_000)
            except CarekbError:
                pass
        if isinstance(cost, bool) or not isinstance(cost, int) or not 1 <= cost <= 1_000_000:
            raise CarekbError(t("inputs.effort.range", got=repr(cost)), source, where)
        out[str(action)] = cost
    return out


def is_action_id(kb: KB, action: str) -> bool:
    a = actions.parse(action)
    if a.kind == actions.WORKPLACE:
        return a.key.isascii() and a.key.isdigit() and len(a.key) < 6 and any(a.number in items for items in kb.items.values())
    if a.kind == actions.PLEDGE:
        return a.key in kb.pledge_ids()
    req = kb.requirements.get(action)
    return req is not None and not req.composite


def parse_region(v, source: str, where: str) -> str:
    """A region grade: 6級地, ６級地, 6, "6", その他 (also other, その他地域)."""
    if normalize.odd_digits(str(v)):
        raise CarekbError(t("profile.region", got=normalize._show(v), known=", ".join(REGION_GRADES)), source, where)
    s = unicodedata.normalize("NFKC", normalize.text(v, source, where)).strip().replace(" ", "")
    if s.isascii() and s.isdigit() and len(s) == 1 and 1 <= int(s) <= 7:   # not "²", which int() refuses
        s = f"{s}級地"
    if s in ("other", "その他地域"):
        s = "その他"
    if s not in REGION_GRADES:
        raise CarekbError(t("profile.region", got=normalize._show(v), known=", ".join(REGION_GRADES)), source, where)
    return s


def load_office(path: str | Path, kb: KB, text: str | None = None) -> Office:
    data, lines, source = read_document(path, text)
    return check(data, lines, source, kb)
