"""The columns of the canonical work-order file (DATA_FORMAT.md §1) and how a cell's text becomes a value.

Each parser takes a cell's stripped, non-empty text and returns the value, or raises FieldError saying what is
wrong in Chinese and English; the row parser adds the column's name and the text.
"""
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Callable

from data_access.ingest.import_limits import limits_from_env
from data_access.storage.schema import cases, units
from data_access.records.units import UNIT_TYPES
from data_access.storage.vocabulary import DEADLINE_CLASSES, SATISFACTION, SOLVED, URGENCIES


class ImportRefused(ValueError):
    """The whole file (or its mapping) cannot be read: nothing is imported."""


class FieldError(ValueError):
    """One cell's value is wrong: its row is rejected."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


class TooLong(FieldError):
    """Text longer than its column: a required field rejects its row, an optional one keeps `fitted` (cut to fit)."""

    def __init__(self, zh: str, en: str, fitted):
        super().__init__(zh, en)
        self.fitted = fitted


def shaped(parse: Callable, *shape) -> Callable:
    """Say what a parser does (`shape`), so that column_checks can take its proven shortcut for plain cells."""
    parse.shape = shape
    return parse


@dataclass(frozen=True)
class Field:
    key: str
    header: str              # the Chinese header of the canonical file
    parse: Callable
    required: bool = False


# --- parsers ---

def _text(max_chars: int | None, max_bytes: int | None = None) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if max_chars and len(text) > max_chars:
            raise TooLong(f"超过 {max_chars} 个字符", f"longer than {max_chars} characters", text[:max_chars])
        # A TEXT column holds 65,535 bytes on MariaDB; a longer value would abort the whole batch there.
        if max_bytes and len(text.encode()) > max_bytes:
            raise FieldError(f"超过 {max_bytes} 字节", f"longer than {max_bytes} bytes")
        return text
    return shaped(parse, "text", max_chars, max_bytes)


def _column_text(table, key: str) -> Callable[[str], str]:
    """Text no longer than the database column takes (every backend refuses or truncates longer text)."""
    return _text(table.c[key].type.length)


def choice(*values: str) -> Callable[[str], str]:
    allowed = " / ".join(values)

    def parse(text: str) -> str:
        if text not in values:
            raise FieldError(f"应为 {allowed} 之一", f"must be one of {allowed}")
        return text
    return parse


_DATETIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?)?")
# Before the hotline existed: a typo, and MariaDB cannot store years before 1000 at all.
EARLIEST_YEAR = 1900


def parse_datetime(text: str, formats: tuple[str, ...] = (),
                   window: tuple[datetime, datetime] | None = None) -> datetime:
    """`YYYY-MM-DD HH:MM[:SS]` or `YYYY/MM/DD HH:MM[:SS]`, or the date alone (00:00); then a mapping's own strptime
    formats, if any. Within `window` (default: the IMPORT_DATE_* settings), so that a typo such as 9999-12 or 2299
    can neither overflow a date sum nor stretch every period list to that year.

    A time-zone offset from another system's export is dropped: times are kept as the wall clock shows them.
    """
    try:
        if len(text) in (16, 19) and text[4] == text[7] == "-" and text[10] == " ":
            value = datetime.fromisoformat(text)  # the canonical shape, by the fast C parser
        elif match := _DATETIME.fullmatch(text):
            value = datetime(*(int(g) for g in match.groups(default="0")))
        else:
            value = _strptime_any(text, formats)
    except ValueError:
        value = None
    if value is None:
        raise FieldError("不是有效的日期时间，应为 YYYY-MM-DD HH:MM[:SS]",
                         "not a valid datetime, expected YYYY-MM-DD HH:MM[:SS]")
    if value.year < EARLIEST_YEAR:
        raise FieldError(f"年份早于 {EARLIEST_YEAR}", f"year before {EARLIEST_YEAR}")
    value = value.replace(tzinfo=None, microsecond=0) if value.tzinfo or value.microsecond else value
    first, last = window or default_date_window()
    if not first <= value <= last:
        raise FieldError(f"不在允许的日期范围 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 内",
                         f"outside the accepted dates {first:%Y-%m-%d} to {last:%Y-%m-%d}")
    return value


def default_date_window() -> tuple[datetime, datetime]:
    return _window_of(date.today())


@lru_cache(maxsize=4)
def _window_of(today: date) -> tuple[datetime, datetime]:
    return limits_from_env().date_window()


def _strptime_any(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_count(text: str) -> int:
    if not text.isdecimal() or int(text) < 1:
        raise FieldError("应为不小于 1 的整数", "must be a whole number of at least 1")
    return int(text)


def parse_yes_no(text: str) -> bool:
    if text not in ("是", "否"):
        raise FieldError("应为 是 / 否", "must be 是 or 否")
    return text == "是"


def _degrees(limit: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not -limit <= value <= limit:  # also refuses nan
            raise FieldError(f"应为 -{limit:g} 到 {limit:g} 之间的十进制度数",
                             f"must be decimal degrees between -{limit:g} and {limit:g}")
        return value
    return shaped(parse, "degrees", limit)


CATEGORY_SEPARATOR = "->"
_LEVEL_TEXT = tuple(_column_text(cases, key) for key in ("cat_l1", "cat_l2", "cat_l3"))


def parse_category_path(text: str) -> tuple[str, str | None, str | None]:
    """`一级->二级->三级` into three levels; deeper levels stay in the third, so nothing is lost."""
    parts = [p.strip() for p in text.split(CATEGORY_SEPARATOR)]
    if not parts[0]:
        raise FieldError("缺少一级分类", "the first level is empty")
    levels = [parts[0], parts[1] if len(parts) > 1 else "", CATEGORY_SEPARATOR.join(parts[2:])]
    cut = None
    for i, parse in enumerate(_LEVEL_TEXT):
        try:
            parse(levels[i])
        except TooLong as exc:
            if i == 0:  # the first level is required: it rejects the row
                raise FieldError(exc.zh, exc.en) from None
            levels[i], cut = exc.fitted, exc
    fitted = levels[0], levels[1] or None, levels[2] or None
    if cut:
        raise TooLong(cut.zh, cut.en, fitted)
    return fitted


_TAG_SPLIT = re.compile(r"[;；]")


_TAGS_TEXT = _column_text(cases, "tags")


def parse_tags(text: str) -> str | None:
    """Stored as `;a;b;` so that one tag is found with LIKE '%;a;%'."""
    tags = [t.strip() for t in _TAG_SPLIT.split(text) if t.strip()]
    if not tags:
        return None
    try:
        return _TAGS_TEXT(f";{';'.join(tags)};")
    except TooLong as exc:  # cut at a whole tag, so that no half tag is stored
        whole = exc.fitted[:exc.fitted.rindex(";") + 1]
        raise TooLong(exc.zh, exc.en, whole if len(whole) > 1 else None) from None


def normalise_case_no(text: str) -> str:
    """The one rule for case numbers (README, DATA_FORMAT): NFKC (full-width digits and letters become ASCII), then
    every whitespace and invisible character (Unicode format characters, Cf: zero-width space and joiners, BOM,
    soft hyphen, word joiner …) removed, so `Ｈ１２３`, `H 123` and `H1\u200b23` are one case."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text  # the usual case, unchanged by the rule
    return "".join(c for c in unicodedata.normalize("NFKC", text)
                   if not c.isspace() and unicodedata.category(c) != "Cf")


