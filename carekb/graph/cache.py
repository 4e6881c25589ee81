"""The on-disk cache of compiled models (the KB, the guidance model): pickles keyed by the content hash
of their data and of the code that builds them, in a folder private to the user; a file that is not
the user's own, or that others may write, is never unpickled (a pickle runs code when read)."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The code that builds and defines the cached models: a change to it must not be served a stale pickle.
BUILDER_FILES = ("model/types.py", "graph/kbload.py", "graph/build.py", "app/guidance.py", "graph/provisions.py",
                 "graph/readings.py")
CODE_HASH = hashlib.sha256(b"".join((PACKAGE_DIR / f).read_bytes() for f in BUILDER_FILES)).hexdigest()[:8]


def cache_dir() -> Path:
    root = os.environ.get("CAREKB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "carekb")
    return Path(root)


_memory: dict[str, object] = {}
MEMORY_ITEMS = 16   # compiled models kept in memory, oldest dropped first (the callers hold the ones they use)


def _trusted(path: Path) -> bool:
    """Whether a cache file may be unpickled: a pickle runs code when read, so the file and its folder
    must belong to this user and be writable by no one else."""
    if not hasattr(os, "getuid"):  # no POSIX owners (Windows): the per-user profile folder protects it
        return path.is_file()
    try:
        for p in (path, path.parent):
            st = p.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
    except OSError:
        return False
    return path.is_file()


def cached_build(name: str, version: str, build_fn, use_cache: bool = True):
    """A compiled model from memory, else from the on-disk cache, else `build_fn()` (then cached).

    The key holds the content hash of the KB and of the code that builds it, so neither a changed
    KB nor changed model classes are ever served from a stale file.
    """
    key = f"{name}-{CODE_HASH}-{version}"
    if key in _memory:
        return _memory[key]
    path = cache_dir() / f"{key}.pickle"
    if use_cache and _trusted(path):
        try:
            _memory[key] = pickle.loads(path.read_bytes())
            return _memory[key]
        except Exception:  # a stale or truncated cache is rebuilt, never trusted
            pass
    model = build_fn()
    if use_cache:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private: a pickle runs code when read
            tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        except OSError:  # an unwritable cache only costs speed; leave no half-written file behind
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
    _memory[key] = model
    for old in list(_memory)[:-MEMORY_ITEMS]:   # per-request overlays (web API) would otherwise pile up for ever
        _memory.pop(old, None)
    return model
