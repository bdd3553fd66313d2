"""Column mappings: which header of an uploaded file holds which field (DATA_FORMAT.md §1).

The canonical mapping takes the Chinese headers and the English keys. Another system's export is read with a
saved mapping, a TOML file that names only what differs from the canonical file:

    label = "某系统导出"
    datetime_formats = ["%Y年%m月%d日 %H:%M"]       # strptime formats tried after the standard ones
    clock_skew_seconds = 300                        # closed/responded/callback this much before received: skew
    [columns]                                       # field key = header, or a list of headers (first found wins)
    case_no = "工单号"
    received_at = ["来电时间", "受理时间"]
    [values.solved]                                 # the export's value = the canonical value
    "已解决" = "解决"
    [defaults]                                      # used where the column is absent or the cell empty
    unit_type = "区级部门"
    [extract.unit]                                  # a field taken out of another column's text
    from = "留言主题"
    pattern = "^([A-Z]\\d*[市区县])"                 # one capture group; rows it does not match use [defaults]

Shipped mappings live in data_access/ingest/mappings/, a center's own in data/mappings/; a mapping is named by its
file stem, or given as the path of its file.
"""
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from data_access.ingest.case_fields import FIELD_BY_KEY, FIELDS, ImportRefused
from data_access.storage.engine import ROOT

CANONICAL = "canonical"
SHIPPED_DIR = Path(__file__).resolve().parent / "mappings"
USER_DIR = ROOT / "data" / "mappings"
_SECTIONS = {"label", "datetime_formats", "clock_skew_seconds", "columns", "values", "defaults", "extract"}
DEFAULT_CLOCK_SKEW_S = 300


@dataclass(frozen=True)
class Mapping:
    name: str
    label: str
    headers: dict[str, tuple[str, ...]]                 # field key -> accepted headers, preferred first
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    datetime_formats: tuple[str, ...] = ()
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_S
    extract: dict[str, tuple[str, re.Pattern]] = field(default_factory=dict)   # field key -> (from header, pattern)
    spec: dict = field(default_factory=dict, compare=False)                     # the TOML it was read from

    def locate(self, file_headers: list[str]) -> dict[str, int]:
        """field key -> column index, for the fields this file has. A header claimed twice is refused.

        A derived field ([extract]) is located at the column it is taken from."""
        positions: dict[str, list[int]] = {}
        for i, header in enumerate(file_headers):
            positions.setdefault(normalize_header(header), []).append(i)
        located = {}
        accepted_by_key = {**self.headers, **{k: (source,) for k, (source, _) in self.extract.items()}}
        for key, accepted in accepted_by_key.items():
            found = next((h for h in accepted if normalize_header(h) in positions), None)
            if found is None:
                continue
            where = positions[normalize_header(found)]
            if len(where) > 1:
                raise ImportRefused(f"表头「{found}」出现了 {len(where)} 次，无法确定用哪一列 "
                                    f"(header {found!r} appears {len(where)} times)")
            located[key] = where[0]
        return located


def normalize_header(header: str) -> str:
    """Headers compare without case (`OPEN_DT` is `open_dt`) and without surrounding spaces or a BOM."""
    return (header or "").replace("\ufeff", "").strip().casefold()


def canonical() -> Mapping:
    return Mapping(CANONICAL, "标准格式（中文表头或英文字段名）", {f.key: (f.header, f.key) for f in FIELDS})


def load_mapping(name_or_path: str | None = None) -> Mapping:
    """A mapping by name (shipped, then the center's own) or by the path of its TOML file."""
    if not name_or_path or name_or_path == CANONICAL:
        return canonical()
    path = _find(name_or_path)
    return mapping_from_toml(path.stem, path.read_text(encoding="utf-8"))


def mapping_from_toml(name: str, text: str) -> Mapping:
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportRefused(f"列映射 {name} 格式错误: {exc} (mapping {name} is not valid TOML)")
    return _from_spec(name, spec)


