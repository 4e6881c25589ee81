"""The output files of `carekb batch`, written while the results stream in (nothing whole in memory).

- .xlsx: one summary sheet per rule period (only that period's tiers), the missing actions (continued
  on 不足取組(2)… past Excel's 1,048,576 rows, which the summary's notes say), the errors.
- .csv: the summary at the path (every period's tiers), STEM-actions.csv and STEM-errors.csv.
- .json: a list of `carekb gap --format json` results.
- .parquet: one row per office × tier × pledge mode, typed columns (needs pyarrow: `carekb[parquet]`).

Every file is written into an OutputSet (carekb.render.publish) and appears only when all are done.
Summary and action rows go through carekb.render.encoded_rows (joins of parts encoded once); a row
that cannot take that way (a character CP932 lacks, the first rows of a sheet, which set its column
widths, or rows that would pass a sheet's end) goes cell by cell through Summary.row / Actions.rows.
Both CSV and XLSX rows are encoded in the workers that evaluated them (`render`): for XLSX as deflated
segments of sheet XML (SheetBlock) that this process copies into the sheets (carekb.render.xlsx_writer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from carekb.i18n import t
from carekb.model.errors import CarekbError
from carekb.model.types import KB
from carekb.solver.gap import rank_tiers
from carekb.app.batch import RowError
from carekb.app.batch_sheets import ERRORS_KINDS, Actions, Summary, WORDS, error_row, errors_headers, tier_order
from carekb.render.csv_writer import FLUSH_ROWS, CsvWriter
from carekb.render.encoded_rows import ActionRows, SummaryRows
from carekb.render.ordered_writes import OrderedFiles
from carekb.render.publish import OutputSet
from carekb.render.xlsx_writer import EXCEL_MAX_ROWS, Layout, SheetSeries, XlsxWriter
from carekb.render.zip_parts import segment

SUFFIXES = (".xlsx", ".csv", ".json", ".parquet")
SEGMENT_ROWS = 1 << 16   # action rows deflated by a worker as one segment (~30 MB of XML, ~1.2 MB deflated)


def writer_for(out: Path, outputs: OutputSet, kb: KB, modes: tuple[str, ...], lang: str = "ja", encoding: str = "utf-8",
               notes: list[str] = (), sheet_rows: int = EXCEL_MAX_ROWS):
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return XlsxOut(out, outputs, kb, modes, lang, notes, sheet_rows)
    if suffix == ".csv":
        return CsvOut(out, outputs, kb, modes, lang, encoding, notes)
    if suffix == ".json":
        return JsonOut(out, outputs)
    if suffix == ".parquet":
        return ParquetOut(out, outputs, kb, modes)
    raise CarekbError(t("batch.unsupported_output", suffix=out.suffix or "(none)"), str(out))


def _t(lang, ja, en):
    return ja if lang == "ja" else en


def _scheme_short(kb: KB, lang: str) -> str:
    """A scheme's name short enough for a sheet name (31 characters): 介護保険サービス, or its id in English."""
    m = re.search(r"（(.+?)）", kb.scheme_ja)
    return m.group(1) if lang == "ja" and m else kb.scheme


