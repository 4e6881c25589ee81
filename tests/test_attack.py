"""Hostile input through every door that reads user input: the command line (every command and
option that takes a file or a value), the XLSX/CSV batch reader, the JSON API of `carekb serve`,
and the date parser and input normaliser (hypothesis).

Every case must fail cleanly: exit status 2 (1 for a batch with per-row errors) and only lines
`carekb: error: …` naming the file or option, no traceback, no output file left behind; over HTTP
400/403/413/422 with a JSON body, never 500.  Paths inside a profile or overlay are text, never
followed; nothing reaches the network.  Messages speak H6's catalogue language, so the assertions
look at exit codes, the line shape and the file/field name, not at English words.

Static inputs: tests/data/attack-inputs/; the rest is built here (zip bombs, huge numbers, …).
"""

from __future__ import annotations

import io
import json
import os
import socket
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carekb.cli.main import main
from carekb.model.errors import CarekbError

from conftest import ROOT

DATA = Path(__file__).resolve().parent / "data" / "attack-inputs"
EX = ROOT / "examples"
P = str(EX / "r7-after-school-day.yaml")        # a good profile
PB = str(EX / "r8-employment-b.yaml")
PK = str(EX / "kaigo-r8-home-visit.yaml")
SECRET = "root:x:0:0"                            # /etc/passwd's first line: must never be echoed


# --------------------------------------------------------------------------- no network, ever

@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection (SSRF) fails the test instead of leaving the machine."""
    tried = []

    def refuse(self, address, *a, **kw):
        tried.append(address)
        raise AssertionError(f"network connection attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **kw: refuse(None, address))
    yield tried
    assert not tried, f"network connection attempted: {tried}"


# --------------------------------------------------------------------------- built inputs

def _xlsx(sheet_xml: bytes | None = None, shared: bytes | None = None, extra: dict | None = None,
          drop: tuple = ()) -> bytes:
    """A minimal workbook with the given parts (the real xlsx layout, so that openpyxl reads it)."""
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                               b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                               b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                               b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
                               b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                               b'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                               b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                       b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                           b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                           b'<sheets><sheet name="offices" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                      b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
                                      b'"worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target='
                                      b'"sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": shared or (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                                           b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>x</t></si></sst>'),
        "xl/worksheets/sheet1.xml": sheet_xml or _sheet_xml([["事業所番号", "サービス"], ["1312345678", "home-care"]]),
    }
    parts.update(extra or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name not in drop:
                z.writestr(name, data)
    return buf.getvalue()


def _cell(ref: str, value) -> str:
    from xml.sax.saxutils import escape
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _sheet_xml(rows: list[list], dimension: str = "A1:B2") -> bytes:
    body = "".join(f'<row r="{i}">' + "".join(_cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row)) + "</row>"
                   for i, row in enumerate(rows, 1))
    return (f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>').encode()


def _zip_bomb() -> bytes:
    """A worksheet that inflates past the reader's per-part limit (declared size checked before reading)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        base = _xlsx()
        with zipfile.ZipFile(io.BytesIO(base)) as src:
            for n in src.namelist():
                if n != "xl/worksheets/sheet1.xml":
                    z.writestr(n, src.read(n))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as w:
            chunk = b" " * (1 << 24)
            for _ in range(130):                 # 2.1 GB of spaces, ~2 MB compressed
                w.write(chunk)
    return buf.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>')
DEEP_JSON = "[" * 100_000 + "]" * 100_000
YAML_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)) + \
    "office: {service: home-care}\n"

