"""Reading a profile: YAML (duplicate keys refused, each key's line kept), JSON, Turtle or a checklist
workbook (.xlsx, read_xlsx), from a file, from text or from a dict, into a plain dict — nothing is
checked against the KB here."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from carekb.i18n import t
from carekb.inputs import normalize
from carekb.model.errors import CarekbError
from carekb.inputs.profile.office import LIST_KEYS, MAX_PROFILE_BYTES, TURTLE_PROPERTIES
from carekb.inputs.profile.read_xlsx import read_checklist
from carekb.inputs.profile.yaml_problems import yaml_problem


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
                    raise CarekbError(t("err.yaml.key_not_plain"), source, t("err.place.line", line=knode.start_mark.line + 1))
                if key in out:
                    raise CarekbError(t("err.duplicate_key", key=key), source, t("err.place.line", line=knode.start_mark.line + 1))
                out[key] = loader.construct_object(vnode, deep=deep)
                lines[(id(out), key)] = knode.start_mark.line + 1
            return out

        def construct_timestamp(loader, node):
            try:
                return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
            except ValueError:   # 2025-02-30: left as text, for the date check to say what is wrong and where
                return node.value

        def construct_int(loader, node):   # decimal only: no 0x10 = 16, 010 = 8, 1:30 = 90 (normalize.yaml_int)
            return normalize.yaml_int(node.value, source, t("err.place.line", line=node.start_mark.line + 1))

        def construct_float(loader, node):
            if ":" in node.value:   # YAML 1.1 base 60: 1:30.5 would be 90.5
                raise CarekbError(t("norm.sexagesimal", got=f"'{node.value}'"), source,
                                  t("err.place.line", line=node.start_mark.line + 1))
            return yaml.SafeLoader.construct_yaml_float(loader, node)

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
        Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
        Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
        Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
        try:
            data = yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass
        except RecursionError:
            raise CarekbError(t("err.yaml.too_deep"), source) from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = t("err.place.line_column", line=mark.line + 1, column=mark.column + 1) if mark else None
            problem = " ".join(str(getattr(e, "problem", None) or e).replace(' in "<unicode string>",', "").split())
            raise CarekbError(t("err.yaml.invalid", problem=yaml_problem(problem)), source, where) from None
        return data, lines


def read_document(path: str | Path, text: str | None = None) -> tuple[dict, dict, str]:
    """Parse a profile file into a plain dict, a map of key lines, and its display name."""
    source = str(path)
    if text is None and Path(source).suffix.lower() in (".xlsx", ".xlsm"):   # the checklist of `carekb init --format xlsx`
        return read_checklist(path)
    if text is None:
        p = Path(path)
        if not p.is_file():
            raise CarekbError(t("err.file_not_found"), source)
        if p.stat().st_size > MAX_PROFILE_BYTES:
            raise CarekbError(t("err.too_large_for_profile") + t("err.size_limit", size=p.stat().st_size, limit=MAX_PROFILE_BYTES),
                              source)
        raw = p.read_bytes()
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise CarekbError(t("err.utf16"), source)
        if b"\0" in raw:
            raise CarekbError(t("err.binary_profile"), source)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            raise CarekbError(t("err.not_utf8", hint=_encoding_hint(raw), line=line, byte=e.start), source) from None
    if not text.strip():
        raise CarekbError(t("err.empty_file"), source)
    normalize.check_size(text, source)   # before parsing: a million-item list costs PyYAML minutes and a gigabyte
    suffix = Path(source).suffix.lower()
    if suffix in (".ttl", ".turtle"):
        return turtle_profile(text, source), {}, source
    if suffix == ".json":
        data, lines = _json(text, source), {}
    else:
        data, lines = _LineLoader.load(text, source)
    if not isinstance(data, dict):
        raise CarekbError(t("err.not_a_mapping"), source)
    normalize.check_strings(data, source)   # JSON "\ud800": no lone surrogate reaches the output
    return data, lines, source


def _json(text: str, source: str) -> dict:
    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise CarekbError(t("err.duplicate_key", key=k), source)
            out[k] = v
        return out
    try:
        return json.loads(text, object_pairs_hook=pairs, parse_int=lambda s: normalize.json_int(s, source))
    except json.JSONDecodeError as e:
        raise CarekbError(t("err.json.invalid", problem=e.msg), source, t("err.place.line_column", line=e.lineno, column=e.colno)) from None
    except RecursionError:
        raise CarekbError(t("err.json.too_deep"), source) from None


def _encoding_hint(raw: bytes) -> str:
    """'Shift_JIS? ' when the bytes decode as Shift_JIS (CP932), the usual encoding of Japanese Excel exports."""
    try:
        raw.decode("cp932")
        return t("err.shift_jis_hint")
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
        raise CarekbError(t("err.turtle.invalid", problem=" ".join(str(e).split())[:300]), source) from None
    g = rdflib.Graph()
    term_log = logging.getLogger("rdflib.term")
    level, term_log.level = term_log.level, logging.CRITICAL  # ill-typed literals are reported below instead
    try:
        g.parse(data=text, format="turtle")
    except Exception as e:
        raise CarekbError(t("err.turtle.invalid", problem=" ".join(str(e).split())[:300]), source) from None
    finally:
        term_log.level = level
    offices = list(g.subjects(RDF.type, ck.Office))
    if len(offices) != 1:
        raise CarekbError(t("err.turtle.one_office", count=len(offices)), source)
    o = offices[0]

    def one(p):
        values = list(g.objects(o, p))
        where = "ck:" + str(p).rsplit("#", 1)[-1]
        if len(values) > 1:
            raise CarekbError(t("err.turtle.many_values", count=len(values)), source, where)
        v = values[0] if values else None
        if getattr(v, "ill_typed", False):
            raise CarekbError(t("err.turtle.ill_typed", value=v, datatype=v.datatype.n3(g.namespace_manager)), source, where)
        return None if v is None else v.toPython()

    def many(p):   # sorted as text: a list may mix "cp1.1" and 1, which do not compare
        return sorted((v.toPython() for v in g.objects(o, p)), key=str)

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
    efforts = {}
    for b in g.objects(o, ck.effort):
        action, cost = g.value(b, ck.action), g.value(b, ck.cost)
        if action is None or cost is None:
            raise CarekbError(t("profile.effort_incomplete"), source, "ck:effort")
        efforts[str(action)] = cost.toPython()
    if efforts:
        data["effort"] = efforts
    return data


def read_source(src) -> tuple[dict, dict, str]:
    """(data, lines, source) of a profile given as a path, a dict, or YAML / JSON / Turtle text.

    A str with a line break, or one that starts like a document (`{`, `@prefix`), is text; any
    other str is a path."""
    if isinstance(src, dict):
        return src, {}, "<dict>"
    if isinstance(src, str) and ("\n" in src or src.lstrip().startswith(("{", "@prefix", "PREFIX"))):
        head = src.lstrip()
        suffix = ".json" if head.startswith("{") else ".ttl" if head.startswith(("@prefix", "PREFIX")) else ".yaml"
        return read_document(f"<text>{suffix}", src)
    if isinstance(src, (str, Path)):
        return read_document(src)
    raise CarekbError(t("err.not_a_profile_source", kind=type(src).__name__), "<profile>")
