"""Work-order files as headers and rows of cell text: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX (first sheet), one
file, several, a folder or a .zip of them — streamed and bounded by the limits of data_access/ingest/import_limits.py.

Every cell becomes the text a person reads in it (an Excel date cell becomes `YYYY-MM-DD HH:MM:SS`), so the row
parser has one path for both formats and a rejected row's raw values can be saved as CSV and imported again.
A file is read twice, both times as a stream: once to hash it and find its encoding (scan), once for its rows
(open_table). Rows come lazily; a row the reader itself cannot take (a cell over the limit, a broken quote that
swallows the next rows, too many cells) comes as a RowProblem with its reason, and the rest of the file still reads.
The importer takes them in chunks (Table.chunks): runs of plain CSV lines come as CellBlocks, a column at a time.
"""
import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.column_checks import WHITESPACE
from data_access.ingest.import_limits import MB, Limits

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DATA_SUFFIXES = (".csv", ".xlsx")
_CHUNK = MB
_SHOWN_CHARS = 1_000  # of each cell of a row the reader rejects: enough to find it, small enough to keep
BLOCK_LINES = 10_000  # plain CSV lines read at once, a column at a time
_BLOCK_CHARS = 4 * MB
_TEXT_CHUNK = MB      # characters decoded at a time
_EOL = re.compile(r"\r\n?|\n")
_LONGEST_SLOW_RUN = 1024  # records read one by one before trying plain lines again, when they keep failing


@dataclass(frozen=True)
class Source:
    """One file of a batch; `open()` gives a fresh binary stream from its start on every call."""
    name: str
    size: int
    open: Callable[[], BinaryIO]
    path: Path | None = None


@dataclass(frozen=True)
class RowProblem:
    """A row the reader rejects by itself: its reason (Chinese, then English) and what could be read of it."""
    reason: str
    cells: list[str]


@dataclass(frozen=True)
class CellBlock:
    """Rows given a column at a time: their numbers and the file's columns (arrow strings, one per header)."""
    numbers: list[int]
    columns: list[pa.Array]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return zip(self.numbers, self.cells_at(None))

    def cells_at(self, positions: list[int] | None) -> list[list[str]]:
        """The cells of the rows at these positions (None: all)."""
        columns = self.columns if positions is None else [c.take(positions) for c in self.columns]
        return [list(cells) for cells in zip(*(c.to_pylist() for c in columns))]


Row = tuple[int, list[str] | RowProblem]  # (row number as a spreadsheet shows it, header = row 1; cells)


@dataclass
class Table:
    headers: list[str]
    pieces: Iterator[Row | CellBlock]  # blank rows are left out
    fraction_read: Callable[[], float]                   # for progress bars
    notes: Counter = field(default_factory=Counter)      # counted while reading: formula_no_value, empty_tail

    @cached_property
    def rows(self) -> Iterator[Row]:
        """The rows one by one (read either these or chunks, not both)."""
        return chain.from_iterable(p.rows() if type(p) is CellBlock else (p,) for p in self.pieces)

    def chunks(self, size: int) -> Iterator[list[Row] | CellBlock]:
        """The rows in lists of at most `size`, a CellBlock as it comes."""
        chunk = []
        for piece in self.pieces:
            if type(piece) is CellBlock:
                if chunk:
                    yield chunk
                    chunk = []
                yield piece
                continue
            chunk.append(piece)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def cell_block(rows: list[tuple[int, list[str]]], width: int) -> CellBlock:
    """Rows of cells as a CellBlock of `width` columns: a short row padded with empty cells, a long one cut."""
    cells = [c if len(c) == width else (c + [""] * (width - len(c)))[:width] for _, c in rows]
    return CellBlock([n for n, _ in rows], [pa.array(column, pa.string()) for column in zip(*cells)]
                     if cells else [pa.array([], pa.string())] * width)


