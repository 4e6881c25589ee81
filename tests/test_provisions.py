"""Each rule next to its provision: quotations verbatim, a provision on every P and S fact (SHACL),
`requirements --with-text`, and `explain` citing the provision of a failing requirement."""

import json
import re

import pytest
from click.testing import CliRunner

from carekb.cli.main import main
from carekb.graph.kbload import kb_files, parse_graph
from carekb.inputs.shapes import run as shacl_run

from conftest import REFERENCE

CK = "https://w3id.org/carekb/vocab#"
SG = "https://w3id.org/carekb/shogai/"


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _stored_texts() -> list[str]:
    """The stored public sources, with Markdown's line wraps undone (Japanese wraps add no space)."""
    out = []
    for f in sorted(REFERENCE.rglob("*")):
        if f.suffix in (".md", ".txt", ".csv"):
            text = f.read_text(encoding="utf-8")
            out += [text, re.sub(r"\n\s*", "", text)]
    return out


def facts(kb):
    """(kind, key, Cited) of every tier, requirement, counting rule, pledge, derived fact and rate."""
    for p, ts in kb.tiers.items():
        yield from (("tier", (p, t.id), t.cited) for t in ts.values())
    yield from (("requirement", r.id, r.cited) for r in kb.requirements.values())
    yield from (("rule", r.id, r.cited) for r in kb.rules.values())
    for p, rules in kb.pledges.items():
        yield from (("pledge", (p, x.id), x.cited) for x in rules)
    for p, ds in kb.derived.items():
        yield from (("derived", (p, d.requirement), d.cited) for d in ds)
    yield from (("rate", k, r.cited) for k, r in kb.rates.items())


def test_every_quotation_is_verbatim_in_a_stored_source(kb):
    texts = _stored_texts()
    quoted = {q for _, _, c in facts(kb) for p in c.provisions for q in p.quoted}
    assert len(quoted) >= 25
    missing = [q for q in quoted if not any(q in t for t in texts)]
    assert not missing, missing


def test_every_rule_and_rate_links_to_a_provision(kb):
    without = [(kind, key) for kind, key, c in facts(kb) if not c.provisions]
    assert not without, without[:10]
    for _, _, c in facts(kb):
        for p in c.provisions:
            assert p.document and p.pinpoint and p.checked_on
            assert p.quoted or p.note   # the text, or a note of what is known instead


def test_rates_link_per_table(kb):
    r8 = kb.rates[("R8", "employment-b", "I-ro")].cited.provisions
    assert [p.id for p in r8] == ["kokuji-R8-rates"] and "p.57" in r8[0].pinpoint and not r8[0].text_available
    r6 = kb.rates[("R6", "after-school-day", "V2")].cited.provisions
    assert any("福祉・介護職員等処遇改善加算(Ⅴ)(2) 11.1%" in q for p in r6 for q in p.quoted)


@pytest.fixture(scope="module")
def broken_violations():
    """SHACL on the KB graph with provisions removed from a P pledge, an S tier, an I tier, P rates (via their
    table), and a provision that both quotes and says its text is not available."""
    import rdflib

    g = parse_graph(kb_files())
    ck = rdflib.Namespace(CK)
    for node in (SG + "R8/II-i", SG + "pledge/R6-cp2", SG + "R6/I"):
        g.remove((rdflib.URIRef(node), ck.provision, None))
    g.remove((rdflib.URIRef("https://w3id.org/carekb/source/rates-5"), ck.provision, None))
    g.add((rdflib.URIRef(SG + "provision/cp5"), ck.textAvailable, rdflib.Literal(False)))
    return shacl_run(g)


def test_shacl_fails_a_p_or_s_fact_without_a_provision(broken_violations):
    focus = {v.focus for v in broken_violations}
    assert {"r8:II-i", "pl:R6-cp2", "pv:cp5"} <= focus              # S tier, P pledge, a self-contradicting provision
    assert sum(f.startswith("rate:R8-") for f in focus) == 10        # the P rates whose table lost its provision
    assert "r6:I" not in focus                                      # an I tier is not required to have one
    assert len(focus) == 13
    assert any("根拠規定" in v.message_ja for v in broken_violations)


def test_requirements_with_text_prints_each_rule_beside_its_provision():
    r = cli("requirements", "--period", "R7", "--with-text")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("cp5 "))
    assert "根拠: [seed 004 §キャリアパス要件Ⅴ(配置等要件)] 「福祉専門職員配置等加算の届出を行っていること。」" in lines[i + 1]
    assert "本文未収録" in r.output and "■ 加算率の根拠" in r.output
    d = json.loads(cli("requirements", "--period", "R8", "--with-text", "--format", "json").output)
    ii = next(t for t in d["tiers"] if t["tier"] == "II-i")
    assert {p["id"] for p in ii["provisions"]} == {"R8-hyo2-2", "R8-cp4-navi"}
    assert {c["id"] for c in d["contests"]} == {"C1", "C2"}
    assert all(any(r["default"] and r["default_reason"] for r in c["readings"]) for c in d["contests"])
    assert d["rate_provisions"] and all(p["rates"] > 0 for p in d["rate_provisions"])
    plain = json.loads(cli("requirements", "--period", "R8", "--format", "json").output)
    assert "provisions" not in plain["tiers"][0]


def test_explain_cites_the_provision_of_each_failing_requirement():
    d = json.loads(cli("explain", "examples/r7-after-school-day.yaml", "II", "--format", "json").output)
    failing = {f["id"]: f for f in d["failing"]}
    assert failing["cp4"]["provisions"][0]["id"] == "cp4"
    assert "年額440万円以上" in failing["cp4"]["provisions"][0]["text"][0]
    assert failing["R7-high"]["provision"].startswith("K2SC")
    r = cli("explain", "examples/r7-after-school-day.yaml", "II")
    assert "根拠: seed 004 §キャリアパス要件Ⅳ(改善後の年額賃金要件)" in r.output
