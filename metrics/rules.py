"""The scoring rules file (METRICS.md §9): load, merge over the shipped default, validate.

The shipped default.toml is itself the schema: a user file may only use its keys, with values of the same type.
Tables whose keys are fixed vocabularies (urgencies, deadline classes, rating values, unit types) accept only
those keys; a user's [tiers] replaces the default tiers as a whole (names and thresholds belong together), and so
does a user's [weights] (the rates it does not name take no part in the score, METRICS.md §9).
"""
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import settings
from data_access.storage.vocabulary import DEADLINE_CLASSES, SATISFACTION_RATED, SOLVED, URGENCIES
from metrics.registry import RATES, metric

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_FILE = RULES_DIR / "default.toml"

FIXED_KEYS = {
    "response_limit_hours": URGENCIES,
    "close_limit_hours": DEADLINE_CLASSES,
    "solved_credit": SOLVED,
    "satisfaction_credit": SATISFACTION_RATED,
    "ranking.groups": ("街道", "乡镇", "区级部门", "国有企业", "公共服务企业"),
}
REPLACED_WHOLE = ("tiers", "weights")
CHOICES = {"period_basis": ("received", "callback")}
# Limits must be whole hours: the summary tables bucket elapsed time by whole hours (data_access.ingest.case_store).
WHOLE_NUMBERS = ("response_limit_hours", "close_limit_hours", "ranking.min_assessed", "awards.top_n",
                 "awards.min_rank_gain", "lagging.bottom_n", "lagging.consecutive", "repeat.window_days",
                 "repeat.frequent_caller_min", "hotspots.h3_resolution", "hotspots.min_cases", "warning.min_cases")
# Inclusive bounds of settings that make no sense outside them (None: unbounded).
RANGES = {"warning.surge_ratio": (1.0, None), "warning.season_ratio": (1.0, None), "warning.min_cases": (0, None),
          "warning.interval": (0.5, 0.99), "targets.score": (0, 100),
          "targets.resolution": (0, 1), "targets.satisfaction": (0, 1)}


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the key (Chinese, then English)."""


@dataclass(frozen=True)
class Rules:
    data: dict
    source: str

    def __getitem__(self, key: str):
        return self.data[key]

    def get(self, dotted: str):
        value = self.data
        for part in dotted.split("."):
            value = value[part]
        return value

    @property
    def weights(self) -> dict[str, float]:
        return self.data["weights"]

    @property
    def basis(self) -> str:
        """'r' or 'c': which day column of the summaries a period reads."""
        return "r" if self.data["period_basis"] == "received" else "c"

    def group_of(self, unit_type: str) -> str | None:
        return self.data["ranking"]["groups"].get(unit_type)

    def tier_of(self, score: float | None) -> str | None:
        if score is None:
            return None
        return str(self.tiers_of(np.array([round(score, 2)]))[0])

    def tiers_of(self, rounded: np.ndarray) -> np.ndarray:
        """The tier of each score already rounded to 2 decimals: the first (highest) threshold it reaches, else
        较差 (NaN too, as tier_of's comparisons give)."""
        tiers = self.data["tiers"]
        return np.select([rounded >= threshold for threshold in tiers.values()], list(tiers), default="较差")


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise RulesError(f"找不到评分规则文件 {path} (rules file not found)") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"评分规则文件 {path} 格式错误: {exc} (not valid TOML)") from None


def _type_name(value) -> str:
    return {bool: "布尔值 boolean", int: "整数 integer", float: "数字 number", str: "文本 text",
            dict: "表 table"}.get(type(value), type(value).__name__)