@dataclass(frozen=True)
class Scan:
    digest: str            # sha256 of the file's bytes
    kind: str              # csv | xlsx
    encoding: str = ""     # csv: utf-8-sig or gb18030
    lines: int = 0         # csv: line breaks, an upper bound of its rows


def _refuse(zh: str, en: str):
    raise ImportRefused(f"{zh} ({en})")


# --- the files of a batch ---

def memory_source(name: str, data: bytes) -> Source:
    return Source(name, len(data), lambda: io.BytesIO(data))


def sources_from_uploads(files: list[tuple[str, bytes]], limits: Limits) -> list[Source]:
    """Uploaded (name, bytes); a .zip stands for the data files inside it."""
    found = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            found += _zip_members(io.BytesIO(data), name, limits)
        else:
            found.append(memory_source(name, data))
    return _checked_batch(found, limits)


def sources_from_paths(paths: list[str | Path], limits: Limits) -> list[Source]:
    """Files, folders (their CSV and XLSX files, by name) and .zip files, in the order given."""
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            inside = sorted(p for p in given.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
            if not inside:
                _refuse(f"文件夹 {given.name} 中没有 CSV 或 XLSX 文件", f"folder {given.name} holds no CSV or XLSX file")
            found += [_path_source(p) for p in inside]
        elif not given.is_file():
            _refuse(f"找不到文件 {given}", f"file not found: {given}")
        elif given.suffix.lower() == ".zip":
            found += _zip_members(given, given.name, limits)
        else:
            found.append(_path_source(given))
    return _checked_batch(found, limits)


def _path_source(path: Path) -> Source:
    return Source(path.name, path.stat().st_size, lambda: path.open("rb"), path)


def _zip_members(file, zip_name: str, limits: Limits) -> list[Source]:
    try:
        archive = zipfile.ZipFile(file)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        _refuse(f"{zip_name} 不是可读取的 zip 文件", f"{zip_name} is not a readable zip file: {exc}")
    if len(infos) > limits.zip_files:
        _refuse(f"{zip_name} 含有 {len(infos)} 个文件，超过上限 {limits.zip_files}",
                f"{zip_name} holds {len(infos)} files, over the limit of {limits.zip_files}")
    members = []
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in info.filename:
            _refuse(f"{zip_name} 中的路径「{info.filename}」不安全", f"unsafe path {info.filename!r} in {zip_name}")
        suffix = path.suffix.lower()
        if suffix == ".zip":
            _refuse(f"{zip_name} 中含有压缩包 {path.name}，请先解开", f"{zip_name} holds a nested zip {path.name}")
        if info.is_dir() or suffix not in DATA_SUFFIXES or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        members.append(Source(f"{zip_name}/{info.filename}", info.file_size,
                              lambda info=info: archive.open(info)))
    if not members:
        _refuse(f"{zip_name} 中没有 CSV 或 XLSX 文件", f"{zip_name} holds no CSV or XLSX file")
    return members


def _checked_batch(sources: list[Source], limits: Limits) -> list[Source]:
    if not sources:
        _refuse("没有要导入的文件", "no file to import")
    for source in sources:
        _check_size(source.name, source.size, limits)
    total = sum(s.size for s in sources)
    if total > limits.batch_bytes:
        _refuse(f"这批文件共 {total / MB:.1f} MB，超过上限 {limits.batch_bytes // MB} MB",
                f"the batch is {total / MB:.1f} MB, over the limit of {limits.batch_bytes // MB} MB")
    return sources


def _check_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.file_bytes:
        _refuse(f"{name} 有 {size / MB:.1f} MB，超过单个文件上限 {limits.file_bytes // MB} MB",
                f"{name} is {size / MB:.1f} MB, over the limit of {limits.file_bytes // MB} MB per file")


def _opened(source: Source) -> BinaryIO:
    try:
        return source.open()
    except OSError as exc:
        _refuse(f"无法读取 {source.name}: {exc.strerror or exc}", f"cannot read {source.name}")


# --- pass 1: hash, kind, encoding ---

def scan(source: Source, limits: Limits) -> Scan:
    """Read the file once as a stream: its sha256, whether it is CSV or XLSX, the CSV's encoding and line count."""
    digest, utf8 = hashlib.sha256(), codecs.getincrementaldecoder("utf-8-sig")()
    head, size, lines, is_utf8, nul_at = b"", 0, 0, True, None
    with _opened(source) as stream:
        while chunk := _read(stream, source.name):
            if not head:
                head = chunk[:8]
                if head.startswith(_XLS_MAGIC):
                    _refuse(f"{source.name} 是旧版 Excel (.xls) 文件，请另存为 .xlsx 或 CSV 后导入",
                            f"{source.name} is a legacy .xls file: save it as .xlsx or CSV")
            digest.update(chunk)
            size += len(chunk)
            _check_size(source.name, size, limits)
            if head.startswith(_XLSX_MAGIC):
                continue
            if nul_at is None and (at := chunk.find(b"\x00")) >= 0:
                nul_at = lines + chunk.count(b"\n", 0, at) + 1
            lines += chunk.count(b"\n")
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
    if head.startswith(_XLSX_MAGIC):
        return Scan(digest.hexdigest(), "xlsx")
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    encoding = "utf-8-sig" if is_utf8 else "gb18030"  # GB18030 is GBK's superset: no GBK file fails
    if nul_at is not None:
        if not is_utf8 and not _decodes(source, encoding):
            _not_text(source.name)
        _refuse(f"{source.name} 第 {nul_at} 行含有 NUL 字节（\\x00），文件已损坏或不是文本",
                f"{source.name} has a NUL byte on line {nul_at}: the file is damaged or not text")
    return Scan(digest.hexdigest(), "csv", encoding, lines)


def _read(stream: BinaryIO, name: str) -> bytes:
    try:
        return stream.read(_CHUNK)
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        _refuse(f"读取 {name} 时出错: {exc}", f"error reading {name}")


def _decodes(source: Source, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with _opened(source) as stream:
            while chunk := _read(stream, source.name):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes, name: str) -> str:
    """A small text file held in memory (a units CSV): UTF-8 (with or without BOM), else GBK."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    _not_text(name)


def _not_text(name: str):
    _refuse(f"{name} 不是 UTF-8 或 GBK 编码的 CSV 文本，也不是 xlsx 文件",
            f"{name} is neither UTF-8 / GBK CSV text nor an xlsx file")


# --- pass 2: the rows ---

def read_table(data: bytes, file_name: str, limits: Limits | None = None) -> Table:
    """One file held in memory (the single-file path of older callers and of the tests)."""
    limits = limits or Limits()
    source = memory_source(file_name, data)
    return open_table(source, scan(source, limits), limits)


def open_table(source: Source, scanned: Scan, limits: Limits, block_lines: int | None = None) -> Table:
    """`block_lines`: the most lines of a CellBlock (default BLOCK_LINES), e.g. the importer's chunk."""
    block_lines = BLOCK_LINES if block_lines is None else block_lines
    table = _xlsx(source, limits) if scanned.kind == "xlsx" else _csv(source, scanned, limits, block_lines)
    if not any(h.strip() for h in table.headers):
        _refuse(f"{source.name} 没有表头行", f"{source.name} has no header row")
    if len(table.headers) > limits.columns:
        _refuse(f"{source.name} 的表头有 {len(table.headers)} 列，超过上限 {limits.columns} 列",
                f"{source.name} has {len(table.headers)} header columns, over the limit of {limits.columns}")
    return table


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _shown(cells) -> list[str]:
    return [c if len(c) <= _SHOWN_CHARS else c[:_SHOWN_CHARS] + "…" for c in cells]


# --- CSV ---

class _Text:
    """A CSV file's text, decoded a megabyte or more at a time: `readline(limit)` gives exactly what a
    TextIOWrapper's readline (newline="": line ends kept as they are) gives, and `plain_lines` whole runs of lines
    that the csv module would split at each comma and nothing else."""

    def __init__(self, stream: BinaryIO, encoding: str):
        self.stream, self.decoder = stream, codecs.getincrementaldecoder(encoding)()
        self.buf, self.pos, self.eof = "", 0, False
        self.dropped = 0   # characters read before the buffer's start

    def tell(self) -> int:
        return self.dropped + self.pos

    def _more(self, chars: int = 0) -> bool:
        piece = ""
        while not piece and not self.eof:
            data = self.stream.read(max(chars, _TEXT_CHUNK))   # bytes: no more characters than that
            self.eof = not data
            piece = self.decoder.decode(data, final=self.eof)
        if not piece:
            return False
        self.dropped += self.pos
        self.buf, self.pos = self.buf[self.pos:] + piece, 0
        return True

    def readline(self, limit: int) -> str:
        """Up to and including the next \n, \r\n or lone \r; at most `limit` characters."""
        while True:
            buf, pos = self.buf, self.pos
            found = _EOL.search(buf, pos)
            if found and (found.end() < len(buf) or found.group() != "\r" or self.eof):
                end = min(found.end(), pos + limit)
            elif len(buf) - pos >= limit:   # no line end, or a \r that may begin \r\n: cut at the limit either way
                end = pos + limit
            elif self._more():
                continue
            else:
                end = min(found.end(), pos + limit) if found else len(buf)
            self.pos = end
            return buf[pos:end]

    def plain_lines(self, max_lines: int, max_chars: int) -> tuple[int, int, bytes]:
        """(end, lines, UTF-8 bytes) of the run of whole lines from here, at most max_lines and max_chars, with no
        quote; (here, 0, b"") when the next line has one. Nothing is consumed (skip_to). `lines` counts \n: the
        reader checks that Arrow finds as many rows (no lone \r, no empty line)."""
        while len(self.buf) - self.pos < max_chars and self._more(max_chars - (len(self.buf) - self.pos)):
            pass
        buf, pos = self.buf, self.pos
        end = min(len(buf), pos + max_chars)
        cut = end if self.eof and end == len(buf) else buf.rfind("\n", pos, end) + 1
        lines = buf.count("\n", pos, cut) + (cut > pos and buf[cut - 1] != "\n")
        if lines > max_lines:
            cut, lines = _after_lines(buf, pos, max_lines), max_lines
        data = buf[pos:cut].encode()
        quote = data.find(b'"')
        if quote >= 0:
            data = data[:data.rfind(b"\n", 0, quote) + 1]
            lines = data.count(b"\n")
            cut = pos + len(data.decode())
        return cut, lines, data

    def skip_to(self, end: int) -> None:
        self.pos = end


def _offsets(column: pa.Array) -> np.ndarray:
    """Where each cell of a string column starts in its data buffer, and where the last ends."""
    return np.frombuffer(column.buffers()[1], np.int32)[column.offset:column.offset + len(column) + 1]


def _after_lines(text: str, start: int, lines: int) -> int:
    for _ in range(lines):
        start = text.index("\n", start) + 1
    return start


@dataclass(frozen=True)
class _Plain:
    """Plain lines read at once: `lines` records, the non-blank ones' positions and columns."""
    lines: int
    kept: list[int]
    columns: list[pa.Array]


class _LineTooLong(Exception):
    pass


class _CsvRecords:
    """csv.reader over a text stream, with limits: one cell, one physical line, lines per row, cells per row.

    A row that breaks one is given as a RowProblem and reading resumes at the next row: after a cell or line over
    the limit, at the first line end outside quotes (counted by quote parity, as the csv dialect escapes quotes by
    doubling them).
    """

    def __init__(self, text: _Text, name: str, limits: Limits, block_lines: int):
        self.text, self.name, self.limits, self.block_lines = text, name, limits, block_lines
        self.lines: list[str] = []   # the physical lines of the row being read
        self.width = 0               # the header's number of cells, once it is read
        self.lines_read = 0          # for progress: against the line breaks counted by scan

    def _physical_lines(self) -> Iterator[str]:
        cap = self.limits.line_chars
        while line := self.text.readline(cap):
            if len(line) == cap and not line.endswith(("\n", "\r")):
                quotes = line.count('"')
                while (more := self.text.readline(cap)) and len(more) == cap and not more.endswith(("\n", "\r")):
                    quotes += more.count('"')
                quotes += more.count('"')
                self.lines.append(line[:_SHOWN_CHARS] + '"' * (quotes % 2))
                raise _LineTooLong
            self.lines.append(line)
            self.lines_read += 1
            yield line

    def __iter__(self) -> Iterator[list[str] | RowProblem | _Plain]:
        """The records, as csv.reader reads them with the limits; runs of plain lines (once the header gave the
        width) at once, by Arrow's CSV reader, which splits such lines exactly as csv.reader does."""
        csv.field_size_limit(self.limits.cell_chars)  # the csv module's own check, before a cell is built whole
        slow_run = 1
        while True:
            end, lines, data = self.text.plain_lines(self.block_lines, _BLOCK_CHARS) if self.width else (0, 0, b"")
            plain = self._plain(data, lines) if lines else None
            if plain is not None:
                self.text.skip_to(end)
                self.lines_read += lines
                slow_run = 1
                yield plain
                continue
            until = self.text.tell() + (end - self.text.pos if lines else 0)
            for record in self._records(slow_run, until):
                if record is None:
                    return
                yield record
            slow_run = min(2 * slow_run, _LONGEST_SLOW_RUN) if not lines else 1

    def _records(self, count: int, until: int) -> Iterator[list[str] | RowProblem | None]:
        """At least `count` records one by one, and on to the first record end at or past `until`; None at the
        end of the file."""
        while True:
            try:
                for cells in csv.reader(self._physical_lines()):
                    lines, self.lines = self.lines, []
                    yield self._checked(cells, lines)
                    count -= 1
                    if count <= 0 and self.text.tell() >= until:
                        return
                yield None
                return
            except (csv.Error, _LineTooLong) as exc:
                lines, self.lines = self.lines, []
                skipped = self._resync(lines)
                yield self._broken(exc, lines, skipped)
                count -= 1
                if count <= 0 and self.text.tell() >= until:
                    return

    def _plain(self, data: bytes, lines: int) -> _Plain | None:
        """Plain lines split by Arrow; None unless every line is one row of the header's number of cells (csv.reader
        takes any other line, and says what is wrong with it) and no cell is over the limit. Without quotes, both
        split a line at each comma and nothing else, and end it at \n, \r\n or \r."""
        names = [str(i) for i in range(self.width)]
        try:
            table = pa_csv.read_csv(pa.py_buffer(data), read_options=pa_csv.ReadOptions(
                column_names=names, use_threads=False, block_size=len(data) + 1), parse_options=_PLAIN,
                convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                      check_utf8=False))
        except pa.ArrowInvalid:
            return None
        columns = [c.combine_chunks() if c.num_chunks != 1 else c.chunk(0) for c in table.columns]
        if table.num_rows != lines or not lines:
            return None
        cell_bytes = [np.diff(_offsets(c)) for c in columns]   # characters <= bytes
        if max(b.max() for b in cell_bytes) >= self.limits.cell_chars and \
                max(pc.max(pc.utf8_length(c)).as_py() for c in columns) >= self.limits.cell_chars:
            return None
        if np.add.reduce(cell_bytes).max() + self.width + 1 >= self.limits.line_chars - 1:  # readline would cut it
            return None
        kept = list(range(lines))
        maybe_blank = np.flatnonzero(pc.equal(pc.utf8_trim(columns[0], WHITESPACE), "").to_numpy(
            zero_copy_only=False))
        if len(maybe_blank):
            cells = [c.take(maybe_blank).to_pylist() for c in columns]
            blank = {i for k, i in enumerate(maybe_blank.tolist()) if _blank([c[k] for c in cells])}
            kept = [i for i in kept if i not in blank]
            columns = [c.take(pa.array(kept, pa.int64())) for c in columns] if blank else columns
        return _Plain(lines, kept, columns)

    def _resync(self, lines: list[str]) -> int:
        inside_quotes = sum(line.count('"') for line in lines) % 2
        skipped = 0
        while inside_quotes and (line := self.text.readline(self.limits.line_chars)):
            inside_quotes ^= line.count('"') % 2
            skipped += line.endswith(("\n", "\r"))
        return skipped

    def _broken(self, exc: Exception, lines: list[str], skipped: int) -> RowProblem:
        span = len(lines) + skipped
        if isinstance(exc, _LineTooLong):
            reason = (f"这一行超过 {self.limits.line_chars} 个字符，未导入 "
                      f"(a line longer than {self.limits.line_chars} characters)")
        elif "field larger" in str(exc):
            reason = (f"有单元格超过 {self.limits.cell_chars} 个字符，未导入 "
                      f"(a cell longer than {self.limits.cell_chars} characters)")
        else:
            reason = f"CSV 格式无法解析: {exc} (malformed CSV: {exc})"
        if span > 1:
            reason += f"；该行占 {span} 个物理行 (the row spans {span} lines)"
        return RowProblem(reason, [lines[0][:_SHOWN_CHARS] if lines else ""])

    def _checked(self, cells: list[str], lines: list[str]) -> list[str] | RowProblem:
        if len(cells) > self.limits.columns:
            return RowProblem(f"这一行有 {len(cells)} 列，超过上限 {self.limits.columns} 列 "
                              f"(the row has {len(cells)} cells, over the limit of {self.limits.columns})",
                              _shown(cells[:self.limits.columns]))
        if len(lines) < 2:
            return cells
        if len(lines) > self.limits.row_lines:
            return RowProblem(f"这一行占 {len(lines)} 个物理行，超过上限 {self.limits.row_lines}，可能有引号未配对 "
                              f"(the row spans {len(lines)} lines, over the limit of {self.limits.row_lines}: "
                              f"probably an unbalanced quote)", _shown(cells))
        swallowed = _rows_inside(cells, self.width)
        if swallowed:
            return RowProblem(f"引号未配对：单元格中含有 {swallowed} 行像是本文件的数据行，请检查引号 "
                              f"(unbalanced quote: a cell holds {swallowed} lines that look like rows of this file)",
                              _shown(cells))
        return cells


