"""One row of an uploaded file as the clean row the write path takes, or the reasons it is rejected.

No database here: the importer resolves the unit afterwards (and may create it). All of a row's problems are
reported together, each naming the column as the file calls it, so one correction pass fixes the row.
"""
from datetime import datetime, time, timedelta
from operator import itemgetter

from data_access.ingest.case_fields import FIELD_BY_KEY, FIELDS, FieldError, ImportRefused, TooLong, parse_datetime
from data_access.ingest.column_mappings import Mapping
from data_access.ingest.coords import OutOfRange, to_wgs84
from data_access.ingest.privacy import caller_key, mask_phone

REQUIRED = tuple(f.key for f in FIELDS if f.required)
_ECHO_CHARS = 30
DATE_KEYS = frozenset(f.key for f in FIELDS if f.parse is parse_datetime)
_CUT_NEVER = frozenset(REQUIRED + ("cat_l1",))  # only a required field can reject a row for its length
_SKEWED = ("closed_at", "responded_at", "callback_at")
MIDNIGHT = time()
_ABSENT = object()             # an empty cell: the row has no value for the field
_EMPTY = (_ABSENT, None, None)
_NONE = frozenset()


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
        self.pick = itemgetter(*(located.get(f.key, len(headers)) for f in used))
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
        keys = [step[0] for step in self.plan]
        reasons: dict[int, list[str]] = {}
        failed: dict[int, set[str]] = {}
        notes: dict[int, set[str]] = {}
        values = []
        for step, texts in zip(self.plan, columns):
            outcomes = self._column(step, texts)
            column = []
            for i, (value, reason, note) in enumerate(outcomes):
                column.append(value)
                if reason:
                    reasons.setdefault(i, []).append(reason)
                    failed.setdefault(i, set()).add(step[0])
                elif note:
                    notes.setdefault(i, set()).add(note)
            values.append(column)
        out = []
        for i, row in enumerate(zip(*values)):
            found = {k: v for k, v in zip(keys, row) if v is not _ABSENT}
            out.append(self._finish(found, reasons.get(i, []), failed.get(i, _NONE), notes.get(i, set())))
        return out

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
            # A masked phone (a corrected rejected row) keeps its masked form but cannot be a repeat caller's key.
            values["caller_key"] = None if "*" in phone else caller_key(phone, self.phone_key) or None
            values["caller_masked"] = mask_phone(phone) or None
        return values
