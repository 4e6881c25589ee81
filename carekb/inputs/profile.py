"""Office profiles (docs/profile.md): read YAML, JSON or Turtle, check every key, build an Office.

Checks that need the rule period (workplace item numbers) run in `bind`, once the as-of date
is known, so that one profile can be evaluated under several periods' rules.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.model.types import KB, Period
from carekb.inputs.roster import MAX_WAGE, parse_staff, top_wage, wage_threshold

MAX_PROFILE_BYTES = 5_000_000
HISTORY_TIERS = {"shogu": (1, 2, 3), "tokutei": (1, 2)}
TOP_KEYS = ("version", "office", "as_of", "history", "met", "top_annual_wage", "workplace", "collab_corp",
            "pledged", "effort", "guidance_done", "staff")
OFFICE_KEYS = ("id", "name", "service", "employees", "single_office_corp", "region", "monthly_units")
REGION_GRADES = ("1級地", "2級地", "3級地", "4級地", "5級地", "6級地", "7級地", "その他")


# The Turtle form of a profile: profile key -> property of ck:Office (ontology/vocab.ttl).
TURTLE_PROPERTIES = {
    "office.service": "service", "office.id": "officeId", "office.employees": "employees",
    "office.single_office_corp": "singleOfficeCorp", "office.region": "region", "office.monthly_units": "monthlyUnits",
    "as_of": "asOf", "history.shogu": "historyShogu", "history.tokutei": "historyTokutei",
    "history.baseup": "historyBaseup", "met": "met", "top_annual_wage": "topAnnualWage", "workplace": "workplaceItem",
    "collab_corp": "collabCorp", "pledged": "pledged", "effort": "effort",
}
LIST_KEYS = ("met", "workplace", "pledged")

FACT_ATTRIBUTES = {  # ck:field name -> Office attribute
    "history.shogu": "shogu", "history.tokutei": "tokutei", "history.baseup": "baseup",
    "collab_corp": "collab_corp", "single_office_corp": "single_office_corp",
    "employees": "employees", "top_annual_wage": "top_annual_wage",
}


@dataclass(frozen=True)
class Office:
    """One office's facts, as read from its profile (validated against the KB)."""

    service: str
    id: str = ""
    name: str = ""
    employees: int | None = None
    single_office_corp: bool = False
    region: str | None = None
    monthly_units: int | None = None
    as_of: dt.date | None = None
    shogu: int = 0          # 旧処遇改善加算 tier held in May 2024 (0 = none)
    tokutei: int = 0        # 旧特定処遇改善加算 tier held in May 2024 (0 = none)
    baseup: bool = False    # 旧ベースアップ等支援加算 held in May 2024
    history_given: bool = False
    met: frozenset[str] = frozenset()
    top_annual_wage: int | None = None
    workplace: frozenset[int] = frozenset()
    collab_corp: bool = False
    pledged: frozenset[str] = frozenset()
    effort: tuple[tuple[str, int], ...] = ()
    guidance_done: tuple[str, ...] = ()
    staff: tuple = ()        # StaffMember records of the roster (core/roster.py)
    source: str = "<profile>"
    lines: dict = field(default_factory=dict, compare=False, hash=False)

    def fact(self, name: str):
        """The value of an office fact named in the KB's conditions (ck:field)."""
        return getattr(self, FACT_ATTRIBUTES[name])

    def label(self) -> str:
        return self.id or self.name or Path(self.source).stem

    def with_changes(self, **kw) -> "Office":
        return replace(self, **kw)


# --------------------------------------------------------------------------- reading files