class CsvOut:
    def __init__(self, out: Path, outputs: OutputSet, kb: KB, modes, lang: str, encoding: str, notes):
        enc = "utf-8-sig" if encoding == "utf-8" else "cp932"
        stem = out.stem
        self.modes, self.notes = modes, list(notes)
        self.summary = Summary(kb, tier_order(kb), modes, lang)
        self.actions = Actions(kb, lang)
        self.files = [CsvWriter(outputs.path(out.name), self.summary.headers, enc, target=str(out)),
                      CsvWriter(outputs.path(f"{stem}-actions.csv"), self.actions.headers, enc,
                                target=str(out.with_name(f"{stem}-actions.csv"))),
                      CsvWriter(outputs.path(f"{stem}-errors.csv"), errors_headers(lang), enc,
                                target=str(out.with_name(f"{stem}-errors.csv")))]
        self.summary_rows = SummaryRows(self.summary, self.files[0], self.notes)
        self.action_rows = ActionRows(self.actions, self.files[1], modes)
        self.rows = {"summary": 0, "actions": 0, "errors": 0}
        self.ordered: OrderedFiles | None = None    # made on the first render

    def add(self, item) -> None:
        s, a, e = self.files
        if isinstance(item, RowError):
            e.append(error_row(item))
            return
        try:
            who = s.cells((item.row, item.office_id or None, item.office_name or None))   # the same in both files
            row, (head, mids, ends) = self.summary_rows.encode(item, who), self.action_rows.encode(item, who)
        except UnicodeEncodeError:   # a character the encoding lacks: cell by cell, which names its line
            self._add_cells(item)
            return
        s.write_row(row)
        a.write_rows(head, mids, ends)

    def render(self, items: list, ordinal: int) -> list:
        """A worker's chunk as the parent should take it: the good rows up to the first that cannot be
        encoded here as one Block (CSV bytes placed in the two files, in file order, by OrderedFiles),
        then RowErrors and the rest (`add` writes those, and names the line of a character the
        encoding lacks), in order. Runs in the forked workers, on this writer as it was when they were
        forked: no row crosses between processes as data, and each is copied once."""
        summary, actions, rows, action_rows, rest = self._render(items)
        # a chunk that stops at a row it cannot encode holds the later chunks back: the run ends at that row
        at, size = self._ordered().place(ordinal, [summary, actions],
                                         hold=any(not isinstance(i, RowError) for i in rest))
        return [Block(rows, action_rows, at[0] + size[0], at[1] + size[1]), *rest]

    def _render(self, items: list) -> tuple[list, list, int, int, list]:
        s, rest, rows, action_rows = self.files[0], [], 0, 0
        summary, actions = [], []     # actions: a few rows per piece, never joined (pwritev gathers them)
        for k, item in enumerate(items):
            if isinstance(item, RowError):
                rest.append(item)
                continue
            mark = len(actions)
            try:
                who = s.cells((item.row, item.office_id or None, item.office_name or None))
                row = self.summary_rows.encode(item, who)
                action_rows += self.action_rows.whole_rows(item, who, actions)
            except UnicodeEncodeError:
                del actions[mark:]     # the office's rows made before the character
                rest += items[k:]
                break
            summary += (row, b"\r\n")
            rows += 1
        # unjoined too: one 18 MB join a chunk is a fresh mmap (4,500 page faults) and a copy more
        return summary, actions, rows, action_rows, rest

    def _ordered(self) -> OrderedFiles:
        """The two files' shared cursor, made before the workers are forked (the first chunk is
        rendered in this process first)."""
        if self.ordered is None:
            (fs, at_s), (fa, at_a) = self.files[0].ordered_start(), self.files[1].ordered_start()
            self.ordered = OrderedFiles([fs, fa], [at_s, at_a], [self.files[0].target, self.files[1].target])
        return self.ordered

    def add_block(self, block: "Block") -> None:
        self.files[0].placed(block.summary_end, block.rows)
        self.files[1].placed(block.actions_end, block.action_rows)

    def _add_cells(self, item) -> None:
        s, a, _ = self.files
        row = self.summary.row(item)
        if self.notes:
            row[-1] = "; ".join(x for x in [row[-1], *self.notes] if x)
        s.append(row)
        for r in self.actions.rows(item, self.modes):
            a.append(r)

    def close(self) -> None:
        for f in self.files:
            f.close()
        self.rows = {"summary": self.files[0].rows, "actions": self.files[1].rows, "errors": self.files[2].rows}

    def discard(self) -> None:
        if self.ordered is not None:
            self.ordered.abort()
        for f in self.files:
            try:
                f.close()
            except CarekbError:
                pass


@dataclass(frozen=True)
class Block:
    """Consecutive good rows encoded and placed by a worker (CsvOut.render): how many, and where the
    summary and actions files end after them."""
    rows: int
    action_rows: int
    summary_end: int
    actions_end: int