BUILT = {   # name -> bytes (or a callable, for the large ones)
    "region-superscript.yaml": "office: {service: home-care, region: '²'}\n",
    "employees-superscript.yaml": "office: {service: home-care, employees: '²'}\n",
    "history-superscript.yaml": "office: {service: home-care}\nhistory: {shogu: '²'}\n",
    "effort-superscript.yaml": "office: {service: home-care}\neffort: {workplace.²: 1}\n",
    "workplace-superscript.yaml": "office: {service: home-care}\nworkplace: ['²', '①②', '⑳⑳']\n",
    "huge-int.yaml": "office: {service: home-care, employees: " + "9" * 5000 + "}\n",
    "huge-int.json": '{"office": {"service": "home-care", "monthly_units": ' + "9" * 5000 + "}}",
    "float-inf.yaml": "office: {service: home-care, monthly_units: 1e309}\n",
    "float-nan.yaml": "office: {service: home-care, monthly_units: .nan}\n",
    "negative.yaml": "office: {service: home-care, employees: -3, monthly_units: -1}\n",
    "surrogate.json": '{"office": {"service": "home-care", "name": "\\ud800"}}',
    "deep.json": DEEP_JSON,
    "deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "laughs.yaml": YAML_LAUGHS,
    "python-tag.yaml": "office: !!python/object/apply:os.system ['echo pwned']\n",
    "date-bad-month.yaml": "office: {service: home-care}\nas_of: 2025-13-01\n",
    "date-compact.yaml": "office: {service: home-care}\nas_of: '20250701'\n",
    "date-era-bad.yaml": "office: {service: home-care}\nas_of: 令和99年2月30日\n",
    "date-year-0.yaml": "office: {service: home-care}\nas_of: '0000-01-01'\n",
    "date-year-huge.yaml": "office: {service: home-care}\nas_of: '99999-01-01'\n",
    "binary.yaml": bytes(range(256)) * 4,
    "empty.yaml": b"",
    "bom-only.yaml": b"\xef\xbb\xbf",
    "sjis.yaml": "office: {service: home-care, name: 事業所}\n".encode("cp932"),
    "utf16.yaml": "office: {service: home-care}\n".encode("utf-16"),
    "path-office.yaml": "office: /etc/passwd\n",
    "path-include.yaml": "office: {service: home-care, name: /etc/passwd}\nmet: ['../../etc/passwd', 'file:///etc/passwd']\n",
    "list-top.yaml": "- /etc/passwd\n",
    "scalar-top.yaml": "'../../etc/passwd'\n",
    "turtle-met-int.ttl": ('@prefix ck: <https://w3id.org/carekb/vocab#> .\n'
                           '[] a ck:Office ; ck:service "home-care" ; ck:met "cp1.1", 1 .\n'),
    "turtle-effort-nocost.ttl": ('@prefix ck: <https://w3id.org/carekb/vocab#> .\n'
                                 '[] a ck:Office ; ck:service "home-care" ; ck:effort [ ck:action "cp4" ] .\n'),
    "turtle-base-file.ttl": ('@base <file:///etc/> .\n@prefix ck: <https://w3id.org/carekb/vocab#> .\n'
                             '@prefix owl: <http://www.w3.org/2002/07/owl#> .\n'
                             '<passwd> owl:imports <file:///etc/passwd> .\n[] a ck:Office ; ck:service <passwd> .\n'),
    "turtle-huge-literal.ttl": lambda: ('@prefix ck: <https://w3id.org/carekb/vocab#> .\n[] a ck:Office ; ck:name "'
                                        + "x" * 3_000_000 + '" .\n').encode(),
    "effort-bad.csv": "action,effort\ncp1.1,abc\nworkplace.²,1\n",
    "effort-nan.csv": "action,effort\ncp1.1,nan\n",
    "effort-inf.csv": "action,effort\ncp1.1,1e309\n",
    "effort-neg.csv": "action,effort\ncp1.1,-1\n",
    "effort-binary.csv": bytes(range(256)),
    "query-bad.rq": "SELECT * WHERE { ?s ?p }\n",
    "query-service.rq": "SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }\n",
    "query-load.rq": "LOAD <file:///etc/passwd>\n",
    "query-from.rq": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }\n",
    "query-binary.rq": bytes(range(256)),
    "visit-bad.yaml": "temperature_c: '²'\n",
    "visit-huge.yaml": "temperature_c: 1e309\n",
    "visit-deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    # batch
    "offices-binary.csv": bytes(range(256)) * 8,
    "offices-empty.csv": b"",
    "offices-header-only.csv": "事業所番号,サービス\n",
    "offices-all-bad.csv": "事業所番号,サービス,地域区分\n1,no-such-service,²\n",
    "offices-wide.csv": lambda: (",".join(f"c{i}" for i in range(20000)) + "\n").encode(),
    "offices-huge-cell.csv": lambda: ("事業所番号,事業所名,サービス\n1," + "x" * 100_000 + ",home-care\n").encode(),
    "offices-nul.csv": b"\xe4\xba\x8b\xe6\xa5\xad\xe6\x89\x80\xe7\x95\xaa\xe5\x8f\xb7,x\x00y\n1,\x00\n",
    "offices-quote.csv": '事業所番号,事業所名,サービス\n1,"unterminated,home-care\n',
    "offices-notzip.xlsx": b"PK\x03\x04 not really a zip",
    "offices-text.xlsx": "事業所番号,サービス\n1,home-care\n",
    "offices-no-sheet.xlsx": lambda: _xlsx(drop=("xl/worksheets/sheet1.xml",)),
    "offices-no-workbook.xlsx": lambda: _xlsx(drop=("xl/workbook.xml",)),
    "offices-laughs.xlsx": lambda: _xlsx(shared=LAUGHS),
    "offices-xxe.xlsx": lambda: _xlsx(shared=XXE),
    "offices-bad-xml.xlsx": lambda: _xlsx(sheet_xml=b"<worksheet><sheetData><row><c r='A1'"),
    "offices-bad-ref.xlsx": lambda: _xlsx(sheet_xml=_sheet_xml([["事業所番号"]]).replace(b'r="A1"', b'r="!!"')),
    "offices-dimension.xlsx": lambda: _xlsx(sheet_xml=_sheet_xml(
        [["事業所番号", "サービス"], ["1312345678", "no-such"]], dimension="A1:XFD1048576")),
    "offices-far-cell.xlsx": lambda: _xlsx(sheet_xml=_sheet_xml([["事業所番号"]]).replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')),
    "offices-bomb.xlsx": _zip_bomb,
}