def _rows_inside(cells: list[str], width: int) -> int:
    """Lines inside multi-line cells that carry as many commas as a whole row of this file: rows swallowed by an
    opening quote that was never closed (a real multi-line text rarely has that many commas on one line)."""
    needed = max(width - 1, 4)
    return sum(1 for cell in cells if "\n" in cell or "\r" in cell
               for inner in cell.splitlines()[1:] if inner.count(",") >= needed)


_PLAIN = pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False)


def _csv(source: Source, scanned: Scan, limits: Limits, block_lines: int) -> Table:
    stream = _opened(source)
    records = _CsvRecords(_Text(stream, scanned.encoding), source.name, limits, block_lines)

    done = [0.0]

    def next_record(it):
        try:
            return next(it, None)
        except UnicodeDecodeError:
            _not_text(source.name)

    it = iter(records)
    headers = next_record(it)
    if headers is None:
        stream.close()
        _refuse(f"{source.name} 是空文件", f"{source.name} is empty")
    if isinstance(headers, RowProblem):
        stream.close()
        _refuse(f"{source.name} 的表头行无法读取: {headers.reason}", f"the header row of {source.name} is unreadable")
    records.width = len(headers)

    def rows():
        number = 1
        try:
            while (cells := next_record(it)) is not None:
                if type(cells) is _Plain:
                    if cells.kept:
                        yield CellBlock([number + 1 + i for i in cells.kept], cells.columns)
                    number += cells.lines
                    continue
                number += 1
                if isinstance(cells, RowProblem) or not _blank(cells):
                    yield number, cells
            done[0] = 1.0
        finally:
            stream.close()

    return Table(headers, rows(), lambda: done[0] or min(records.lines_read / max(scanned.lines, 1), 1.0))