def mapping_file(name_or_path: str) -> Path | None:
    """The TOML file of a shipped mapping, a center's own in data/mappings/, or the file at this path."""
    for path in (SHIPPED_DIR / f"{name_or_path}.toml", USER_DIR / f"{name_or_path}.toml", Path(name_or_path)):
        if path.is_file():
            return path
    return None


def _find(name_or_path: str) -> Path:
    if path := mapping_file(name_or_path):
        return path
    raise ImportRefused(f"找不到列映射「{name_or_path}」，可用: {', '.join(n for n, _ in list_mappings())} "
                        f"(no column mapping named {name_or_path!r})")


def list_mappings() -> list[tuple[str, str]]:
    """(name, label) of every mapping on offer, canonical first."""
    found = [(CANONICAL, canonical().label)]
    for directory in (SHIPPED_DIR, USER_DIR):
        for path in sorted(directory.glob("*.toml")):
            found.append((path.stem, load_mapping(str(path)).label))
    return found


def _from_spec(name: str, spec: dict) -> Mapping:
    unknown = set(spec) - _SECTIONS
    if unknown:
        _refuse(name, f"未知的项 {sorted(unknown)}", f"unknown entries {sorted(unknown)}")
    headers = canonical().headers
    for key, given in _section(name, spec, "columns").items():
        given = [given] if isinstance(given, str) else given
        if not isinstance(given, list) or not all(isinstance(h, str) for h in given):
            _refuse(name, f"columns.{key} 应为表头或表头列表", f"columns.{key} must be a header or a list of headers")
        headers[key] = tuple(given) + headers[_known(name, key)]
    values = {_known(name, key): _strings(name, f"values.{key}", table)
              for key, table in _section(name, spec, "values").items()}
    defaults = {_known(name, key): value for key, value in _strings(name, "defaults", spec.get("defaults", {})).items()}
    formats = spec.get("datetime_formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        _refuse(name, "datetime_formats 应为字符串列表", "datetime_formats must be a list of strings")
    skew = spec.get("clock_skew_seconds", DEFAULT_CLOCK_SKEW_S)
    if not isinstance(skew, int) or isinstance(skew, bool) or not 0 <= skew <= 86_400:
        _refuse(name, "clock_skew_seconds 应为 0 到 86400 的整数", "clock_skew_seconds must be a whole number 0-86400")
    extract = {_known(name, key): _pattern(name, key, rule) for key, rule in _section(name, spec, "extract").items()}
    return Mapping(name, str(spec.get("label", name)), headers, values, defaults, tuple(formats), skew, extract, spec)


def _pattern(name: str, key: str, rule) -> tuple[str, re.Pattern]:
    if not isinstance(rule, dict) or set(rule) != {"from", "pattern"} or not all(
            isinstance(v, str) for v in rule.values()):
        _refuse(name, f"extract.{key} 应只含 from（表头）和 pattern（正则表达式）两项",
                f"extract.{key} must have exactly `from` (a header) and `pattern` (a regex)")
    try:
        pattern = re.compile(rule["pattern"])
    except re.error as exc:
        _refuse(name, f"extract.{key} 的正则表达式无效: {exc}", f"extract.{key}: invalid regular expression: {exc}")
    if pattern.groups != 1:
        _refuse(name, f"extract.{key} 的正则表达式须恰有一个捕获组（括号），现有 {pattern.groups} 个",
                f"extract.{key}: the pattern must have exactly one capture group, it has {pattern.groups}")
    return rule["from"], pattern


def _section(name: str, spec: dict, section: str) -> dict:
    table = spec.get(section, {})
    if not isinstance(table, dict):
        _refuse(name, f"{section} 应为表 [{section}]", f"{section} must be a table")
    return table


def _known(name: str, key: str) -> str:
    if key not in FIELD_BY_KEY:
        _refuse(name, f"未知字段 {key}", f"unknown field {key!r}")
    return key


def _strings(name: str, where: str, table) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        _refuse(name, f"{where} 的值应为文本", f"{where} must map text to text")
    return table


def _refuse(name: str, zh: str, en: str):
    raise ImportRefused(f"列映射 {name}: {zh} (mapping {name}: {en})")