def build(name: str, tmp: Path) -> Path:
    data = BUILT[name]
    data = data() if callable(data) else data
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- the CLI table

def C(args: str, names: str | None = None, codes=(2,), out: str | None = None):
    """A case: argv template ({B:name} = a built file, {D:name} = a data file, {T} = the temp folder),
    the text the first error line must hold (default: the first file named), the allowed exit codes,
    and an output path that must not exist afterwards."""
    return {"args": args, "names": names, "codes": codes, "out": out}


CASES = [
    # profiles: every command that reads one
    *[C(f"{cmd} {{B:{name}}}") for cmd in ("gap", "tiers", "validate") for name in (
        "region-superscript.yaml", "employees-superscript.yaml", "history-superscript.yaml",
        "effort-superscript.yaml", "workplace-superscript.yaml", "huge-int.yaml", "huge-int.json", "float-inf.yaml",
        "float-nan.yaml", "negative.yaml", "surrogate.json", "deep.json", "deep.yaml", "laughs.yaml",
        "python-tag.yaml", "date-bad-month.yaml", "date-compact.yaml", "date-era-bad.yaml", "date-year-0.yaml",
        "date-year-huge.yaml", "binary.yaml", "empty.yaml", "bom-only.yaml", "utf16.yaml", "path-office.yaml",
        "path-include.yaml", "list-top.yaml", "scalar-top.yaml", "turtle-met-int.ttl", "turtle-effort-nocost.ttl",
        "turtle-base-file.ttl", "turtle-huge-literal.ttl")],
    C("gap {B:sjis.yaml}", codes=(0, 2)),
    C("gap /nonexistent/x.yaml", names="x.yaml"),
    C("gap {T}", names=""),
    C("gap /dev/null", names="/dev/null"),
    C("gap /etc/passwd", names="/etc/passwd"),
    C("explain {B:huge-int.json} II"),
    C("plan {B:history-superscript.yaml}"),
    C("staff {B:employees-superscript.yaml}"),
    C("report {B:region-superscript.yaml} -o {T}/r.html", out="r.html"),
    C("report {B:date-bad-month.yaml} -o {T}/r.html", out="r.html"),
    # options with values
    *[C(f"gap {P} --as-of {d}", names="--as-of") for d in ("2025-13-01", "20250701", "R99.1.1", "'令和8年2月30日'",
                                                            "0000-01-01", "9999999-01-01", "''", "'\x00'")],
    *[C(f"gap {P} --target {t}", names="--target") for t in ("Ⅸ", "''", "'../../etc/passwd'", "'I\x00'", "ii-zz")],
    *[C(f"explain {P} {t}", names="") for t in ("Ⅸ", "''", "'\ud800'" if False else "'\u202e'")],
    C(f"gap {P} --reading no-such-reading", names="--reading"),
    C(f"gap {P} --reading ''", names="--reading"),
    C(f"tiers {P} --reading '../../etc/passwd'", names="--reading"),
    *[C(f"gap {PB} --rates {{D:{f}}}") for f in (
        "rates-bad-numbers.csv", "rates-negative.csv", "rates-nan.csv", "rates-inf.csv", "rates-duplicate.csv",
        "rates-unknown-ids.csv", "rates-sjis.csv", "rates-binary.csv", "rates-no-header.csv")],
    C(f"gap {PB} --rates {{D:rates-bom.csv}}", codes=(0,)),
    C(f"gap {PB} --rates /etc/passwd", names="/etc/passwd"),
    C(f"gap {PB} --rates {{T}}", names=""),
    *[C(f"gap {P} --rules-overlay {{D:{f}}}") for f in ("overlay-base-file.ttl", "overlay-malformed.ttl",
                                                       "overlay-prefix-trick.ttl")],
    C(f"gap {P} --rules-overlay {{B:turtle-huge-literal.ttl}}", codes=(0, 2)),
    C(f"gap {P} --rules-overlay {{B:binary.yaml}}"),
    C(f"gap {P} --rules-overlay /etc/passwd", names="/etc/passwd"),
    # whatif
    *[C(f"whatif {P} --set {s}", names="--set") for s in (
        "as_of=2025-13-01", "office.region=²", "'met=[[['", "'=x'", "noequals", "'office.employees=" + "9" * 5000 + "'",
        "'as_of=20250701'", "'office=/etc/passwd'", "'workplace=[²]'", "'effort={workplace.²: 1}'",
        "'a.b.c.d.e=1'", "'office.service=../../etc'")],
    *[C(f"whatif {P} --add {a}", names="--add") for a in ("''", "workplace.²", "'workplace.99999999999999999999'",
                                                         "zzz", "'cp1.1; rm -rf /'", "'\u0000'")],
    *[C(f"whatif {P} --remove {a}", names="--remove") for a in ("zzz", "workplace.²", "''")],
    *[C(f"whatif {P} --compare-periods {c}", names="--compare-periods") for c in ("R7,R99", "',,,'", "R7", "''",
                                                                               "'../../etc/passwd'")],
    # plan
    *[C(f"plan {P} --budget {b}", names="--budget") for b in ("-1", "1e309", "nan", "abc", "9" * 5000, "²")],
    *[C(f"plan {P} --effort {{B:{f}}}") for f in ("effort-bad.csv", "effort-nan.csv", "effort-inf.csv",
                                                  "effort-neg.csv", "effort-binary.csv")],
    C(f"plan {P} --effort /dev/null", names="/dev/null"),
    # kb views
    *[C(f"requirements --period {p}", names="--period") for p in ("R99", "''", "'../../etc/passwd'")],
    *[C(f"requirements --scheme {s}", names="--scheme") for s in ("nope", "''", "'../../etc'")],
    C("requirements --as-of 2025-02-30", names="--as-of"),
    *[C(f"services --period {p}", names="--period") for p in ("R99", "''")],
    C("services --scheme nope", names="--scheme"),
    C("staff --scheme nope", names="--scheme"),
    C("guidance -s no-such-service", names=""),
    C("guidance -c no-such-category", names=""),
    C("guidance {B:binary.yaml}"),
    C("visit {B:visit-bad.yaml}"),
    C("visit {B:visit-huge.yaml}"),
    C("visit {B:visit-deep.yaml}"),
    C("visit /etc/passwd", names="/etc/passwd"),
    C(f"visit {EX / 'visit-admit.yaml'} --assume 'x=y'", names="--assume"),
    C(f"visit {EX / 'visit-admit.yaml'} --assume noequals", names="--assume"),
    # sparql
    C("sparql {B:query-bad.rq}"),
    C("sparql {B:query-service.rq}"),
    C("sparql {B:query-load.rq}"),
    C("sparql {B:query-binary.rq}"),
    C("sparql {B:query-from.rq}", codes=(0, 2)),
    C("sparql /etc/passwd", names="/etc/passwd"),
    C("sparql -n no-such-query", names=""),
    C("sparql -n ../../etc/passwd", names=""),
    C("sparql -n tiers -p 'x'", names="-p"),
    C("sparql -n tiers -p '=1'", names=""),
    C("sparql -n tiers -p 'period=\"> } SERVICE <http://169.254.169.254/> { ?s ?p ?o } #'", codes=(0, 2), names=""),
    C("sparql {B:query-bad.rq} --with {B:region-superscript.yaml}", names=""),
    C("sparql -n tiers --with /etc/passwd", names="/etc/passwd"),
    *[C(f"sparql -n tiers --endpoint {u}", names="--endpoint") for u in (
        "file:///etc/passwd", "http://169.254.169.254/", "gopher://127.0.0.1:25/", "http://localhost:99999999/",
        "'http://[::1'", "ftp://x/", "''", "'http://user:pass@169.254.169.254/'")],
    *[C(f"gap {P} --endpoint {u}", names="--endpoint") for u in ("file:///etc/passwd", "gopher://127.0.0.1:25/")],
    *[C(f"requirements --endpoint {u}", names="--endpoint") for u in ("file:///etc/passwd", "http://localhost:0/")],
    # outputs
    C("export -o {T}", names=""),
    C("export -o /dev/full", names=""),
    C("export -o /nonexistent/dir/x.ttl", names="x.ttl"),
    C(f"report {P} -o {{T}}", names=""),
    C(f"report {P} -o /nonexistent/dir/r.html", names="r.html"),
    C(f"report {P} -o /dev/full", names=""),
    # batch
    *[C(f"batch {{B:{f}}} --out {{T}}/o.csv -q", out="o.csv") for f in (
        "offices-binary.csv", "offices-empty.csv", "offices-wide.csv", "offices-nul.csv",
        "offices-notzip.xlsx", "offices-text.xlsx", "offices-no-sheet.xlsx", "offices-no-workbook.xlsx",
        "offices-laughs.xlsx", "offices-xxe.xlsx", "offices-bad-xml.xlsx", "offices-bad-ref.xlsx",
        "offices-far-cell.xlsx", "offices-bomb.xlsx")],
    *[C(f"batch {{B:{f}}} --out {{T}}/o.csv -q", codes=(1, 2)) for f in (
        "offices-header-only.csv", "offices-all-bad.csv", "offices-huge-cell.csv", "offices-quote.csv",
        "offices-dimension.xlsx")],
    C("batch {B:offices-all-bad.csv} --out /dev/full -q", names="", codes=(1, 2)),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}} -q", names=""),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}}/o.exe -q", names=""),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}}/o.csv --staff {{B:binary.yaml}} -q", names="", out="o.csv"),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}}/o.csv --as-of 2025-13-01 -q", names="--as-of", out="o.csv"),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}}/o.csv --workers -1 -q", names="", out="o.csv"),
    C(f"batch {EX / 'batch/offices.csv'} --out {{T}}/o.csv --rates {{D:rates-nan.csv}} -q", out="o.csv"),
    C(f"batch {EX / 'batch/offices.csv'} --reports {{T}}/o.csv/x --out {{T}}/o.csv -q", names="", codes=(0, 1, 2)),
]


