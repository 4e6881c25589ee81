"""Write the JSON answer of every evaluating command on every example profile into a folder, so two
versions of carekb can be compared (`diff -r`): a refactor must not change a byte but the KB version.

    python bench/snapshot_json.py OUT_DIR
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml")
                  if not p.name.startswith(("visit-", "guidance-", "roster-")))


def commands():
    for p in EXAMPLES:
        rel = str(p.relative_to(ROOT))
        yield f"gap-{p.stem}", ["gap", rel]
        yield f"gap-nopledge-{p.stem}", ["gap", rel, "--no-pledge"]
        yield f"tiers-{p.stem}", ["tiers", rel]
        yield f"plan-{p.stem}", ["plan", rel]
        yield f"explain-{p.stem}", ["explain", rel, "IV"]
        yield f"whatif-{p.stem}", ["whatif", rel, "--add", "visibility"]
    for period in ("R6", "R7", "R8"):
        yield f"requirements-{period}", ["requirements", "--period", period]
        yield f"services-{period}", ["services", "--period", period]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, args in commands():
        r = subprocess.run([sys.executable, "-m", "carekb.cli", *args, "--format", "json"], cwd=ROOT,
                           capture_output=True, text=True)
        text = r.stdout if r.returncode == 0 else f"exit {r.returncode}\n{r.stdout}{r.stderr}"
        text = re.sub(r'"kb_version": "[^"]*"', '"kb_version": "…"', text)
        (out / f"{name}.json").write_text(text)
    print(f"{len(list(out.iterdir()))} answers in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
