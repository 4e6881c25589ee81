"""A zip file (an .xlsx) assembled from parts deflated while they were written.

Python's zipfile deflates a member only while it is the one open member, but a batch workbook writes
several sheets at once, row by row; so each part is deflated on the fly into its own temporary file
(`DeflatedPart`) and `write_zip` copies the finished streams into the zip with their CRC-32 and sizes,
in ZIP64 form where a size or offset passes 4 GiB, as zipfile does.

ISA-L's deflate (the `isal` package) is used when installed: 3–4× zlib's speed on sheet XML at the
same size (level 1, measured on 68 MB of batch rows: 3.0 GB/s against 0.67 GB/s, 2.6 MB both).

Rows encoded in another process (a batch worker) come as a `Segment`: their XML deflated there, ended
by a sync flush (byte-aligned, not final), with its CRC-32 and size. `DeflatedPart.append` puts it in
the member's stream as it is: a sync flush of its own stream first, ISA-L's crc32_combine for the
CRC, and a fresh compressor after (whose back-references cannot reach into the segment's bytes, which
it never saw). Without ISA-L (no crc32_combine in Python's zlib) a segment carries the XML itself.
Measured on 200 MB of action rows: deflating takes 0.06 s, passing the XML itself between processes
through a file 0.8 s; the deflated segment is 25× smaller.
"""

from __future__ import annotations

import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    from isal import isal_zlib as _deflate
except ImportError:  # plain zlib: the same streams, slower
    _deflate = zlib

LEVEL = 1
ZIP64_LIMIT = 0xFFFFFFFF     # sizes and offsets from here on go in ZIP64 fields (tests lower it)
_MARK32, _MARK16 = 0xFFFFFFFF, 0xFFFF    # "see the ZIP64 field"


@dataclass(frozen=True)
class Segment:
    """A run of a member's bytes made elsewhere: raw deflate ending in a sync flush (`deflated`), or
    the bytes themselves; `size` and `crc` are those of the bytes."""
    data: bytes
    size: int
    crc: int
    deflated: bool


def segment(pieces: list[bytes]) -> Segment:
    """The pieces' bytes as one Segment (deflated where CRC-32s can be combined: with ISA-L)."""
    if not hasattr(_deflate, "crc32_combine"):
        data = b"".join(pieces)
        return Segment(data, len(data), 0, False)
    z = _deflate.compressobj(LEVEL, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for p in pieces:
        crc = _deflate.crc32(p, crc)
        size += len(p)
        out.append(z.compress(p))
    out.append(z.flush(_deflate.Z_SYNC_FLUSH))
    return Segment(b"".join(out), size, crc, True)


def inflated(seg: Segment, step: int = 1 << 16) -> Iterator[bytes]:
    """A segment's bytes in pieces (a few MB each at most), for a reader that must look at them."""
    if not seg.deflated:
        yield seg.data
        return
    d = _deflate.decompressobj(-15)
    for lo in range(0, len(seg.data), step):
        yield d.decompress(seg.data[lo:lo + step])
    yield d.flush()


class DeflatedPart:
    """One member's raw deflate stream, written to `path` as data comes, with its CRC-32 and sizes."""

    def __init__(self, path: Path):
        self.path = path
        self._f = path.open("wb")
        self._z = _deflate.compressobj(LEVEL, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0            # uncompressed
        self.compressed = 0

    def write(self, data: bytes) -> None:
        self.crc = _deflate.crc32(data, self.crc)
        self.size += len(data)
        out = self._z.compress(data)
        self.compressed += len(out)
        self._f.write(out)

    def append(self, seg: Segment) -> None:
        """A segment's bytes after those written so far (deflated ones copied as they are)."""
        if not seg.deflated:
            self.write(seg.data)
            return
        out = self._z.flush(_deflate.Z_SYNC_FLUSH) + seg.data   # byte-aligned, the stream still open
        self._f.write(out)
        self.compressed += len(out)
        self.crc = _deflate.crc32_combine(self.crc, seg.crc, seg.size)
        self.size += seg.size
        self._z = _deflate.compressobj(LEVEL, zlib.DEFLATED, -15)   # its window never held the segment

    def finish(self) -> None:
        if not self._f.closed:
            out = self._z.flush()
            self.compressed += len(out)
            self._f.write(out)
            self._f.close()

    def discard(self) -> None:
        if not self._f.closed:
            self._f.close()
        self.path.unlink(missing_ok=True)


def deflated(path: Path, data: bytes) -> DeflatedPart:
    """A small part given whole."""
    part = DeflatedPart(path)
    part.write(data)
    part.finish()
    return part


def write_zip(path: Path, members: list[tuple[str, DeflatedPart]]) -> None:
    """The zip of `members` (name, finished part) in that order; each part's file is removed once copied."""
    t = time.localtime()
    dos_time = t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec // 2
    dos_date = (t.tm_year - 1980) << 9 | t.tm_mon << 5 | t.tm_mday
    central = []
    with path.open("wb") as out:
        for name, part in members:
            offset = out.tell()
            raw = name.encode("ascii")
            big = part.size >= ZIP64_LIMIT or part.compressed >= ZIP64_LIMIT
            extra = struct.pack("<HHQQ", 1, 16, part.size, part.compressed) if big else b""
            version = 45 if big else 20
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, 8, dos_time, dos_date, part.crc,
                                  _MARK32 if big else part.compressed, _MARK32 if big else part.size,
                                  len(raw), len(extra)) + raw + extra)
            with part.path.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            part.path.unlink()
            central.append((raw, part, offset, dos_time, dos_date))
        start = out.tell()
        for raw, part, offset, dos_time, dos_date in central:
            fields = [v for v in (part.size, part.compressed, offset) if v >= ZIP64_LIMIT]
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            version = 45 if fields else 20
            out.write(struct.pack("<IBBBBHHHHIIIHHHHHII", 0x02014B50, version, 3, version, 0, 0, 8, dos_time, dos_date,
                                  part.crc, _field(part.compressed), _field(part.size), len(raw), len(extra), 0, 0, 0,
                                  0o100644 << 16, _field(offset)) + raw + extra)
        end = out.tell()
        n, size = len(central), end - start
        many = n >= _MARK16
        if many or start >= ZIP64_LIMIT or size >= ZIP64_LIMIT:
            out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, size, start))
            out.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, _MARK16 if many else n, _MARK16 if many else n,
                              _field(size), _field(start), 0))


def _field(v: int) -> int:
    """A 32-bit size or offset, or the mark that sends the reader to the ZIP64 field."""
    return _MARK32 if v >= ZIP64_LIMIT else v
