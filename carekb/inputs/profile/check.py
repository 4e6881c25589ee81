"""Checking a profile document against the KB: every key, id, number and date, with the file, key
and line of the first problem; the result is an Office.  Checks that depend on the rule period
(workplace item numbers) wait for `bind`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from carekb.model import actions
from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.inputs.profile.office import HISTORY_TIERS, OFFICE_KEYS, REGION_GRADES, TOP_KEYS, Office
from carekb.inputs.profile.read import read_document
from carekb.inputs.roster import MAX_WAGE, parse_staff


class _Checker:
    def __init__(self, source: str, lines: dict, kb: KB):
        self.source, self.lines, self.kb = source, lines, kb

    def err(self, msg: str, container, key, path: str):
        line = self.lines.get((id(container), key)) if container is not None else None
        where = f"{path} (line {line})" if line else path
        raise CarekbError(msg, self.source, where)

    def int_(self, container, key, path, lo=0, hi=None):
        v = container[key]
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and v.strip().replace(",", "").isdigit():
                v = int(v.strip().replace(",", ""))
            else:
                self.err(f"expected a whole number, got {v!r}", container, key, path)
        if v < lo or (hi is not None and v > hi):
            self.err(f"{v} is out of range ({lo}..{hi if hi is not None else ''})", container, key, path)
        return v

    def bool_(self, container, key, path):
        v = container[key]
        if not isinstance(v, bool):
            self.err(f"expected true or false, got {v!r}", container, key, path)
        return v

    def str_list(self, container, key, path):
        v = container[key]
        if v is None:
            return []
        if not isinstance(v, list):
            self.err("expected a list, e.g. [a, b]", container, key, path)
        for x in v:
            if isinstance(x, (list, dict)):
                self.err(f"expected plain ids in the list, got a {type(x).__name__}", container, key, path)
        return [str(x) for x in v]

    def date(self, container, key, path):
        return parse_date(container[key], self.source, self._where(container, key, path))

    def _where(self, container, key, path):
        line = self.lines.get((id(container), key))
        return f"{path} (line {line})" if line else path


def parse_date(v, source: str, where: str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if not isinstance(v, str):
        raise CarekbError(f"expected a date YYYY-MM-DD, got {v!r}", source, where)
    try:
        return dt.date.fromisoformat(str(v).strip())
    except ValueError:
        raise CarekbError(f"impossible or malformed date {v!r} (expected YYYY-MM-DD)", source, where) from None


def resolve_service(kb: KB, name: str, source: str, where: str) -> str:
    """A service_id, or its Japanese name."""
    if name in kb.services:
        return name
    for s in kb.services.values():
        if name in (s.label_ja, s.label_en):
            return s.id
    raise CarekbError(f"unknown service '{name}' (see `carekb services`)", source, where)


def check(data: dict, lines: dict, source: str, kb: KB) -> Office:
    c = _Checker(source, lines, kb)
    for k in data:
        if k not in TOP_KEYS:
            c.err(f"unknown key '{k}' (allowed: {', '.join(TOP_KEYS)})", data, k, str(k))
    if "version" in data and data["version"] != 1:
        c.err(f"unsupported profile version {data['version']!r} (this carekb reads version 1)", data, "version", "version")
    office = data.get("office")
    if not isinstance(office, dict):
        raise CarekbError("missing 'office' mapping (with at least 'service')", source, "office")
    for k in office:
        if k not in OFFICE_KEYS:
            c.err(f"unknown key '{k}' (allowed: {', '.join(OFFICE_KEYS)})", office, k, f"office.{k}")
    if not office.get("service"):
        raise CarekbError("missing service (a service_id from `carekb services`)", source, "office.service")
    kw: dict = {"source": source, "lines": lines, "document": data,
                "service": resolve_service(kb, str(office["service"]), source, c._where(office, "service", "office.service"))}
    kb = c.kb = kb.for_service(kw["service"])  # the rest is checked against the rules of the service's scheme
    for k in ("id", "name"):
        if office.get(k) is not None:
            kw[k] = str(office[k])
    if office.get("employees") is not None:
        kw["employees"] = c.int_(office, "employees", "office.employees", 0, 1_000_000)
    if office.get("single_office_corp") is not None:
        kw["single_office_corp"] = c.bool_(office, "single_office_corp", "office.single_office_corp")
    if office.get("monthly_units") is not None:
        kw["monthly_units"] = c.int_(office, "monthly_units", "office.monthly_units", 0, 100_000_000)
    if office.get("region") is not None:
        kw["region"] = parse_region(office["region"], source, c._where(office, "region", "office.region"))
    if data.get("as_of") is not None:
        kw["as_of"] = c.date(data, "as_of", "as_of")
    history = data.get("history")
    if history is not None:
        if not isinstance(history, dict):
            c.err("expected a mapping with shogu, tokutei, baseup", data, "history", "history")
        for k in history:
            if k not in ("shogu", "tokutei", "baseup"):
                c.err(f"unknown key '{k}' (allowed: shogu, tokutei, baseup)", history, k, f"history.{k}")
        for k, allowed in HISTORY_TIERS.items():
            v = history.get(k)
            if v in (None, "none", "なし", 0, False):
                continue
            if isinstance(v, str) and v.isdigit():
                v = int(v)
            if isinstance(v, bool) or v not in allowed:
                c.err(f"expected one of {', '.join(map(str, allowed))} or none, got {v!r}", history, k, f"history.{k}")
            kw[k] = v
        if history.get("baseup") is not None:
            kw["baseup"] = c.bool_(history, "baseup", "history.baseup")
        kw["history_given"] = True
    if "met" in data:
        met = c.str_list(data, "met", "met")
        for m in met:
            if m not in kb.requirements:
                c.err(f"unknown requirement '{m}' (see `carekb requirements`)", data, "met", "met")
        kw["met"] = frozenset(met)
    if data.get("top_annual_wage") is not None:
        kw["top_annual_wage"] = c.int_(data, "top_annual_wage", "top_annual_wage", 0, MAX_WAGE)
    if "workplace" in data:
        items = data["workplace"] or []
        if not isinstance(items, list):
            c.err("expected a list of item numbers, e.g. [1, 3, 18]", data, "workplace", "workplace")
        nums = []
        for x in items:
            if isinstance(x, bool) or not isinstance(x, int):
                c.err(f"workplace items are numbers, got {x!r}", data, "workplace", "workplace")
            nums.append(x)
        kw["workplace"] = frozenset(nums)
    if data.get("collab_corp") is not None:
        kw["collab_corp"] = c.bool_(data, "collab_corp", "collab_corp")
    if "pledged" in data:
        pledged = c.str_list(data, "pledged", "pledged")
        known = kb.pledge_ids()
        for p in pledged:
            if p not in known:
                c.err(f"unknown pledge '{p}' (pledgeable: {', '.join(sorted(known))})", data, "pledged", "pledged")
        kw["pledged"] = frozenset(pledged)
    if data.get("effort") is not None:
        kw["effort"] = tuple(sorted(check_effort(data["effort"], kb, source, c).items()))
    if data.get("guidance_done") is not None:
        kw["guidance_done"] = tuple(c.str_list(data, "guidance_done", "guidance_done"))
    if data.get("staff") is not None:
        if not isinstance(data["staff"], list):
            c.err("expected a list of staff members", data, "staff", "staff")
        kw["staff"] = parse_staff(data["staff"], kb, source, lines)  # a roster overrides top_annual_wage in bind
    return Office(**kw)


def check_effort(effort, kb: KB, source: str, c: _Checker | None = None) -> dict[str, int]:
    if not isinstance(effort, dict):
        raise CarekbError("expected a mapping of action id to a positive whole number", source, "effort")
    out = {}
    for action, cost in effort.items():
        where = f"effort.{action}"
        line = c.lines.get((id(effort), action)) if c else None
        if line:
            where += f" (line {line})"
        if not is_action_id(kb, str(action)):
            raise CarekbError(f"unknown action '{action}' (an atom id, workplace.N or pledge.X)", source, where)
        if isinstance(cost, bool) or not isinstance(cost, int) or not 1 <= cost <= 1_000_000:
            raise CarekbError(f"effort must be a whole number from 1 to 1,000,000, got {cost!r}", source, where)
        out[str(action)] = cost
    return out


def is_action_id(kb: KB, action: str) -> bool:
    a = actions.parse(action)
    if a.kind == actions.WORKPLACE:
        return a.key.isdigit() and any(a.number in items for items in kb.items.values())
    if a.kind == actions.PLEDGE:
        return a.key in kb.pledge_ids()
    req = kb.requirements.get(action)
    return req is not None and not req.composite


def parse_region(v, source: str, where: str) -> str:
    s = str(v).strip().replace(" ", "")
    if s.isdigit() and 1 <= int(s) <= 7:
        s = f"{s}級地"
    s = s.translate(str.maketrans("１２３４５６７", "1234567"))
    if s in ("other", "その他地域"):
        s = "その他"
    if s not in REGION_GRADES:
        raise CarekbError(f"unknown region grade {v!r} (one of {', '.join(REGION_GRADES)})", source, where)
    return s


def load_office(path: str | Path, kb: KB, text: str | None = None) -> Office:
    data, lines, source = read_document(path, text)
    return check(data, lines, source, kb)
