"""One row of an uploaded file as the clean row the write path takes, or the reasons it is rejected.

No database here: the importer resolves the unit afterwards (and may create it). All of a row's problems are
reported together, each naming the column as the file calls it, so one correction pass fixes the row.

Two ways in, one answer: `parse_many` reads rows one by one (the reference), `parse_columns` reads a block a column
at a time, taking column_checks' proven shortcuts for plain cells and the per-row path for every row that has a
failed cell, a leniency or a cross-check to make (tests/test_column_checks.py holds them to the same results).
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from operator import itemgetter

import numpy as np
import pyarrow as pa

from data_access.ingest.case_fields import FIELD_BY_KEY, FIELDS, FieldError, ImportRefused, TooLong, parse_datetime
from data_access.ingest.column_checks import shortcut
from data_access.ingest.column_mappings import Mapping
from data_access.ingest.coords import OutOfRange, to_wgs84
from data_access.ingest.privacy import caller_keys, mask_phone

REQUIRED = tuple(f.key for f in FIELDS if f.required)
_ECHO_CHARS = 30
DATE_KEYS = frozenset(f.key for f in FIELDS if f.parse is parse_datetime)
_CUT_NEVER = frozenset(REQUIRED + ("cat_l1",))  # only a required field can reject a row for its length
_SKEWED = ("closed_at", "responded_at", "callback_at")
MIDNIGHT = time()
_ABSENT = object()             # an empty cell: the row has no value for the field
_EMPTY = (_ABSENT, None, None)
_LEVELS = ("cat_l1", "cat_l2", "cat_l3")


@dataclass
class ParsedBlock:
    """A block's rows as parse_many reads them: the clean ones a column at a time (positions in the block, values
    per key, None where a row has none), the others' reasons."""
    good: list[int]
    columns: dict[str, list]
    notes: dict[int, set[str]]            # position -> leniencies, of the good rows that needed any
    rejected: dict[int, list[str]]        # position -> reasons