def _argv(case: dict, tmp: Path) -> tuple[list[str], Path | None]:
    import shlex
    first = None
    out = []
    for a in shlex.split(case["args"]):
        for tag in ("{B:", "{D:"):
            while tag in a:
                i = a.index(tag)
                j = a.index("}", i)
                name = a[i + 3:j]
                path = build(name, tmp) if tag == "{B:" else DATA / name
                first = first or path
                a = a[:i] + str(path) + a[j + 1:]
        out.append(a.replace("{T}", str(tmp)))
    return out, first


def _case_id(case):
    return case["args"].replace(str(EX) + "/", "").replace(str(ROOT) + "/", "")[:90]


def check_clean(result, codes, names, text_out: str = "") -> None:
    err = result.stderr
    everything = result.output + err
    assert "Traceback" not in everything, everything[-3000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, (result.exit_code, everything[-2000:])
    assert SECRET not in everything, "local file disclosed"
    if result.exit_code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert 1 <= len(lines) <= 21, err[-2000:]
        assert all(ln.startswith("carekb: error: ") for ln in lines), err[-2000:]
        if names:
            assert names in lines[0], (names, lines[0])


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_cli_attack(case, tmp_path):
    argv, first = _argv(case, tmp_path)
    names = case["names"] if case["names"] is not None else (first.name if first else "")
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    check_clean(result, case["codes"], names)
    if case["out"] and result.exit_code == 2:
        assert not (tmp_path / case["out"]).exists(), "partial output left behind"