class XlsxOut:
    def __init__(self, out: Path, outputs: OutputSet, kb: KB, modes, lang: str, notes, sheet_rows: int):
        self.kb, self.modes, self.lang, self.notes = kb, modes, lang, list(notes)
        self.book = XlsxWriter(outputs.path(out.name), str(out))
        self.summaries: dict[str, tuple[Summary, object, SummaryRows]] = {}
        self.actions = Actions(kb, lang)
        self.action_sheets = SheetSeries(self.book, _t(lang, "不足取組", "actions"), self.actions.headers,
                                         Layout(self.actions.kinds, freeze_columns=3), position=100, max_rows=sheet_rows)
        self.action_rows = ActionRows(self.actions, self.action_sheets, modes)
        self.errors = self.book.sheet(_t(lang, "エラー", "errors"), errors_headers(lang), Layout(ERRORS_KINDS), position=200)
        self.rows = {"summary": 0, "actions": 0, "errors": 0}

    def _summary(self, service: str, period: str):
        """The summary sheet of the office's rule period (of its scheme: 障害 and 介護 both have an R7)."""
        okb = self.kb.for_service(service)
        key = (okb.scheme, period)    # as _key
        hit = self.summaries.get(key)
        if hit is None:
            summary = Summary(self.kb, tier_order(okb, {period}), self.modes, self.lang)
            order = sorted(okb.periods.values(), key=lambda p: p.valid_from, reverse=True)
            pos = next((i for i, p in enumerate(order) if p.id == period), len(order))
            pos += 10 * list(self.kb.schemes).index(okb.scheme) if okb.scheme in self.kb.schemes else 0
            scheme = "" if okb is self.kb else _scheme_short(okb, self.lang) + " "
            name = _t(self.lang, f"集計 {scheme}{period}", f"summary {scheme}{period}")
            sheet = self.book.sheet(name, summary.headers, Layout(summary.kinds, freeze_columns=3), position=pos)
            hit = self.summaries[key] = (summary, sheet, SummaryRows(summary, sheet, self.notes))
        return hit

    def _key(self, service: str, period: str) -> tuple:
        return self.kb.for_service(service).scheme, period

    def add(self, item) -> None:
        if isinstance(item, RowError):
            self.errors.append(error_row(item))
            return
        self._add_actions(item, self._add_summary(item))

    def _add_summary(self, item) -> bytes:
        """The office's summary row; returns its first three cells, encoded (the action rows begin with them)."""
        summary, sheet, fast = self._summary(item.service, item.period)
        who = sheet.cells((item.row, item.office_id or None, item.office_name or None))   # the same on both sheets
        if sheet.sampling:
            row = summary.row(item)
            if self.notes:
                row[-1] = "; ".join(x for x in [row[-1], *self.notes] if x)
            sheet.append(row)
        else:
            sheet.write_row(fast.encode(item, who))
        return who

    def _add_actions(self, item, who: bytes) -> None:
        head, mids, ends = self.action_rows.encode(item, who)
        if self.action_sheets.fits(len(mids)):
            self.action_sheets.write_rows(head, mids, ends)
        else:
            for r in self.actions.rows(item, self.modes):
                self.action_sheets.append(r)

    def render(self, items: list, ordinal: int = 0) -> list:
        """A worker's chunk as the parent should take it: one SheetBlock (its good rows' summary and
        action rows, encoded and deflated here), then its RowErrors. Runs in the forked workers, on
        this writer as it was when they were forked, its shared-string table frozen (a cell whose
        string the table lacks holds it inline). An office whose summary sheet then did not exist or
        was still taking its width sample goes back in the block (the parent writes its summary row);
        while the actions sheet takes its sample, the whole chunk goes back as it is."""
        if self.action_sheets.sampling or not any(not isinstance(i, RowError) for i in items):
            return items
        self.book.frozen = True
        try:
            return self._render(items)
        finally:
            self.book.frozen = False

    def _render(self, items: list) -> list:
        cells, whole_rows = self.action_sheets.cells, self.action_rows.whole_rows
        errors, later, summaries, actions, pending, pieces, action_rows = [], [], {}, [], [], [], 0
        for item in items:
            if isinstance(item, RowError):
                errors.append(item)
                continue
            who = cells((item.row, item.office_id or None, item.office_name or None))   # the same on both sheets
            key = self._key(item.service, item.period)
            hit = self.summaries.get(key)
            if hit is None or hit[1].sampling:
                later.append(item)
            else:
                rows = summaries.get(key) or summaries.setdefault(key, [])
                rows += (b"<row>", hit[2].encode(item, who), b"</row>")
            action_rows += whole_rows(item, b"<row>" + who, pending)   # rows <row>…</row> (the codec's row_end)
            if len(pending) > FLUSH_ROWS:   # joined in cache-sized pieces (512 target tiers' rows)
                pieces.append(b"".join(pending))
                pending = []
                if action_rows >= SEGMENT_ROWS:
                    actions.append((segment(pieces), action_rows))
                    pieces, action_rows = [], 0
        pieces.append(b"".join(pending))
        actions.append((segment(pieces), action_rows))
        block = SheetBlock(tuple((key, segment([b"".join(rows)]), len(rows) // 3) for key, rows in summaries.items()),
                           tuple(actions), tuple(later))
        return [block, *errors]

    def add_block(self, block: "SheetBlock") -> None:
        for key, seg, rows in block.summaries:
            self.summaries[key][1].write_segment(seg, rows)
        for item in block.later:   # sheets the block has no rows for: the order on each sheet is kept
            self._add_summary(item)
        for seg, rows in block.actions:
            self.action_sheets.write_segment(seg, rows)

    def close(self) -> None:
        if not self.summaries:   # no good row: still a summary sheet, empty, that says why
            s = Summary(self.kb, [], self.modes, self.lang)
            self.summaries[""] = (s, self.book.sheet(_t(self.lang, "集計", "summary"), s.headers, Layout(s.kinds), position=0),
                                  None)
        names = self.action_sheets.names
        n_summary = sum(s.rows for _, s, _ in self.summaries.values())
        lines = [_t(self.lang, f"事業所 {n_summary:,} 件、エラー {self.errors.rows:,} 件（{self.errors.name} シート）、"
                               f"不足取組 {self.action_sheets.rows:,} 行",
                    f"{n_summary:,} offices, {self.errors.rows:,} errors (sheet {self.errors.name}), "
                    f"{self.action_sheets.rows:,} missing-action rows")]
        if len(names) > 1:
            lines.append(_t(self.lang, f"不足取組は Excel の 1 シートの行数上限を超えるため {len(names)} シートに分けています: "
                                       + "、".join(names),
                            f"the missing actions pass a sheet's row limit and continue on {len(names)} sheets: "
                            + ", ".join(names)))
        if len(self.modes) > 1:
            w = WORDS[self.lang]
            lines.append(_t(self.lang, f"（{w['counted']}）は計画書で誓約した要件を満たしたものとみなした結果、（{w['ignored']}）は実際に満たしている要件だけの結果",
                            f"({w['counted']}): pledged requirements count as met; ({w['ignored']}): only what is really in place"))
        for _, sheet, _ in self.summaries.values():
            for line in lines:
                sheet.note(line)
        self.book.close()
        self.rows = {"summary": n_summary, "actions": self.action_sheets.rows, "errors": self.errors.rows,
                     "action_sheets": len(names)}

    def discard(self) -> None:
        self.book.discard()


@dataclass(frozen=True)
class SheetBlock:
    """A chunk's good rows encoded by a worker (XlsxOut.render): per summary sheet (its key, its rows
    deflated, how many), the action rows as (segment, rows) — several, so that a sheet continued
    inside them costs the parent the inflating of one —, and the offices whose summary row the
    parent writes (their sheet was not ready when the workers were forked)."""
    summaries: tuple
    actions: tuple
    later: tuple


class JsonOut:
    """A JSON list, one `carekb gap --format json` result per good row, written as they come."""

    def __init__(self, out: Path, outputs: OutputSet):
        self.target = str(out)
        try:
            self.f = outputs.path(out.name).open("w", encoding="utf-8")
        except OSError as e:
            raise CarekbError(t("batch.cannot_write", reason=e.strerror), self.target) from None
        self.n = 0
        self.f.write("[")
        self.rows = {"summary": 0, "errors": 0}

    def add(self, item) -> None:
        if isinstance(item, RowError):
            self.rows["errors"] += 1
            return
        text = json.dumps(item.data, ensure_ascii=False, indent=2, default=str)
        self.f.write(("\n  " if self.n == 0 else ",\n  ") + text.replace("\n", "\n  "))
        self.n += 1

    def close(self) -> None:
        self.f.write("\n]\n" if self.n else "]\n")
        self.f.close()
        self.rows["summary"] = self.n

    def discard(self) -> None:
        self.f.close()


class ParquetOut:
    """One row per office × tier of its service × pledge mode; written in row groups as results come."""

    BATCH = 50_000

    def __init__(self, out: Path, outputs: OutputSet, kb: KB, modes):
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise CarekbError(t("batch.needs_pyarrow"), str(out)) from None
        self.pa, self.kb, self.modes = pa, kb, modes
        self.schema = pa.schema([
            ("row", pa.int64()), ("office_id", pa.string()), ("office_name", pa.string()), ("service", pa.string()),
            ("period", pa.string()), ("as_of", pa.date32()), ("pledges", pa.string()), ("highest", pa.string()),
            ("highest_rate_pct", pa.float64()), ("yen_per_month", pa.int64()), ("tier", pa.string()),
            ("tier_rate_pct", pa.float64()), ("state", pa.string()), ("missing_count", pa.int32()),
            ("yen_per_month_gain", pa.int64()), ("uses_pledge", pa.bool_()), ("missing", pa.list_(pa.string())),
            ("warnings", pa.list_(pa.string()))])
        self.writer = pq.ParquetWriter(str(outputs.path(out.name)), self.schema, compression="zstd")
        self.names = [f.name for f in self.schema]
        self.cols = {k: [] for k in self.names}
        self.n = 0
        self.rows = {"summary": 0, "errors": 0, "parquet": 0}
        self._tiers: dict = {}

    def add(self, item) -> None:
        if isinstance(item, RowError):
            self.rows["errors"] += 1
            return
        key = (item.period, item.service)
        tiers = self._tiers.get(key)
        if tiers is None:
            okb = self.kb.for_service(item.service)
            ranked, _ = rank_tiers(okb, okb.periods[item.period], item.service)
            tiers = self._tiers[key] = [(t.id, okb.rates.get((item.period, item.service, t.id))) for t in ranked]
        c = self.cols
        self.rows["summary"] += 1
        for mode, (highest, rate, yen, warnings, attainable, targets) in zip(self.modes, item.modes):
            by_tier = {t[0]: t for t in targets}
            for tid, trate in tiers:
                t = by_tier.get(tid)
                if t is None:   # not a target: attained, or below the highest attained
                    got = tid in attainable
                    state, count, gain, uses, missing = ("attained" if got else "below"), (0 if got else None), None, False, []
                elif not t[2]:
                    state, count, gain, uses, missing = "unreachable", None, None, False, []
                else:
                    state, count, gain, uses, missing = "target", t[3], t[4], t[5], list(t[6])
                values = (item.row, item.office_id or None, item.office_name or None, item.service, item.period, item.as_of,
                          mode, highest, rate, yen, tid, float(trate.pct) if trate is not None else None, state, count,
                          gain, uses, missing, list(warnings))
                for k, v in zip(self.names, values):
                    c[k].append(v)
                self.n += 1
        if self.n >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.n:
            self.writer.write_table(self.pa.table(self.cols, schema=self.schema))
            self.rows["parquet"] += self.n
            self.cols = {k: [] for k in self.cols}
            self.n = 0

    def close(self) -> None:
        self._flush()
        self.writer.close()

    def discard(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001 (closing a half-written file that is being thrown away)
            pass