class RowParser:
    """Also notes, per accepted row, the leniencies it needed (`notes`: date_only, clock_skew, cut_to_fit), for the
    import summary: DATA_FORMAT.md §1 allows them only when counted."""

    def __init__(self, mapping: Mapping, headers: list[str], crs: str, phone_key: bytes,
                 window: tuple[datetime, datetime] | None = None):
        located = mapping.locate(headers)
        self.headers = headers
        self.crs = crs
        self.phone_key = phone_key
        self.labels = {f.key: headers[located[f.key]] if f.key in located else f.header for f in FIELDS}
        for key in set(mapping.extract) & set(located):
            self.labels[key] = f"{FIELD_BY_KEY[key].header}（取自{headers[located[key]]}）"
        self.phone_column = located.get("caller_phone")
        self.ignored = [h for i, h in enumerate(headers) if h.strip() and i not in located.values()]
        present = set(located) | set(mapping.defaults)
        missing = [k for k in REQUIRED + ("cat_l1",) if k not in present]
        if "category" in present and "cat_l1" in missing:
            missing.remove("cat_l1")
        if missing:
            zh = "、".join(FIELD_BY_KEY[k].header for k in missing)
            shown = "、".join(h for h in headers if h.strip())
            raise ImportRefused(f"缺少必需的列: {zh} (missing required columns: {', '.join(missing)})。"
                                f"列映射「{mapping.name}」读到的表头为: {shown}；可运行 python cli.py mapping suggest "
                                f"文件名 生成建议的列映射，或在数据管理页上传后逐项调整 (the file's headers: {shown}; "
                                f"try `python cli.py mapping suggest FILE`)")
        # Columns in the file are picked in one C call; a field with only a default reads an always-empty cell.
        used = [f for f in FIELDS if f.key in present]
        self.width = len(headers) + 1
        self.positions = [located.get(f.key) for f in used]
        self.pick = itemgetter(*(located.get(f.key, len(headers)) for f in used))
        self.window = window
        self.plan = [(f.key, self._parser(f, mapping, window), mapping.values.get(f.key),
                      mapping.defaults.get(f.key, ""),
                      mapping.extract[f.key][1] if f.key in mapping.extract and f.key in located else None)
                     for f in used]
        self.skew = timedelta(seconds=mapping.clock_skew_seconds)
        self.notes: set[str] = set()

    @staticmethod
    def _parser(field, mapping: Mapping, window):
        if field.parse is parse_datetime:
            return lambda text: parse_datetime(text, mapping.datetime_formats, window)
        return field.parse

    def raw(self, cells: list[str]) -> dict[str, str]:
        """The row as read, header -> text, for keeping a rejected row; the caller's phone only masked (it is never
        stored raw, not even in a rejected row)."""
        raw = {h: cells[i] if i < len(cells) else "" for i, h in enumerate(self.headers) if h.strip()}
        if self.phone_column is not None and self.phone_column < len(cells):
            raw[self.headers[self.phone_column]] = mask_phone(cells[self.phone_column])
        return raw

    def parse(self, cells: list[str]) -> tuple[dict | None, list[str]]:
        """(clean row with `unit` / `unit_type` still as text, []) or (None, reasons); `notes` its leniencies."""
        [(row, reasons, self.notes)] = self.parse_many([cells])
        return row, reasons

    def parse_many(self, rows: list[list[str]]) -> list[tuple[dict | None, list[str], set[str]]]:
        """Each row as parse() reads it, with its notes. The cells are checked a column at a time, each distinct
        text of a column once (most columns hold few: units, categories, choices); the rows are then put
        together and cross-checked one by one."""
        width = self.width
        picked = [self.pick(cells if len(cells) >= width else cells + [""] * (width - len(cells))) for cells in rows]
        columns = list(zip(*picked)) if len(self.plan) > 1 else [picked]  # one field: itemgetter gives no tuple
        return [self._assemble(outcomes) for outcomes in zip(*map(self._column, self.plan, columns))]

    def _assemble(self, outcomes) -> tuple[dict | None, list[str], set[str]]:
        """One row from the (value, reason, note) of each of its cells, in the order of the plan."""
        found, reasons, failed, notes = {}, [], set(), set()
        for (key, *_), (value, reason, note) in zip(self.plan, outcomes):
            if reason:
                reasons.append(reason)
                failed.add(key)
            elif note:
                notes.add(note)
            if value is not _ABSENT:
                found[key] = value
        return self._finish(found, reasons, failed, notes)

    def parse_columns(self, columns: list[pa.Array]) -> ParsedBlock:
        """A block given as the file's columns (arrow strings, one per header, equal lengths) as parse_many would
        read its rows. A row whose cells are all plain (no failed cell, no leniency) is checked and cleaned a
        column at a time; any other row goes through _assemble, as in parse_many."""
        n = len(columns[0]) if columns else 0
        cells = {step[0]: _Cells(self, step, columns[pos] if pos is not None else None, n)
                 for step, pos in zip(self.plan, self.positions)}
        values = {k: c.values for k, c in cells.items()}
        present = {k: c.present for k, c in cells.items()}
        _fill_category(values, present, n)
        plain = np.logical_and.reduce([c.clean for c in cells.values()]) & self._plain_rows(values, present)
        if "caller_phone" in cells:
            phone = cells["caller_phone"]
            del values["caller_phone"]
            values["caller_key"], values["caller_masked"] = phone.derived(self._phones)
            present["caller_key"] = present["caller_masked"] = phone.present
        if "lon" in values and "lat" in values and self.crs != "wgs84":
            self._convert(values["lon"], values["lat"], np.flatnonzero(plain & present["lon"]), plain)
        for key, column in values.items():
            column[~present[key]] = None
        good, notes, rejected = plain.copy(), {}, {}
        for i in np.flatnonzero(~plain).tolist():
            row, reasons, row_notes = self._assemble([c.outcome(i) for c in cells.values()])
            if row is None:
                rejected[i] = reasons
                continue
            good[i], notes[i] = True, row_notes
            for key, column in values.items():
                column[i] = row.get(key)
        rows = np.flatnonzero(good).tolist()
        return ParsedBlock(rows, {k: column[good].tolist() for k, column in values.items()}, notes, rejected)

    def _plain_rows(self, values: dict, present: dict) -> np.ndarray:
        """Rows _finish would pass as they are: every required field there, no time before the case was received
        (neither clock skew to note nor a closed_at to refuse), both coordinates or neither."""
        plain = np.logical_and.reduce([present[k] for k in REQUIRED + ("cat_l1",)])
        received = values["received_at"]
        for key in _SKEWED:
            if key in values:
                rows = np.flatnonzero(plain & present[key])
                plain[rows[values[key][rows] < received[rows]]] = False
        if "lon" in present or "lat" in present:
            plain &= present.get("lon", False) == present.get("lat", False)
        return plain

    def _convert(self, lon: np.ndarray, lat: np.ndarray, rows: np.ndarray, plain: np.ndarray) -> None:
        """_clean's coordinate conversion of the plain rows, in place; a point it refuses sends its row to _finish."""
        for i in rows.tolist():
            try:
                lon[i], lat[i] = to_wgs84(lon[i], lat[i], self.crs)
            except OutOfRange:
                plain[i] = False

    def _column(self, step, texts) -> list[tuple]:
        """(value, reason, note) of each cell of one column; a distinct text is read once."""
        key, parse, translate, default, extract = step
        seen: dict[str, tuple] = {}
        out = []
        for raw in texts:
            outcome = seen.get(raw)
            if outcome is None:
                outcome = seen[raw] = self._cell(key, parse, translate, default, extract, raw)
            out.append(outcome)
        return out

    def _cell(self, key, parse, translate, default, extract, text: str) -> tuple:
        text = text.strip()
        if extract:
            found = extract.search(text)
            text = (found.group(1) or "").strip() if found else ""
        if translate:
            text = translate.get(text, text)
        if not text:
            if not default:
                return _EMPTY
            text = default
        try:
            value = parse(text)
        except TooLong as exc:
            if key in _CUT_NEVER:
                return _ABSENT, self._reason(key, text, exc), None
            return exc.fitted, None, "cut_to_fit"
        except FieldError as exc:
            return _ABSENT, self._reason(key, text, exc), None
        if key in DATE_KEYS and ":" not in text and value.time() == MIDNIGHT:
            return value, None, "date_only"
        return value, None, None

    def _finish(self, values: dict, reasons: list[str], failed: set, notes: set):
        self._split_category(values)
        reasons += [f"缺少{self.labels[k]} ({k} is missing)" for k in REQUIRED + ("cat_l1",)
                    if k not in values and k not in failed and not (k == "cat_l1" and "category" in failed)]
        reasons += self._cross_checks(values, failed, notes)
        if reasons:
            return None, reasons, notes
        try:
            return self._clean(values), [], notes
        except OutOfRange as exc:
            return None, [f"{self.labels['lon']}/{self.labels['lat']}: {exc}"], notes

    def _reason(self, key: str, text: str, exc: FieldError) -> str:
        shown = text if len(text) <= _ECHO_CHARS else text[:_ECHO_CHARS] + "…"
        return f"{self.labels[key]}「{shown}」{exc.zh} ({key}: {exc.en})"

    @staticmethod
    def _split_category(values: dict) -> None:
        """Separate level columns win; the one-column path `一级->二级->三级` fills in when they are empty."""
        path = values.pop("category", None)
        if path and "cat_l1" not in values:
            values["cat_l1"], values["cat_l2"], values["cat_l3"] = path

    def _cross_checks(self, values: dict, failed: set, notes: set) -> list[str]:
        reasons = []
        received = values.get("received_at")
        for key in _SKEWED if received else ():
            value = values.get(key)
            if value is None or value >= received:
                continue
            if received - value <= self.skew:  # clock skew between two systems, not a case closed before it came
                values[key] = received
                notes.add("clock_skew")
            elif key == "closed_at":
                reasons.append(f"{self.labels['closed_at']}早于{self.labels['received_at']} "
                               f"(closed_at is before received_at)")
        if ("lon" in values) != ("lat" in values) and not failed & {"lon", "lat"}:
            reasons.append(f"{self.labels['lon']}和{self.labels['lat']}须同时填写 (lon and lat must be given together)")
        return reasons

    def _clean(self, values: dict) -> dict:
        if "lon" in values:
            values["lon"], values["lat"] = to_wgs84(values["lon"], values["lat"], self.crs)
        phone = values.pop("caller_phone", None)
        if phone:
            [values["caller_key"]], [values["caller_masked"]] = self._phones([phone])
        return values

    def _phones(self, phones: list[str]) -> tuple[list, list]:
        """caller_key and caller_masked of given phones. A masked phone (a corrected rejected row) keeps its masked
        form but cannot be a repeat caller's key."""
        keys = caller_keys([p for p in phones if "*" not in p], self.phone_key)[::-1]
        return [None if "*" in p else keys.pop() or None for p in phones], [mask_phone(p) or None for p in phones]


