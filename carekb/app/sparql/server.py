"""The oxigraph server (`carekb serve`): a read-only oxigraph process over a database folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from carekb.model.errors import CarekbError
from carekb.app.sparql.dataset import serialize
from carekb.app.sparql.remote import DEFAULT_TIMEOUT_S, query_endpoint


def oxigraph_binary() -> str:
    """The `oxigraph` command of the PyPI package `oxigraph` (beside this Python, else on PATH)."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise CarekbError("the oxigraph server is not installed (pip install oxigraph)")
    return found


def load_server_db(store, location: Path) -> None:
    """Write the graph into an oxigraph database folder with `oxigraph load` (N-Quads)."""
    import subprocess

    data = location.parent / "carekb-data.nq"
    data.write_bytes(serialize(store, "nq"))
    proc = subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(data)],
                          capture_output=True, text=True, timeout=300)
    data.unlink()
    if proc.returncode != 0:
        raise CarekbError(f"oxigraph load failed: {proc.stderr.strip()[-500:]}")


def start_server(location: Path, host: str, port: int, timeout_s: int = DEFAULT_TIMEOUT_S, **popen):
    """`oxigraph serve-read-only` on host:port with a query time-out; the caller must stop it."""
    import subprocess

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    cmd = [oxigraph_binary(), "serve-read-only", "--location", str(location), "--bind", bind,
           "--timeout-s", str(timeout_s)]
    return subprocess.Popen(cmd, **popen)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a server started right after)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc, seconds: float = 30.0) -> None:
    """Poll the endpoint with ASK {} until it answers, the process exits, or time runs out."""
    import time

    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CarekbError(f"the oxigraph server exited with status {proc.returncode}", url)
        try:
            query_endpoint(url, "ASK {}", "<readiness check>", timeout=2)
            return
        except CarekbError as e:
            last = e
            time.sleep(0.1)
    raise CarekbError(f"the oxigraph server did not answer within {seconds:.0f} s ({last})", url)


def stop_server(proc, grace: float = 5.0) -> None:
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)