# --- XLSX ---

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# A formula cell without a cached result: the formula element ends the cell (no <v> after it).
_FORMULA_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*</c>")


def _xlsx(source: Source, limits: Limits) -> Table:
    import openpyxl  # here, not at the top: it takes half a second to import and only xlsx files need it
    file = source.path or _seekable(source)
    try:
        formulas = _check_parts(file, source.name, limits)
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        _unreadable_xlsx(source.name, exc)
    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on a broken file; all mean: unreadable
        _unreadable_xlsx(source.name, exc)
    if not book.worksheets:
        book.close()
        _refuse(f"{source.name} 中没有工作表", f"{source.name} has no worksheet")
    sheet = book.worksheets[0]
    notes = +Counter(formula_no_value=formulas.get(getattr(sheet, "_worksheet_path", ""), 0))
    total = max(sheet.max_row or 1, 1)  # from the sheet's <dimension>: for progress only
    # openpyxl would cut every row to that <dimension>, which exporters often leave wrong: read what is there.
    sheet.reset_dimensions()
    values = _parsed(sheet.iter_rows(values_only=True), source.name)
    headers = _xlsx_cells(next(values, ()), 1, source.name, limits)
    done = [1]

    def rows():
        empty_run = 0
        try:
            for number, cells in enumerate(values, start=2):
                done[0] = number
                texts = _xlsx_cells(cells, number, source.name, limits)
                if _blank(texts):
                    empty_run += 1
                    if empty_run >= limits.empty_rows:
                        notes["empty_tail"] += 1
                        break
                    continue
                empty_run = 0
                if max(map(len, texts)) > limits.cell_chars:
                    yield number, RowProblem(f"有单元格超过 {limits.cell_chars} 个字符，未导入 "
                                             f"(a cell longer than {limits.cell_chars} characters)", _shown(texts))
                else:
                    yield number, texts
            done[0] = total
        finally:
            book.close()

    return Table(headers, rows(), lambda: min(done[0] / total, 1.0), notes)


