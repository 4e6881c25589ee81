"""The documentation a new user reads must not lie about the files and commands it shows.

1. Every relative link in README.md and docs/*.md points to a file or folder of the repository, and a
   link to a heading (`file.md#anchor`) to a heading that exists.
2. Every `carekb …` line of a ```sh block in README.md runs and exits 0: run from a temporary folder
   that sees the repository's examples/ and tests/ (so commands that write files write there), with the
   `carekb` of this interpreter.  Lines that need a running server (`serve`, `--endpoint`) are skipped.
3. The README's Python API snippet runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\s*$")
NEEDS_SERVER = ("serve", "--endpoint", "127.0.0.1", "localhost")


def blocks(path: Path, lang: str) -> list[list[str]]:
    """The lines of each fenced block of this language, in order."""
    found, current, inside = [], [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        m = FENCE.match(line)
        if not inside and m:
            inside, current = True, ([] if m.group(1) == lang else None)
        elif inside and line.startswith("```"):
            if current is not None:
                found.append(current)
            inside = False
        elif inside and current is not None:
            current.append(line)
    return found


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    found = set()
    for line in outside_code_blocks(path.read_text(encoding="utf-8")).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def outside_code_blocks(text: str) -> str:
    """The text without its fenced blocks (a `# comment` there is no heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def outside_code(text: str) -> str:
    """The text without fenced blocks and inline code, where links are not links."""
    return re.sub(r"`[^`\n]*`", "", outside_code_blocks(text))


def broken_links(doc: Path) -> list[str]:
    """Relative links of doc whose file, or whose heading anchor in a Markdown file, does not exist."""
    broken = []
    for target in LINK.findall(outside_code(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # URLs and anchors of the same page
        path, _, anchor = target.partition("#")
        file = doc.parent / path
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files(doc):
    assert not broken_links(doc), f"{doc.name}: links to missing files or headings: {broken_links(doc)}"


def readme_commands() -> list[str]:
    lines = [line for block in blocks(ROOT / "README.md", "sh") for line in block]
    return [re.split(r"\s{2,}#", line)[0].strip() for line in lines if line.strip().startswith("carekb ")]


def test_readme_shows_commands():
    # the check below must have something to check
    assert len(readme_commands()) >= 5


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = tmp_path_factory.mktemp("readme")
    for name in ("examples", "tests"):
        (work / name).symlink_to(ROOT / name)
    return work


def run(line: str, cwd: Path) -> tuple[str, int, str]:
    args = shlex.split(line)
    env = dict(os.environ, COLUMNS="100")
    r = subprocess.run([sys.executable, "-m", "carekb", *args[1:]], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    return line, r.returncode, r.stderr[-500:]


def test_readme_commands_run(workdir):
    lines = [line for line in readme_commands() if not any(word in line for word in NEEDS_SERVER)]
    results = [run(line, workdir) for line in lines]  # in order: a line may read what an earlier one wrote
    failed = [(line, rc, err) for line, rc, err in results if rc != 0]
    assert not failed, "README commands that fail:\n" + "\n".join(f"{l}\n  exit {rc}: {e}" for l, rc, e in failed)


def test_readme_python_snippet_runs(workdir):
    snippets = blocks(ROOT / "README.md", "python")
    assert snippets, "README.md has no Python API example"
    r = subprocess.run([sys.executable, "-c", "\n".join(snippets[0])], cwd=workdir,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-1000:]


def test_link_check_catches_a_broken_link(tmp_path):
    (tmp_path / "other.md").write_text("# A title — `with code`\n")
    doc = tmp_path / "x.md"
    doc.write_text("[a](missing.md) `[b](ignored.md)` [c](https://example.org) [d](other.md#a-title--with-code)\n"
                   "[e](other.md#no-such-heading) [f](other.md)\n")
    assert broken_links(doc) == ["missing.md", "other.md#no-such-heading"]
