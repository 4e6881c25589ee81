"""The workers' CSV encoding (CsvOut._render: SummaryRows.encode and ActionRows.whole_rows, which
join each target's rows on prepared formats and action cells) gives the bytes `add` writes (cells
through ActionRows.encode and CsvWriter.write_rows): also for values those formats do not take
(a float yen, a count that is not an int), a '%' in a prepared word, and when an action's cells
cannot be encoded in the middle of an office, whose rows are then all left to `add`."""

import dataclasses
import sys

import pytest

from carekb.app import batch as b
from carekb.app import fidelity
from carekb.app.batch_sheets import WORDS, Actions
from carekb.render.batch_out import writer_for
from carekb.render.publish import OutputSet

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from batch_bench import write_offices  # noqa: E402


@pytest.fixture(scope="module")
def run(kb, tmp_path_factory):
    """(the rules the batch uses, 60 generated offices' results)."""
    d = tmp_path_factory.mktemp("offices")
    write_offices(d / "gen.csv", 60, 5)
    _, rules = fidelity.rules(kb, None, None)
    items = b.stream(rules, b.open_offices(d / "gen.csv"), workers=1)
    return rules, [i for i in items if isinstance(i, b.OfficeResult)]


def _bodies(kb, items, folder, encoding="utf-8", render=False):
    """(summary rows, action rows) as bytes (no BOM, no header), and what _render left for `add`."""
    folder.mkdir()
    with OutputSet(folder) as outputs:
        w = writer_for(folder / "r.csv", outputs, kb, b.MODES, "ja", encoding, fidelity.batch_notes(kb))
        if render:
            summary, actions, rows, action_rows, rest = w._render(items)
            w.discard()
            assert rows == len(items) - len(rest) and action_rows == b"".join(actions).count(b"\r\n")
            return b"".join(summary), b"".join(actions), rest
        for item in items:
            w.add(item)
        w.close()
        outputs.publish()
    body = [(folder / name).read_bytes().split(b"\r\n", 1)[1] for name in ("r.csv", "r-actions.csv")]
    return body[0], body[1], []


def _with_targets(item, change):
    """The item with `change(target) -> target` applied to every target of every mode."""
    modes = tuple(m[:5] + (tuple(change(t) for t in m[5]),) for m in item.modes)
    return dataclasses.replace(item, modes=modes)


@pytest.mark.parametrize("change", [
    lambda t: t[:4] + (float(t[4] or 0) + 0.5,) + t[5:] if t[2] else t,        # a float yen gain
    lambda t: t[:3] + (None,) + t[4:] if t[2] else t,                             # a count that is not an int
    lambda t: t[:3] + (True,) + (7,) + t[5:] if t[2] else t,                       # a bool count, an int gain
    lambda t: t,
], ids=["float-gain", "none-count", "bool-count", "as-is"])
def test_render_equals_row_by_row(run, tmp_path, change):
    kb, items = run
    items = [_with_targets(i, change) for i in items]
    assert _bodies(kb, items, tmp_path / "render", render=True)[:2] == _bodies(kb, items, tmp_path / "rows")[:2]


def test_a_percent_sign_in_a_prepared_word(run, tmp_path, monkeypatch):
    kb, items = run
    monkeypatch.setitem(WORDS["ja"], "counted", "誓約%d込み%%s")
    monkeypatch.setitem(WORDS["ja"], "yes", "は%い")
    assert _bodies(kb, items, tmp_path / "render", render=True)[:2] == _bodies(kb, items, tmp_path / "rows")[:2]


def test_an_action_cp932_lacks_stops_the_block_before_its_office(run, tmp_path, monkeypatch):
    """The first office with a target, after another of its targets, missing an action no row before
    has: the earlier targets' rows are made before the action fails, and must not stay in the block."""
    kb, items = run
    seen: set = set()
    bad = None
    for k, item in enumerate(items):
        targets = [t for m in item.modes for t in m[5]]
        for j, t in enumerate(targets[1:], 1):
            new = set(t[6]) - seen - {a for u in targets[:j] for a in u[6]} if t[2] else set()
            if new:
                bad = sorted(new)[0]
                break
        if bad:
            break
        seen |= {a for t in targets for a in t[6]}
    assert bad, "no office with a new action after another target"
    label_cells = Actions.label_cells
    monkeypatch.setattr(Actions, "label_cells", lambda self, service, period, action: (
        [action, "絵文字😀", "", "", ""] if action == bad else label_cells(self, service, period, action)))
    summary, actions, rest = _bodies(kb, items, tmp_path / "render", "cp932", render=True)
    assert rest == items[k:]
    assert (summary, actions) == _bodies(kb, items[:k], tmp_path / "rows", "cp932")[:2]
