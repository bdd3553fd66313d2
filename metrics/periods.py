"""Periods (METRICS.md §1): month 2025-03, bi-month 2025-B2, quarter 2025-Q1, year 2025, ISO week 2025-W10,
and date range 2025-03-01..2025-03-15 (both days included).

A period is the half-open day interval [start, end): it includes its first instant and excludes the next
period's first instant, so 23:59:59 on its last day is inside and 00:00:00 the next day is not.
"""
import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = {"month": "月", "bimonth": "双月", "quarter": "季度", "year": "年", "week": "周", "range": "自定义"}


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str
    key: str
    start: date
    end: date  # exclusive
    part_of: str = ""  # a period cut at the last day with data: the kind of the whole period ("week", "month" …)
    whole_label: str = ""

    @property
    def label(self) -> str:
        if self.part_of:
            last = self.end - timedelta(days=1)
            return f"{self.whole_label}（截至{last.month}月{last.day}日）"
        y = self.start.year
        if self.kind == "month":
            return f"{y}年{self.start.month}月"
        if self.kind == "bimonth":
            b = int(self.key[-1])
            return f"{y}年第{b}双月（{2 * b - 1}-{2 * b}月）"
        if self.kind == "quarter":
            return f"{y}年第{self.key[-1]}季度"
        if self.kind == "year":
            return f"{y}年"
        if self.kind == "week":
            last = self.end - timedelta(days=1)
            return f"{self.key[:4]}年第{int(self.key[6:])}周（{self.start:%m.%d}-{last:%m.%d}）"
        return f"{self.start:%Y-%m-%d}至{self.end - timedelta(days=1):%Y-%m-%d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> "Period":
        """The previous period of the same kind (环比)."""
        if self.kind == "range":
            return range_period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        return shift(self, -1)

    def year_ago(self) -> "Period":
        """The same period one year before (同比)."""
        if self.kind == "week":
            year, week = int(self.key[:4]) - 1, int(self.key[6:])
            return parse_period(f"{year}-W{min(week, _weeks_in(year)):02d}")
        if self.kind == "range":
            return range_period(_minus_year(self.start), _minus_year(self.end - timedelta(days=1)))
        return parse_period(f"{self.start.year - 1}{self.key[4:]}")

    def compared(self) -> dict[str, "Period"]:
        """The periods a figure is compared with, by the prefix its compared columns take: prev_ (环比), yoy_ (同比)."""
        return {prefix: offset(self) for prefix, offset in COMPARISONS.items()}

    def with_compared(self) -> list["Period"]:
        """The period and those it is compared with: what a table with change columns reads."""
        return [self, *self.compared().values()]

    def months(self) -> float:
        """Length in months, for monthly averages (万人诉求比 of a longer period)."""
        return {"month": 1, "bimonth": 2, "quarter": 3, "year": 12}.get(self.kind, self.days / (365.25 / 12))


# The comparisons every change column is made from (METRICS.md §4): prefix → the compared period.
COMPARISONS = {"prev_": Period.previous, "yoy_": Period.year_ago}


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def to_date(period: Period, last_day: date | None) -> Period:
    """The period cut at `last_day` when the data end inside it ("2025年3月（截至3月2日）"): a range whose 环比 is the
    same number of days before it, so a partial period is never compared with a whole one."""
    if last_day is None or not period.start <= last_day < period.end - timedelta(days=1):
        return period
    cut = range_period(period.start, last_day)
    return Period(cut.kind, cut.key, cut.start, cut.end, part_of=period.kind, whole_label=period.label)


def last_complete(kind: str, last_day: date) -> Period:
    """The last period of a kind that the data cover to its last day."""
    period = period_of(last_day, kind)
    return period if period.end - timedelta(days=1) <= last_day else shift(period, -1)


def range_period(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError(f"时间段结束日期早于开始日期: {first}..{last} (range ends before it starts)")
    return Period("range", f"{first:%Y-%m-%d}..{last:%Y-%m-%d}", first, last + timedelta(days=1))


_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-B([1-6])$"), "bimonth"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
]


def parse_period(text: str) -> Period:
    text = (text or "").strip()
    if ".." in text:
        try:
            first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
        except ValueError:
            raise PeriodError(_bad(text)) from None
        return range_period(first, last)
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if m:
            return _build(kind, int(m.group(1)), int(m.group(2)) if m.lastindex == 2 else 0, text)
    raise PeriodError(_bad(text))


def _bad(text: str) -> str:
    return (f"无法识别的时间段 {text[:40]!r}，应为 2025-03 / 2025-B2 / 2025-Q1 / 2025 / 2025-W10 / "
            f"2025-03-01..2025-03-15 (unrecognised period)")


def _build(kind: str, year: int, n: int, text: str) -> Period:
    if not 1900 <= year <= 2999:
        raise PeriodError(_bad(text))
    if kind == "month":
        if not 1 <= n <= 12:
            raise PeriodError(_bad(text))
        return Period(kind, f"{year}-{n:02d}", date(year, n, 1), _month_start(year, n + 1))
    if kind == "bimonth":
        return Period(kind, f"{year}-B{n}", date(year, 2 * n - 1, 1), _month_start(year, 2 * n + 1))
    if kind == "quarter":
        return Period(kind, f"{year}-Q{n}", date(year, 3 * n - 2, 1), _month_start(year, 3 * n + 1))
    if kind == "year":
        return Period(kind, f"{year}", date(year, 1, 1), date(year + 1, 1, 1))
    if not 1 <= n <= _weeks_in(year):
        raise PeriodError(_bad(text))
    start = date.fromisocalendar(year, n, 1)
    return Period(kind, f"{year}-W{n:02d}", start, start + timedelta(days=7))


def shift(period: Period, steps: int) -> Period:
    """The period `steps` periods away, of the same kind (not for ranges)."""
    y = period.start.year
    if period.kind == "month":
        s = _month_start(y, period.start.month + steps)
        return parse_period(f"{s.year}-{s.month:02d}")
    if period.kind in ("bimonth", "quarter"):
        per_year = 6 if period.kind == "bimonth" else 4
        idx = y * per_year + int(period.key[-1]) - 1 + steps
        tag = "B" if period.kind == "bimonth" else "Q"
        return parse_period(f"{idx // per_year}-{tag}{idx % per_year + 1}")
    if period.kind == "year":
        return parse_period(str(y + steps))
    if period.kind == "week":
        start = period.start + timedelta(weeks=steps)
        iso = start.isocalendar()
        return parse_period(f"{iso[0]}-W{iso[1]:02d}")
    raise PeriodError("自定义时间段没有前后期 (a date range has no neighbours)")


def trailing(period: Period, n: int) -> list[Period]:
    """The n periods ending with this one, oldest first (trend charts: 13 months)."""
    return [shift(period, -i) for i in range(n - 1, -1, -1)]


def period_of(d: date, kind: str) -> Period:
    """The period of a kind that contains a day."""
    if kind == "month":
        return parse_period(f"{d.year}-{d.month:02d}")
    if kind == "bimonth":
        return parse_period(f"{d.year}-B{(d.month + 1) // 2}")
    if kind == "quarter":
        return parse_period(f"{d.year}-Q{(d.month + 2) // 3}")
    if kind == "year":
        return parse_period(str(d.year))
    if kind == "week":
        iso = d.isocalendar()
        return parse_period(f"{iso[0]}-W{iso[1]:02d}")
    raise PeriodError(f"unknown period kind {kind!r}")