class _Cells:
    """One field over a block, per row: values (_ABSENT: none), present, clean (no reason, no note). A column that
    repeats is read by its distinct texts. A field with a column_checks shortcut has it prove its cells; every
    other cell goes through RowParser._cell, each distinct text once."""

    def __init__(self, parser: RowParser, step: tuple, texts: pa.Array | None, n: int):
        key, parse, translate, default, extract = step
        fast, by_distinct = shortcut(FIELD_BY_KEY[key].parse, parser.window)
        if translate or extract:
            fast = None
        index = None
        if texts is None:          # a field with only a default: an always-empty cell
            texts, index = pa.array([""], pa.string()), np.zeros(n, np.intp)
        elif by_distinct or fast is None:
            encoded = texts.dictionary_encode()
            texts, index = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
        proven, proven_values = fast(texts) if fast else (np.zeros(len(texts), bool), [])
        values = np.empty(len(texts), object)
        values[proven] = proven_values
        present, clean = proven.copy(), proven.copy()
        self.outcomes = {}
        rest = np.flatnonzero(~proven)
        if len(rest):
            left = texts if len(rest) == len(texts) else texts.take(rest)
            if index is None:  # the rows' own texts: each distinct one read once
                encoded = left.dictionary_encode()
                left, at = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False).tolist()
            outcomes = [parser._cell(key, parse, translate, default, extract, text) for text in left.to_pylist()]
            self.outcomes = dict(zip(rest.tolist(), outcomes if index is not None else (outcomes[k] for k in at)))
            for j, outcome in self.outcomes.items():
                values[j] = outcome[0]
                present[j] = outcome[0] is not _ABSENT
                clean[j] = outcome[1] is None and outcome[2] is None
        self.index, self.distinct_values = index, values
        self.values, self.present, self.clean = (values, present, clean) if index is None else \
            (values[index], present[index], clean[index])

    def outcome(self, i: int) -> tuple:
        """Row i's (value, reason, note), as RowParser._cell gives it."""
        j = i if self.index is None else self.index[i]
        return self.outcomes.get(j) or (self.distinct_values[j], None, None)

    def derived(self, make) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the two columns make(present values) gives (None where a row has no value)."""
        at = np.flatnonzero(self.present if self.index is None else np.fromiter(
            (v is not _ABSENT for v in self.distinct_values), bool, len(self.distinct_values)))
        parts = np.full((2, len(self.distinct_values)), None, object)
        parts[0, at], parts[1, at] = make(self.distinct_values[at].tolist())
        return (parts[0], parts[1]) if self.index is None else (parts[0][self.index], parts[1][self.index])


def _fill_category(values: dict, present: dict, n: int) -> None:
    """_split_category a column at a time: the path fills the three levels where the first level is empty."""
    if "category" not in values:
        return
    path, has_path = values.pop("category"), present.pop("category")
    fill = has_path & ~present.get("cat_l1", np.zeros(n, bool))
    paths = path[fill].tolist()
    for level, key in enumerate(_LEVELS):
        column = values.setdefault(key, np.full(n, _ABSENT, object))
        column[fill] = [p[level] for p in paths]
        present[key] = present.get(key, np.zeros(n, bool)) | fill