class _LineLoader:
    """A YAML SafeLoader that refuses duplicate keys and records each key's line."""

    @staticmethod
    def load(text: str, source: str):
        import yaml

        lines: dict[tuple, int] = {}

        class Loader(yaml.SafeLoader):
            pass

        def construct_mapping(loader, node, deep=False):
            loader.flatten_mapping(node)
            out = {}
            for knode, vnode in node.value:
                key = loader.construct_object(knode, deep=deep)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise CarekbError("a key must be a plain word", source, f"line {knode.start_mark.line + 1}")
                if key in out:
                    raise CarekbError(f"duplicate key '{key}'", source, f"line {knode.start_mark.line + 1}")
                out[key] = loader.construct_object(vnode, deep=deep)
                lines[(id(out), key)] = knode.start_mark.line + 1
            return out

        def construct_timestamp(loader, node):
            try:
                return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
            except ValueError:
                raise CarekbError(f"impossible date '{node.value}'", source, f"line {node.start_mark.line + 1}") from None

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
        Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
        try:
            data = yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass
        except RecursionError:
            raise CarekbError("not valid YAML: nested too deeply", source) from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
            problem = " ".join(str(getattr(e, "problem", None) or e).replace(' in "<unicode string>",', "").split())
            raise CarekbError(f"not valid YAML: {problem}", source, where) from None
        return data, lines


def read_document(path: str | Path, text: str | None = None) -> tuple[dict, dict, str]:
    """Parse a profile file into a plain dict, a map of key lines, and its display name."""
    source = str(path)
    if text is None:
        p = Path(path)
        if not p.is_file():
            raise CarekbError("file not found", source)
        if p.stat().st_size > MAX_PROFILE_BYTES:
            raise CarekbError(f"file too large for a profile ({p.stat().st_size:,} bytes; at most {MAX_PROFILE_BYTES:,})", source)
        raw = p.read_bytes()
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise CarekbError("UTF-16 text: save the file as UTF-8", source)
        if b"\0" in raw:
            raise CarekbError("binary file, not a profile (YAML, JSON or Turtle)", source)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            raise CarekbError(f"not UTF-8 text ({_encoding_hint(raw)}line {line}, byte {e.start}): save the file as UTF-8",
                              source) from None
    if not text.strip():
        raise CarekbError("empty file", source)
    suffix = Path(source).suffix.lower()
    if suffix in (".ttl", ".turtle"):
        return turtle_profile(text, source), {}, source
    if suffix == ".json":
        data, lines = _json(text, source), {}
    else:
        data, lines = _LineLoader.load(text, source)
    if not isinstance(data, dict):
        raise CarekbError("a profile is a mapping of keys (version, office, as_of, ...)", source)
    return data, lines, source


def _json(text: str, source: str) -> dict:
    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise CarekbError(f"duplicate key '{k}'", source)
            out[k] = v
        return out
    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise CarekbError(f"not valid JSON: {e.msg}", source, f"line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise CarekbError("not valid JSON: nested too deeply", source) from None


def _encoding_hint(raw: bytes) -> str:
    """'Shift_JIS? ' when the bytes decode as Shift_JIS (CP932), the usual encoding of Japanese Excel exports."""
    try:
        raw.decode("cp932")
        return "looks like Shift_JIS; "
    except UnicodeDecodeError:
        return ""


def turtle_profile(text: str, source: str) -> dict:
    """The Turtle form of a profile: one ck:Office with the properties of ontology/vocab.ttl."""
    import rdflib
    from rdflib.namespace import RDF, RDFS

    import pyoxigraph as ox

    ck = rdflib.Namespace("https://w3id.org/carekb/vocab#")
    try:  # pyoxigraph first: its syntax errors are one line with line:column (rdflib's are not)
        for _ in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE):
            pass
    except SyntaxError as e:
        raise CarekbError(f"not valid Turtle: {' '.join(str(e).split())[:300]}", source) from None
    g = rdflib.Graph()
    term_log = logging.getLogger("rdflib.term")
    level, term_log.level = term_log.level, logging.CRITICAL  # ill-typed literals are reported below instead
    try:
        g.parse(data=text, format="turtle")
    except Exception as e:
        raise CarekbError(f"not valid Turtle: {' '.join(str(e).split())[:300]}", source) from None
    finally:
        term_log.level = level
    offices = list(g.subjects(RDF.type, ck.Office))
    if len(offices) != 1:
        raise CarekbError(f"expected exactly one ck:Office, found {len(offices)}", source)
    o = offices[0]

    def one(p):
        values = list(g.objects(o, p))
        where = "ck:" + str(p).rsplit("#", 1)[-1]
        if len(values) > 1:
            raise CarekbError(f"{len(values)} values where one is allowed", source, where)
        v = values[0] if values else None
        if getattr(v, "ill_typed", False):
            raise CarekbError(f"'{v}' is not a valid {v.datatype.n3(g.namespace_manager)}", source, where)
        return None if v is None else v.toPython()

    def many(p):
        return sorted(v.toPython() for v in g.objects(o, p))

    one(ck.service)  # at most one
    svc = g.value(o, ck.service)
    data: dict = {"version": 1, "office": {
        "service": str(svc).rsplit("/", 1)[-1] if isinstance(svc, rdflib.URIRef) else (svc and str(svc))}}
    name = one(RDFS.label)
    if name is not None:
        data["office"]["name"] = name
    for key, local in TURTLE_PROPERTIES.items():
        if key in ("office.service", "effort"):
            continue
        value = many(ck[local]) if key in LIST_KEYS else one(ck[local])
        if value is None or value == []:
            continue
        group, _, field = key.rpartition(".")
        if group == "history" and value == 0:
            value = "none"
        (data.setdefault(group, {}) if group else data)[field] = value
    efforts = {str(g.value(b, ck.action)): g.value(b, ck.cost).toPython() for b in g.objects(o, ck.effort)}
    if efforts:
        data["effort"] = efforts
    return data


