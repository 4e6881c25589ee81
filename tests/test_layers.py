"""The layers never point up (pyproject.toml [tool.importlinter], docs/architecture.md), and no module
hides an import of the project's own code inside a function.

import-linter reads a package from one folder, while this checkout keeps solver/, cli/ and web/
beside carekb/ (they install as carekb.solver, carekb.cli, carekb.web): the test lays the code out
as installed in a temporary folder and runs `lint-imports` on that copy with the repository's contract.
"""

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Folders that install as subpackages of carekb under their own names (pyproject.toml package-dir).
PACKAGE_DIRS = {"solver": "solver", "cli": "cli", "web": "web"}
CODE = [ROOT / "carekb", *(ROOT / d for d in PACKAGE_DIRS)]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def stage(dest: Path) -> Path:
    """The package as installed: carekb/ with solver/, cli/ and web/ inside it (Python files only)."""
    pkg = dest / "carekb"
    ignore = shutil.ignore_patterns("__pycache__", "*.ttl", "*.rq", "*.yaml")
    shutil.copytree(ROOT / "carekb", pkg, ignore=ignore)
    for name, folder in PACKAGE_DIRS.items():
        shutil.copytree(ROOT / folder, pkg / name, ignore=ignore)
    return pkg


def lint(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    stage(root)
    return root


def test_layer_contract_is_kept(staged):
    r = lint(staged)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


def test_layer_contract_fails_on_an_upward_import(tmp_path):
    pkg = stage(tmp_path)
    (pkg / "model" / "upward.py").write_text("from carekb.cli.common import table\n")
    r = lint(tmp_path)
    assert r.returncode != 0
    assert "carekb.model is not allowed to import carekb.cli" in r.stdout
    assert "carekb.model.upward -> carekb.cli.common" in r.stdout


def test_every_subpackage_is_in_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    layered = {m.strip() for layer in contract["layers"] for m in layer.replace("|", ":").split(":")}
    packages = {f"carekb.{p.parent.name}" for p in (ROOT / "carekb").glob("*/__init__.py")}
    packages |= {f"carekb.{name}" for name in PACKAGE_DIRS}
    assert packages - layered == set(), "add the new subpackage to a layer in pyproject.toml"


def local_imports(path: Path) -> list[str]:
    """`line: import` for every import of carekb code (absolute or relative) inside a function or class body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, nested: bool):
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            if nested and isinstance(child, ast.ImportFrom):
                if child.level or (child.module or "").split(".")[0] == "carekb":
                    found.append(f"{child.lineno}: from {'.' * child.level}{child.module or ''} import ...")
            elif nested and isinstance(child, ast.Import):
                found.extend(f"{child.lineno}: import {a.name}" for a in child.names if a.name.split(".")[0] == "carekb")
            visit(child, inner)

    visit(tree, False)
    return found


def test_no_function_local_imports_of_carekb_code():
    bad = {}
    for folder in CODE:
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            hits = local_imports(path)
            if hits:
                bad[rel] = hits
    assert not bad, "import carekb modules at the top of the module (a cycle means a layer is wrong):\n" + "\n".join(
        f"{f}: {h}" for f, hits in bad.items() for h in hits)


def test_the_local_import_finder_finds_one(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import json\n\ndef f():\n    import rdflib\n    from carekb.model import errors\n    from . import x\n")
    assert local_imports(f) == ["5: from carekb.model import ...", "6: from . import ..."]
