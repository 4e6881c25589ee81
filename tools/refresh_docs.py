"""Re-run the commands shown in README.md and docs/*.md and paste their real output.

A ```text block preceded by `<!-- run: OPTIONS -->` holds commands (`$ carekb …`, also `cat > f <<'EOF'`
heredocs and `\\` continuations) and their output; this script runs each command again, in a temporary
folder that sees the repository's examples/, tests/, … (so written files land there), in a 100-column
terminal, and replaces the output. A ```python block preceded by `<!-- run: python -->` is run and the
```text block right after it gets its output.

OPTIONS (space-separated): head=N (first N lines, then …), cut=A..B (drop the lines from the first one
matching regex A up to the first later one matching B; `_` stands for a space), grep=REGEX, cols=N
(terminal width, default 100), rc=N (expected exit status of the `carekb` lines, default 0), server
(start `carekb serve --with examples/ --port 7878` first).

    python tools/refresh_docs.py [FILE.md ...]      # default: README.md and docs/*.md

Prints every command whose exit status differs from the expected one, and exits 1 if there is any.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"^<!-- run: ?(.*?) ?-->$")
LINKED = ("examples", "tests", "queries", "kb", "ontology", "reference", "bench")


class Runner:
    def __init__(self):
        self.work = Path(tempfile.mkdtemp(prefix="carekb-docs-"))
        for name in LINKED:
            (self.work / name).symlink_to(ROOT / name)
        bindir = Path(sys.executable).parent
        self.env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
        self.env.pop("CAREKB_LANG", None)
        self.failures: list[tuple[str, str]] = []
        self.server = None

    def close(self):
        if self.server:
            os.killpg(self.server.pid, 15)
            self.server.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    def ensure_server(self):
        if self.server:
            return
        self.server = subprocess.Popen(["carekb", "serve", "--with", "examples/", "--port", "7878", "--workers", "1"],
                                       cwd=self.work, env=self.env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(240):
            try:
                urllib.request.urlopen("http://127.0.0.1:7878/query", timeout=1)
                return
            except OSError:
                time.sleep(0.5)
        self.failures.append(("carekb serve", "did not answer within 2 minutes"))

    def run(self, cmd: str, opts: dict) -> list[str]:
        env = dict(self.env, COLUMNS=opts.get("cols", "100"))
        r = subprocess.run(["bash", "-c", cmd], cwd=self.work, env=env, capture_output=True, text=True, timeout=600)
        out = r.stdout + r.stderr
        want = int(opts.get("rc", "0")) if cmd.startswith("carekb") else 0
        if r.returncode != want:
            self.failures.append((cmd, f"exit {r.returncode} (expected {want}): {out[-600:]}"))
        return abridge(out.rstrip("\n").split("\n") if out.strip() else [], opts, cmd, self.failures)


def abridge(lines: list[str], opts: dict, cmd: str, failures: list) -> list[str]:
    if "grep" in opts:
        lines = [line for line in lines if re.search(opts["grep"], line)]
    if "cut" in opts:
        a, b = opts["cut"].replace("_", " ").split("..")
        i = next((k for k, line in enumerate(lines) if re.search(a, line)), None)
        j = next((k for k, line in enumerate(lines) if i is not None and k > i and re.search(b, line)), None)
        if i is None or j is None:
            failures.append((cmd, f"cut={opts['cut']}: pattern not found in the output"))
        else:
            lines = lines[:i] + [("  …" if lines[i].startswith(" ") else "…")] + lines[j:]
    if "head" in opts and len(lines) > int(opts["head"]):
        lines = lines[:int(opts["head"])] + ["…"]
    return lines


def commands(block: list[str]) -> list[str]:
    """The commands of a ```text block: `$ ` lines with their continuation and heredoc lines."""
    cmds, i = [], 0
    while i < len(block):
        line = block[i]
        i += 1
        if not line.startswith("$ "):
            continue
        cmd = line[2:]
        while cmd.endswith("\\") and i < len(block):
            cmd += "\n" + block[i]
            i += 1
        heredoc = re.search(r"<<'?(\w+)'?", cmd)
        if heredoc:
            while i < len(block):
                cmd += "\n" + block[i]
                i += 1
                if block[i - 1] == heredoc.group(1):
                    break
        cmds.append(cmd)
    return cmds


def options(text: str) -> dict:
    return dict(kv.split("=", 1) if "=" in kv else (kv, "1") for kv in text.split())


def refresh(text: str, runner: Runner) -> str:
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        m = MARK.match(line)
        if not m:
            continue
        opts = options(m.group(1))
        if "python" in opts:  # the next ```python block, then its ```text output block
            start = i
            while not lines[i].startswith("```python"):
                i += 1
            end = lines.index("```", i + 1)
            code = lines[i + 1:end]
            out += lines[start:end + 1]
            i = end + 1
            while not lines[i].startswith("```text"):
                out.append(lines[i])
                i += 1
            (runner.work / "snippet.py").write_text("\n".join(code) + "\n", encoding="utf-8")
            result = runner.run(f'"{sys.executable}" snippet.py', {})
            close = lines.index("```", i + 1)
            out += ["```text", *result, "```"]
            i = close + 1
            continue
        if not lines[i].startswith("```text"):
            raise SystemExit(f"<!-- run: --> must be followed by a ```text block (line {i + 1})")
        close = lines.index("```", i + 1)
        block = lines[i + 1:close]
        if "server" in opts:
            runner.ensure_server()
        new = ["```text"]
        for cmd in commands(block):
            new.append("$ " + cmd)
            new += runner.run(cmd, opts)
        out += new + ["```"]
        i = close + 1
    return "\n".join(out)


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    runner = Runner()
    try:
        for path in files:
            t0 = time.time()
            text = path.read_text(encoding="utf-8")
            new = refresh(text, runner)
            if new != text:
                path.write_text(new, encoding="utf-8")
            print(f"{path}: {time.time() - t0:.1f} s", file=sys.stderr)
    finally:
        runner.close()
    for cmd, why in runner.failures:
        print(f"FAILED: {cmd}\n    {why}", file=sys.stderr)
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