def _check_value(key: str, value, default) -> None:
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        whole = any(key == w or key.startswith(w + ".") for w in WHOLE_NUMBERS)
        if ok and whole and not float(value).is_integer():
            raise RulesError(f"规则 {key} 必须是整数，而不是 {value!r} ({key} must be a whole number)")
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise RulesError(f"规则 {key} 的类型应为{_type_name(default)}，而不是 {value!r} "
                         f"({key} has the wrong type)")
    low, high = RANGES.get(key, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"在 {low:g} 到 {high:g} 之间" if high is not None else f"不小于 {low:g}"
        raise RulesError(f"规则 {key} 应{span}，而不是 {value!r} ({key} is out of range)")
    if key in CHOICES and value not in CHOICES[key]:
        raise RulesError(f"规则 {key} 只能是 {' / '.join(CHOICES[key])}，而不是 {value!r} ({key}: invalid value)")


def _merge(default: dict, user: dict, prefix: str = "") -> dict:
    merged = dict(default)
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if dotted in REPLACED_WHOLE:
            merged[key] = (_validate_tiers if dotted == "tiers" else _validate_weights)(dotted, value)
            continue
        allowed = FIXED_KEYS.get(prefix.rstrip("."), None)
        if key not in default and not (allowed and key in allowed):
            raise RulesError(f"未知的规则项 {dotted} (unknown key {dotted})")
        base = default.get(key)
        if isinstance(base, dict):
            if not isinstance(value, dict):
                raise RulesError(f"规则 {dotted} 应为一个表，而不是 {value!r} ({dotted} must be a table)")
            merged[key] = _merge(base, value, dotted + ".")
        else:
            _check_value(dotted, value, base)
            merged[key] = value
    return merged


def _validate_tiers(key: str, tiers) -> dict:
    if not isinstance(tiers, dict) or not tiers:
        raise RulesError(f"规则 {key} 应为非空的表 ({key} must be a non-empty table)")
    values = list(tiers.values())
    for name, value in tiers.items():
        _check_value(f"{key}.{name}", value, 0.0)
    if values != sorted(values, reverse=True):
        raise RulesError(f"规则 {key} 的分数线必须从高到低排列 ({key}: thresholds must be in descending order)")
    return dict(tiers)


def _validate_weights(key: str, weights) -> dict:
    """Weights over any scored rate of the registry (METRICS.md §3); the sum is checked once merged."""
    if not isinstance(weights, dict) or not weights:
        raise RulesError(f"规则 {key} 应为非空的表 ({key} must be a non-empty table)")
    for name, value in weights.items():
        if name not in RATES:
            known = "、".join(f"{k}（{metric(r.key).label}）" for k, r in RATES.items())
            raise RulesError(f"规则 {key}.{name} 不是可计分的率，可用的有：{known} "
                             f"(unknown rate {key}.{name}; known: {', '.join(RATES)})")
        _check_value(f"{key}.{name}", value, 0.0)
    return dict(weights)


def _check_weights(data: dict) -> None:
    total = sum(data["weights"].values())
    if any(w < 0 for w in data["weights"].values()):
        raise RulesError("规则 weights 不能为负数 (weights must not be negative)")
    if abs(total - 1.0) > 1e-9:
        raise RulesError(f"规则 weights 各项权重之和必须为 1，现在是 {total:g} (weights must sum to 1, got {total:g})")


def list_presets() -> dict[str, Path]:
    return {p.stem: p for p in sorted(RULES_DIR.glob("*.toml"))}


def load_rules(source: str | Path | None = None) -> Rules:
    """Load a rules file by path or preset name; None means SCORING_RULES, else the shipped default."""
    source = source or settings.SCORING_RULES.get()
    presets = list_presets()
    path = presets.get(str(source), Path(source))
    default = _read(DEFAULT_FILE)
    data = _merge(default, _read(path)) if path.resolve() != DEFAULT_FILE.resolve() else default
    _check_weights(data)
    return Rules(data=data, source=str(source) if str(source) in presets else str(path))


def load_rules_text(text: str, name: str = "uploaded") -> Rules:
    """Rules from TOML text (an uploaded file in the app)."""
    try:
        user = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"评分规则格式错误: {exc} (not valid TOML)") from None
    data = _merge(_read(DEFAULT_FILE), user)
    _check_weights(data)
    return Rules(data=data, source=name)