def _parsed(values: Iterator[tuple], name: str) -> Iterator[tuple]:
    """openpyxl parses a sheet while it is read: broken XML further down surfaces here, as a reason."""
    while True:
        try:
            cells = next(values)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 — any parse failure of the sheet means: unreadable
            _unreadable_xlsx(name, exc)
        yield cells


def _unreadable_xlsx(name: str, exc: Exception):
    _refuse(f"{name} 不是可读取的 xlsx 文件", f"{name} is not a readable xlsx file: "
            f"{exc.__class__.__name__}: {str(exc)[:200]}")


def _seekable(source: Source):
    """openpyxl seeks inside the file: a member of a zip is copied out first (to disk when it is large)."""
    spooled = tempfile.SpooledTemporaryFile(max_size=64 * MB)
    with _opened(source) as stream:
        shutil.copyfileobj(stream, spooled, _CHUNK)
    spooled.seek(0)
    return spooled


def _xlsx_cells(cells, number: int, name: str, limits: Limits) -> list[str]:
    if len(cells) > limits.columns:
        last = max((i for i, v in enumerate(cells) if v is not None), default=-1)
        if last >= limits.columns:
            _refuse(f"{name} 第 {number} 行有 {last + 1} 列，超过上限 {limits.columns} 列",
                    f"row {number} of {name} has {last + 1} columns, over the limit of {limits.columns}")
        cells = cells[:limits.columns]
    return [cell_text(v) for v in cells]