_CASE_NO_TEXT = _column_text(cases, "case_no")


def _case_no(text: str) -> str:
    case_no = normalise_case_no(text)
    if not case_no:
        raise FieldError("只有空白或不可见字符", "only blank or invisible characters")
    return _CASE_NO_TEXT(case_no)


shaped(_case_no, "token", _CASE_NO_TEXT.shape[1])  # printable ASCII without a space: kept as it is


def _as_is(text: str) -> str:
    return text


shaped(_as_is, "text", None, None)


MARIADB_TEXT_BYTES = 65535

FIELDS = (
    Field("case_no", "工单编号", _case_no, required=True),
    Field("received_at", "受理时间", parse_datetime, required=True),
    Field("unit", "承办单位", _column_text(units, "name"), required=True),
    Field("unit_type", "单位类型", choice(*UNIT_TYPES)),
    Field("dispatch_mode", "派单方式", choice("直派", "区派")),
    Field("request_type", "诉求类型", choice("咨询", "求助", "投诉", "举报", "建议")),
    Field("cat_l1", "一级分类", _column_text(cases, "cat_l1")),
    Field("cat_l2", "二级分类", _column_text(cases, "cat_l2")),
    Field("cat_l3", "三级分类", _column_text(cases, "cat_l3")),
    Field("category", "问题分类", parse_category_path),
    Field("content", "诉求内容", _text(None, MARIADB_TEXT_BYTES)),
    Field("address", "诉求地址", _column_text(cases, "address")),
    Field("street", "所属街道", _column_text(cases, "street")),
    Field("community", "所属社区", _column_text(cases, "community")),
    Field("lon", "经度", _degrees(180.0)),
    Field("lat", "纬度", _degrees(90.0)),
    Field("urgency", "紧急程度", choice(*URGENCIES)),
    Field("deadline_class", "办理时限类别", choice(*DEADLINE_CLASSES)),
    Field("dispatched_at", "派单时间", parse_datetime),
    Field("responded_at", "响应时间", parse_datetime),
    Field("closed_at", "办结时间", parse_datetime),
    Field("callback_at", "回访时间", parse_datetime),
    Field("solved", "解决情况", choice(*SOLVED)),
    Field("satisfaction", "满意度", choice(*SATISFACTION)),
    Field("dispatch_count", "派单次数", parse_count),
    Field("excluded", "是否特例", parse_yes_no),
    Field("exclusion_reason", "特例原因", _column_text(cases, "exclusion_reason")),
    Field("caller_phone", "来电号码", _as_is),  # reduced to caller_key / caller_masked by the row parser
    Field("tags", "标签", parse_tags),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
