"""Publishing a set of output files together: written into a hidden folder beside the target, then
moved into place under a lock, with a manifest so that a run killed half-way through the moves is
finished by the next one (never a new r.csv beside an old r-actions.csv for good).

- The folder is `.carekb-<pid>-<random>.partial` in the target's folder: same file system, so each
  move is one rename. Files are created with open(), so they honour the umask (mkstemp's 0600 does not).
- The lock is an flock on the target folder, held only while cleaning up and while moving: two runs
  to the same target publish one whole set after the other, never interleaved.
- Under the lock, a `.partial` folder with a manifest is a publish that was killed: it is finished;
  one without a manifest whose process is gone is a killed run: it is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError

MANIFEST = "PUBLISH"
SUFFIX = ".partial"
PREFIX = ".carekb-"
OLD = ".replaced-"   # an output's previous file, moved into the partial folder while publishing


class OutputSet:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise CarekbError(t("files.no_output_folder"), str(folder))
        with locked(self.folder):
            recover(self.folder)
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", suffix=SUFFIX, dir=self.folder))
        except OSError as e:
            raise CarekbError(t("files.cannot_write_here", reason=e.strerror), str(folder)) from None
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write the output file `name` (a plain file name in the target folder) until published."""
        target = self.folder / name
        if target.is_dir():
            raise CarekbError(t("files.is_a_folder"), str(target))
        if target.exists() and not target.is_file():  # /dev/full, a pipe: the rename would replace the node
            raise CarekbError(t("files.not_regular_file"), str(target))
        self.names.append(name)
        return self.tmp / name

    def publish(self) -> None:
        with locked(self.folder):
            recover(self.folder, exclude=self.tmp)
            manifest = self.tmp / MANIFEST
            with manifest.open("w", encoding="utf-8") as f:
                f.write("\n".join(self.names) + "\n")
                f.flush()
                os.fsync(f.fileno())
            _finish(self.tmp, self.folder)

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, kind, *exc) -> bool:
        if kind is not None:
            self.discard()
        return False


def _finish(tmp: Path, folder: Path) -> None:
    """Move every file the manifest names into the folder, then remove the partial folder (with the
    files they replace)."""
    for name in (tmp / MANIFEST).read_text(encoding="utf-8").split("\n"):
        if name and (tmp / name).exists():
            target = folder / name
            try:
                # An old file is moved aside first, not renamed over: ext4 answers a rename over an
                # existing file by writing the new one out at once (auto_da_alloc), ~0.5 s per GB spent
                # here; this way the kernel writes it in the background. A run killed in between is
                # finished by the next (the manifest), which moves the new file in.
                with contextlib.suppress(FileNotFoundError):
                    os.rename(target, tmp / f"{OLD}{name}")
                os.replace(tmp / name, target)
            except OSError as e:
                raise CarekbError(t("files.cannot_write_here", reason=e.strerror), str(target)) from None
    shutil.rmtree(tmp, ignore_errors=True)


def recover(folder: Path, exclude: Path | None = None) -> None:
    """Finish killed publishes and remove the files of killed runs (call with the lock held)."""
    for p in folder.glob(f"{PREFIX}*{SUFFIX}"):
        if p == exclude or not p.is_dir():
            continue
        if (p / MANIFEST).exists():
            _finish(p, folder)
        elif not _alive(p.name[len(PREFIX):].partition("-")[0]):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True   # another user's process
    return True


@contextlib.contextmanager
def locked(folder: Path):
    """An exclusive flock on the folder (where flock exists; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)   # closing releases the lock
