"""`carekb batch --reports DIR`: one HTML report per office, written into DIR through OutputSet
publishing, so that the reports appear together when the run ends and a killed run leaves none.

- DIR exists: each report is published into it (by rename, beside any older files).
- DIR does not exist: it is built whole inside the partial folder of its parent's OutputSet (the
  batch's own set when DIR sits beside the results) and renamed into place at publish: a killed run
  leaves no DIR at all, nor a half-filled one.
File names come from the office id, else the row number; never a path separator, a control
character or a leading dot, at most 200 bytes, and unique within the run."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.render.publish import OutputSet

UNSAFE = set('/\\:*?"<>|')
MAX_STEM_BYTES = 200


def report_name(office_id: str, row: int) -> str:
    """`<office id>.html`, sanitised; `row-<N>.html` when there is no usable id."""
    stem = "".join("_" if c in UNSAFE or unicodedata.category(c)[0] in "CZ" and c != " " else c
                   for c in str(office_id or "")).strip().lstrip(".").strip()
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return f"{stem}.html" if stem else f"row-{row}.html"


class ReportFolder:
    def __init__(self, folder: str | Path, batch_outputs: OutputSet):
        self.folder = Path(folder)
        self.own: OutputSet | None = None
        self.base: Path | None = None      # the folder being built whole (DIR did not exist)
        self.taken: set[str] = set()
        if self.folder.exists() and not self.folder.is_dir():
            raise CarekbError(t("files.not_a_folder"), str(folder))
        if self.folder.is_dir():
            self.outputs = self._set(self.folder, batch_outputs)
        else:
            if not self.folder.parent.is_dir():
                raise CarekbError(t("files.no_reports_parent"), str(folder))
            self.outputs = self._set(self.folder.parent, batch_outputs)
            self.base = self.outputs.path(self.folder.name)
            self.base.mkdir()

    def _set(self, folder: Path, batch_outputs: OutputSet) -> OutputSet:
        if folder.resolve() == batch_outputs.folder.resolve():
            return batch_outputs
        self.own = OutputSet(folder)
        return self.own

    def add(self, office_id: str, row: int, html: str) -> str:
        """Write one office's report; returns its file name."""
        name = report_name(office_id, row)
        stem, n = name[:-5], 1
        while name in self.taken:  # the same id on two rows: the later ones are told apart by their row
            name = f"{stem}-row-{row}.html" if n == 1 else f"{stem}-row-{row}-{n}.html"
            n += 1
        self.taken.add(name)
        path = self.base / name if self.base is not None else self.outputs.path(name)
        path.write_bytes(html.encode("utf-8"))
        return name

    def publish(self) -> None:
        """Publish the reports' own set (when DIR is not beside the results; the batch publishes its own)."""
        if self.own is not None:
            self.own.publish()

    def discard(self) -> None:
        if self.own is not None:
            self.own.discard()
