"""A column mapping proposed from a file's headers and sample values (DATA_FORMAT.md §1b).

Built for kinds of export, not for particular files: 12345 / message-board exports with Chinese headers, and
311 exports with English ones (Open311, Socrata API snake_case, web exports with spaces, upper-case CSVs).
Each field is scored against each column: how well the header matches a synonym, times how many sample values
the field's own parser accepts (after the value translations recognised here and the date formats sniffed).
Columns go to fields greedily, surest first, one column per field. Required fields nothing matches get a
placeholder default where one is sensible (unit, category), and are listed as not found.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from data_access.ingest.case_fields import FIELD_BY_KEY, FIELDS, FieldError, parse_datetime
from data_access.ingest.column_mappings import Mapping, mapping_from_toml, normalize_header
from data_access.ingest.file_reader import read_table

SAMPLE_ROWS = 300
FALLBACK_UNIT = "未指定单位"
FALLBACK_UNIT_TYPE = "区级部门"
FALLBACK_CATEGORY = "未分类"
MIN_CONFIDENCE = 0.3
MIN_FIT = 0.5        # the share of sample values a field's parser must take for the column to be that field

# Header synonyms per field, surest first. Chinese ones also match as part of a longer header (工单受理时间).
SYNONYMS = {
    "case_no": ("工单编号", "工单号", "工单编码", "留言编号", "案件编号", "受理编号", "诉求编号", "信件编号", "编号", "单号",
                "unique_key", "case_no", "case_id", "case_enquiry_id", "service_request_id", "request_id",
                "ticket_id", "case_number", "id"),
    "received_at": ("受理时间", "来电时间", "登记时间", "留言时间", "投诉时间", "反映时间", "诉求时间", "提交时间", "创建时间",
                    "来信时间", "created_date", "open_dt", "requested_datetime", "created_at", "open_date",
                    "date_created", "opened", "received_at", "created"),
    "closed_at": ("办结时间", "答复时间", "回复时间", "结案时间", "完成时间", "反馈时间", "办理完成时间", "closed_date",
                  "closed_dt", "close_date", "closed_at", "date_closed", "closed"),
    "responded_at": ("响应时间", "签收时间", "首次联系时间", "接单时间", "responded_at", "acknowledged_at"),
    "dispatched_at": ("派单时间", "派发时间", "转办时间", "交办时间", "dispatched_at"),
    "callback_at": ("回访时间", "callback_at"),
    "unit": ("承办单位", "主办单位", "承办部门", "处理单位", "责任单位", "办理单位", "答复单位", "处置单位", "agency",
             "department", "agency_responsible", "responsible_agency", "dept", "unit"),
    "unit_type": ("单位类型", "单位性质", "unit_type"),
    "dispatch_mode": ("派单方式", "派单类型", "派发方式", "dispatch_mode"),
    "request_type": ("诉求类型", "诉求性质", "来电类别", "request_type"),
    "category": ("问题分类", "诉求分类", "事项分类", "category_path"),
    "cat_l1": ("一级分类", "问题类型", "问题分类", "诉求分类", "事项分类", "诉求类别", "业务类别", "分类", "类别",
               "complaint_type", "service_name", "reason", "category", "case_type", "problem_type"),
    "cat_l2": ("二级分类", "小类", "descriptor", "type", "subcategory", "sub_type"),
    "cat_l3": ("三级分类", "cat_l3"),
    "content": ("诉求内容", "留言详情", "诉求描述", "来电内容", "问题描述", "来信内容", "留言内容", "内容", "详情", "描述",
                "description", "details", "case_title", "content"),
    "address": ("诉求地址", "事发地址", "问题地址", "事发地点", "地址", "incident_address", "address", "location"),
    "street": ("所属街道", "所属街乡", "属地街乡镇", "街乡镇", "街道", "borough", "street"),
    "community": ("所属社区", "社区(村)", "所属社区(村)", "社区", "neighborhood", "community_board", "community"),
    "lon": ("经度", "longitude", "lon", "lng", "long", "x"),
    "lat": ("纬度", "latitude", "lat", "y"),
    "urgency": ("紧急程度", "缓急程度", "urgency", "priority"),
    "deadline_class": ("办理时限类别", "时限类别", "deadline_class"),
    "solved": ("解决情况", "是否解决", "解决状态", "solved"),
    "satisfaction": ("满意度", "是否满意", "满意情况", "评价结果", "satisfaction"),
    "dispatch_count": ("派单次数", "派发次数", "dispatch_count"),
    "excluded": ("是否特例", "是否剔除", "excluded"),
    "exclusion_reason": ("特例原因", "剔除原因", "exclusion_reason"),
    "caller_phone": ("来电号码", "联系电话", "诉求人电话", "联系方式", "电话", "手机", "phone", "phone_number"),
    "tags": ("标签", "tags"),
}

# Words that make a header something else: a reply is not the citizen's request.
NOT_FOR = {"content": ("resolution", "reply", "response", "答复", "回复", "办理结果", "处理结果", "处理意见")}

# Other systems' words for our value lists (only those seen in the file are written into the mapping).
VALUE_WORDS = {
    "solved": {"已解决": "解决", "是": "解决", "部分解决": "部分解决", "未解决": "未解决", "否": "未解决"},
    "satisfaction": {"非常满意": "满意", "比较满意": "基本满意", "未回访": "未评价", "不评价": "未评价"},
    "urgency": {"普通": "一般", "特急": "紧急", "加急": "紧急"},
    "dispatch_mode": {"市级直派": "直派", "区级派单": "区派"},
    "excluded": {"Y": "是", "N": "否", "1": "是", "0": "否"},
}
# Status words of 311 exports: recognised so the proposal can say the column has no field here (a closed case
# is not a solved one: 解决情况 stays not provided).
STATUS_WORDS = {"open", "closed", "in progress", "assigned", "pending", "started", "已办结", "办理中", "已受理", "待处理"}

# Date formats tried on values the standard parser refuses; day-first only where month-first fails.
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日",
                "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
                "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%SZ")
_DATETIME_KEYS = {f.key for f in FIELDS if f.parse is parse_datetime}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass
class FieldGuess:
    key: str
    header: str | None
    confidence: float          # 0–1
    sample: str = ""


@dataclass
class Suggestion:
    headers: list[str]
    guesses: dict[str, FieldGuess]                 # every field, in the canonical order; header None = not found
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    datetime_formats: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # required fields with no column
    notes: list[str] = field(default_factory=list)     # what else was recognised (status columns, …)

    def spec(self, label: str = "") -> dict:
        """The mapping as the TOML loader reads it."""
        spec = {"label": label or "建议的列映射"}
        if self.datetime_formats:
            spec["datetime_formats"] = list(self.datetime_formats)
        spec["columns"] = {k: g.header for k, g in self.guesses.items() if g.header}
        if self.values:
            spec["values"] = {k: dict(v) for k, v in self.values.items()}
        if self.defaults:
            spec["defaults"] = dict(self.defaults)
        return spec

    def toml(self, label: str = "") -> str:
        return spec_to_toml(self.spec(label))

    def mapping(self, name: str = "suggested", label: str = "") -> Mapping:
        return mapping_from_toml(name, self.toml(label))


def suggest_file(data: bytes, file_name: str, sample_rows: int = SAMPLE_ROWS) -> Suggestion:
    table = read_table(data, file_name)
    return suggest(table.headers, [cells for _, cells in islice(table.rows, sample_rows)])


def suggest(headers: list[str], rows: list[list[str]]) -> Suggestion:
    columns = [_column_values(rows, i) for i in range(len(headers))]
    formats = _sniff_formats([values for header, values in zip(headers, columns)
                              if any(_header_score(key, header) for key in _DATETIME_KEYS)])
    scored = []
    for key in SYNONYMS:
        for i, header in enumerate(headers):
            if header.strip():
                confidence, translations = _score(key, header, columns[i], formats)
                if confidence >= MIN_CONFIDENCE:
                    scored.append((confidence, key, i, translations))
    suggestion = Suggestion(headers, {f.key: FieldGuess(f.key, None, 0.0) for f in FIELDS},
                            datetime_formats=formats)
    taken: set[int] = set()
    for confidence, key, i, translations in sorted(scored, key=lambda s: (-s[0], s[2])):
        if i in taken or suggestion.guesses[key].header:
            continue
        if key == "category" and suggestion.guesses["cat_l1"].header:
            continue
        taken.add(i)
        sample = next((v for v in columns[i] if v), "")
        suggestion.guesses[key] = FieldGuess(key, headers[i], round(confidence, 2), sample[:40])
        if translations:
            suggestion.values[key] = translations
    _fill_required(suggestion)
    suggestion.notes = [_status_note(headers[i], columns[i]) for i in range(len(headers))
                        if i not in taken and _is_status(columns[i])]
    return suggestion


def _status_note(header: str, values: list[str]) -> str:
    seen = "、".join(sorted({v for v in values if v})[:4])
    return f"「{header}」像是办理状态（{seen}），本系统没有对应字段，不导入 (a status column: no field here)"


def _column_values(rows: list[list[str]], i: int) -> list[str]:
    return [row[i].strip() if i < len(row) else "" for row in rows]


def _score(key: str, header: str, values: list[str], formats: list[str]) -> tuple[float, dict]:
    name = _header_score(key, header)
    filled = [v for v in values if v]
    if not filled or (name == 0 and key not in ("solved", "satisfaction")):
        return name * 0.5, {}
    fit, translations = _value_fit(key, filled, formats)
    if name == 0:
        # Without a header match only a closed value list is telling enough (a 是否解决-like column).
        return (0.5 * fit if key in ("solved", "satisfaction") and fit == 1 and len(set(filled)) > 1 else 0.0), {}
    if fit < MIN_FIT:
        return 0.0, {}   # a name that fits values that do not: 311's `Request Type` is no 诉求类型 list
    return name * (0.4 + 0.6 * fit), translations


def _fold(header: str) -> str:
    """Spaces, underscores and hyphens alike: `Created Date`, `created_date` and `CREATED-DATE` are one name."""
    return _SEPARATORS.sub("_", normalize_header(header))


def _header_score(key: str, header: str) -> float:
    norm = _fold(header)
    if any(word in norm for word in NOT_FOR.get(key, ())):
        return 0.0
    synonyms = SYNONYMS[key]
    for rank, synonym in enumerate(synonyms):
        target = _fold(synonym)
        if norm == target:
            return 1.0 - min(rank, 10) * 0.01
        if norm.replace("_", "") == target.replace("_", ""):
            return 0.95 - min(rank, 10) * 0.01   # `CaseID` for case_id
    for synonym in synonyms:
        target = _fold(synonym)
        if _CJK.search(target) and len(target) >= 2 and target in norm:
            return 0.75
        if not _CJK.search(target) and len(target) > 3 and target in norm.split("_"):
            return 0.6
    return 0.0


def _value_fit(key: str, values: list[str], formats: list[str]) -> tuple[float, dict]:
    """The share of sample values the field's parser takes (after recognised translations), and those
    translations."""
    words = VALUE_WORDS.get(key, {})
    translations = {v: words[v] for v in set(values) if v in words and words[v] != v}
    parse = FIELD_BY_KEY[key].parse
    ok = 0
    for value in values:
        text = translations.get(value, value)
        try:
            if key in _DATETIME_KEYS:
                parse_datetime(text, tuple(formats))
            elif key == "category" and "->" not in text:
                continue
            elif key == "caller_phone" and not re.fullmatch(r"[\d\s\-+()*]{5,}", text):
                continue
            elif key in ("address", "content") and re.fullmatch(r"[\s(),.\-\d]*", text):
                continue   # coordinates or numbers, not text
            else:
                parse(text)
            ok += 1
        except FieldError:
            continue
    unique = len(set(values)) / len(values) if key == "case_no" else 1.0   # case numbers do not repeat
    return ok / len(values) * unique, translations


def _sniff_formats(columns: list[list[str]]) -> list[str]:
    """The extra date formats the date columns' values need (each value the standard parser refuses, tried
    against DATE_FORMATS in order), and the date-only form of each date shape seen: exports write a midnight
    as a bare date (`2018/4/24`) often enough that a sample of a few hundred rows may not show one."""
    needed: list[str] = []
    for values in columns:
        for value in values:
            if not value or not value[:1].isdigit():
                continue
            day = re.split(r"[ T]", value, maxsplit=1)[0]
            formats = [] if _parses(value, tuple(needed)) else [next((f for f in DATE_FORMATS
                                                                       if _strptime(value, f)), None)]
            formats.append(next((f for f in DATE_FORMATS if " " not in f and _strptime(day, f)), None))
            needed += [f for f in formats if f and f not in needed]
    return needed


def _parses(value: str, formats: tuple[str, ...]) -> bool:
    try:
        parse_datetime(value, formats)
        return True
    except FieldError:
        return False


def _strptime(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def _is_status(values: list[str]) -> bool:
    seen = {v.casefold() for v in values if v}
    return bool(seen) and seen <= STATUS_WORDS


def _fill_required(suggestion: Suggestion) -> None:
    """Placeholders where the file has no column: one default unit (typed, so it can be created) and one
    category; a unit column without a type column creates its units as 区级部门. case_no and received_at have
    no sensible default: the proposal lists them and the import is refused until they are chosen."""
    found = {k for k, g in suggestion.guesses.items() if g.header}
    if "cat_l1" not in found and "category" not in found:
        suggestion.defaults["cat_l1"] = FALLBACK_CATEGORY
        suggestion.missing.append("cat_l1")
    if "unit" not in found:
        suggestion.defaults["unit"] = FALLBACK_UNIT
        suggestion.missing.append("unit")
    if "unit_type" not in found:
        suggestion.defaults["unit_type"] = FALLBACK_UNIT_TYPE
    suggestion.missing = [k for k in ("case_no", "received_at") if k not in found] + suggestion.missing


# --- TOML out (the loader's subset: strings, lists of strings, tables of them) ---

def spec_to_toml(spec: dict) -> str:
    lines = []
    tables = []
    for key, value in spec.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for name, table in tables:
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        flat = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if flat or not nested:
            lines += ["", f"[{_key(name)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in flat.items()]
        for sub, entries in nested.items():
            lines += ["", f"[{_key(name)}.{_key(sub)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_\-]+", key) else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