def _check_parts(file, name: str, limits: Limits) -> dict[str, int]:
    """Before openpyxl parses anything: the parts' count and unzipped size within limits, no DTD or entity in any
    XML part (XXE, entity bombs), no text run long enough to blow up memory, no worksheet row with more filled
    cells than the column limit (a 16,384-column sheet is refused at its first row, not after parsing it all).
    Returns, per worksheet part, its formula cells that have no cached value (openpyxl reads them as empty)."""
    archive = zipfile.ZipFile(file)
    infos = archive.infolist()
    if len(infos) > limits.zip_files:
        _refuse(f"{name} 含有 {len(infos)} 个部件，超过上限 {limits.zip_files}",
                f"{name} has {len(infos)} parts, over the limit of {limits.zip_files}")
    _check_size(name, sum(i.file_size for i in infos), limits)
    formulas = {}
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            formulas[info.filename] = _XmlCheck(name, limits, info.filename.startswith("xl/worksheets/")).run(
                archive, info)
    return formulas


class _XmlCheck:
    """One streamed pass over an XML part, in C-speed byte operations (split, count, regex) per 1 MB chunk."""

    def __init__(self, name: str, limits: Limits, worksheet: bool):
        self.name, self.limits, self.worksheet = name, limits, worksheet
        self.longest_text = 8 * limits.cell_chars + 1024  # bytes: a character as a reference (&#24037;) takes 8
        self.text_run = 0     # bytes since the last '<'
        self.row_cells = 0    # filled cells of the row still open at the end of the last chunk
        self.rows = 0
        self.formulas = 0

    def run(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                window = tail + chunk
                if _DOCTYPE.search(window):
                    _refuse(f"{self.name} 含有 DTD 或实体声明（可能是 XXE 攻击），已拒绝",
                            f"{self.name} contains a DTD or entity declaration (possible XXE): refused")
                self._text_runs(chunk)
                if self.worksheet:
                    self.formulas += sum(1 for m in _FORMULA_NO_VALUE.finditer(window) if m.end() > len(tail))
                    self._row_widths(window, len(tail))
                tail = window[-64:]
        return self.formulas

    def _text_runs(self, chunk: bytes) -> None:
        pieces = chunk.split(b"<")
        if len(pieces) == 1:
            self.text_run += len(chunk)
        else:
            self.text_run = max(self.text_run + len(pieces[0]), max(map(len, pieces[1:-1]), default=0))
            if self.text_run <= self.longest_text:
                self.text_run = len(pieces[-1])
        if self.text_run > self.longest_text:
            cap = self.limits.cell_chars
            _refuse(f"{self.name} 中有单元格或文本超过 {cap} 个字符，已拒绝",
                    f"{self.name} holds a cell or text longer than {cap} characters")

    def _row_widths(self, window: bytes, old: int) -> None:
        # Filled cells are those with a value (<v>) or an inline string (<is>); styled empty cells do not count.
        rows = window[old:].split(b"<row ")
        for i, row in enumerate(rows):
            if i:
                self.rows += 1
                self.row_cells = 0
            self.row_cells += row.count(b"<v>") + row.count(b"<is>")
            if self.row_cells > self.limits.columns:
                _refuse(f"{self.name} 第 {self.rows} 行有超过 {self.limits.columns} 个非空单元格，超过列数上限",
                        f"row {self.rows} of {self.name} has more than {self.limits.columns} filled cells, "
                        f"over the column limit")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        # Excel stores times as fractions of a day; round away the float error (08:00 read as 07:59:59.999999).
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number or a count typed into a number cell
    return str(value)