# --------------------------------------------------------------------------- checking

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
    kw: dict = {"source": source, "lines": lines,
                "service": resolve_service(kb, str(office["service"]), source, c._where(office, "service", "office.service"))}
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
    kind, _, rest = action.partition(".")
    if kind == "workplace":
        return rest.isdigit() and any(int(rest) in items for items in kb.items.values())
    if kind == "pledge":
        return rest in kb.pledge_ids()
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


# --------------------------------------------------------------------------- binding to a period

def resolve_period(kb: KB, as_of: dt.date, source: str = "", where: str = "as_of") -> Period:
    period = kb.period_at(as_of)
    if period is None:
        raise CarekbError(f"{as_of} is outside the rules this KB covers: {coverage(kb)}", source, where)
    return period


def coverage(kb: KB) -> str:
    """What the KB covers, from its periods: the old additions (periods whose tiers combine old tiers) and the new one."""
    old = [p for p in kb.periods.values() if any(t.combines for t in kb.tiers.get(p.id, {}).values())]
    new = [p for p in kb.periods.values() if p not in old]
    parts = [f"the old additions from {p.valid_from} to {p.valid_to} (period {p.id})" for p in old]
    if new:
        parts.append(f"the new addition from {new[0].valid_from} (periods {', '.join(p.id for p in new)})")
    return "; ".join(parts)


def check_effort_items(actions, kb: KB, period: Period, source: str, where) -> None:
    """workplace.N must name an item of the period's list (numbers differ between R6 and R7+);
    `where(action)` names the place of an action in the input."""
    items = kb.items[period.item_list]
    for action in actions:
        if action.startswith("workplace.") and int(action.split(".")[1]) not in items:
            raise CarekbError(f"{action} is not in the {period.id} item list (1–{max(items)})", source, where(action))


def bind(office: Office, kb: KB, as_of: dt.date | None = None) -> tuple[Office, Period]:
    """Fix the as-of date (argument, else profile, else today) and check what depends on its period."""
    day = as_of or office.as_of or dt.date.today()
    period = resolve_period(kb, day, office.source, "--as-of" if as_of else "as_of")
    items = kb.items[period.item_list]
    bad = sorted(n for n in office.workplace if n not in items)
    if bad:
        raise CarekbError(f"item {bad[0]} is not in the {period.id} list (1–{max(items)}: see `carekb requirements "
                          f"--period {period.id}`)", office.source, "workplace")
    check_effort_items([a for a, _ in office.effort], kb, period, office.source, lambda a: f"effort.{a}")
    svc = kb.services[office.service]
    if not kb.tiers_for(period.id, office.service):
        raise CarekbError(f"{svc.label_ja} ({svc.id}) has no tier of this addition in period {period.id}"
                          + (f" (covered from {svc.covered_from})" if svc.covered_from else ""), office.source, "office.service")
    changes: dict = {"as_of": day}
    if office.staff:  # the roster decides the wage for cp4 (over top_annual_wage), under this period's threshold
        changes["top_annual_wage"] = top_wage(kb, office.staff, wage_threshold(kb, period.id))
    return office.with_changes(**changes), period
