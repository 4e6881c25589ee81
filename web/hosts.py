"""Addresses of `carekb serve`: loopback or not, the base URL, a free port, and waiting until a
started server answers (used by the command, the tests and bench/)."""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.error
import urllib.request

from carekb.model.errors import CarekbError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def base_url(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a server started right after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc=None, seconds: float = 60.0, headers: dict | None = None) -> None:
    """Poll `url` (a server's /query) with ASK {} until it answers 200, the process exits, or time runs out."""
    deadline = time.monotonic() + seconds
    last = None
    probe = url + ("&" if "?" in url else "?") + "query=ASK%20%7B%7D"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise CarekbError(f"the server exited with status {proc.returncode}", url)
        try:
            with urllib.request.urlopen(urllib.request.Request(probe, headers=headers or {}), timeout=2) as resp:  # noqa: S310 - loopback
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(0.1)
    raise CarekbError(f"the server did not answer within {seconds:.0f} s ({last})", url)
