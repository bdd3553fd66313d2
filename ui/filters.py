"""The shared filters in the sidebar, kept in the URL: period type and period, group, unit, category, street.

Every widget is bound to a short ASCII query parameter (ptype, period, group, unit, cat, street; rules in
ui.rules_choice), so a view can be bookmarked or sent on. The URL is user input: Streamlit drops values that are
not among a widget's options, and the options themselves are limited to what the user may see.

Pages draw the filters they use with `sidebar(user, *fields)`; ui.bound keeps each choice for the session, so a
chosen month stays chosen from page to page.
"""
from dataclasses import dataclass
from datetime import date

import streamlit as st

from data_access.queries.case_queries import CaseFilter, Limits
from metrics.periods import KINDS, Period, PeriodError, parse_period, period_of, shift
from metrics.rules import Rules
from ui import bound, cache, rules_choice
from ui.auth import User

PTYPES = ("month", "bimonth", "quarter", "year", "week")
PTYPE_LABELS = {"month": "月度", "bimonth": "双月", "quarter": "季度", "year": "年度", "week": "周"}
OPTIONAL = ("group", "unit", "cat", "street")


@dataclass(frozen=True)
class Filters:
    period: Period
    rules: Rules
    group: str | None = None
    unit_id: int | None = None
    category: str | None = None
    street: str | None = None

    @property
    def ptype(self) -> str:
        return self.period.kind


def periods_between(first: date, last: date, kind: str) -> list[Period]:
    """Every period of a kind that holds a day from first to last, newest first."""
    found, p = [], period_of(last, kind)
    while p.end > first:
        found.append(p)
        p = shift(p, -1)
    return found


def _ptype_from_url() -> None:
    """A link with only ?period=2025-B2 opens the bi-monthly view rather than dropping the period: on a fresh
    session, take the period type from the period key (the type stays a choice of its own, default 月度)."""
    if "ptype" in st.query_params or st.session_state.get("ptype") is not None:
        return
    try:
        kind = parse_period(st.query_params.get("period", "")).kind
    except PeriodError:
        return
    if kind in PTYPES:
        st.session_state["ptype"] = kind


def _period(box, rules: Rules) -> Period:
    days = cache.data_days(rules.basis)
    if days is None:
        st.info("数据库中还没有工单，请先在“数据管理”页导入数据。")
        st.stop()
    _ptype_from_url()
    kind = bound.select(box, "时间粒度", PTYPES, "ptype", format_func=PTYPE_LABELS.get)
    periods = {p.key: p for p in periods_between(*days, kind)}
    key = bound.select(box, f"考核期（{KINDS[kind]}）", list(periods), "period", help="默认是有数据的最近一期。")
    box.caption(periods[key].label + progress_note(periods[key], days[1]))
    return periods[key]


def data_through(period: Period, last_day: date, today: date | None = None) -> date | None:
    """The last day with data while the period is still running (today is before its end), else None."""
    today = today or date.today()
    return last_day if today < period.end and period.start <= last_day else None


def progress_note(period: Period, last_day: date, today: date | None = None) -> str:
    through = data_through(period, last_day, today)
    return f"（截至{through.month}月{through.day}日，未满期）" if through else ""


def in_progress(f: Filters) -> str:
    """The note for a period still running ("" for one that has ended): its counts are not comparable with a
    whole previous period."""
    days = cache.data_days(f.rules.basis)
    return progress_note(f.period, days[1]) if days else ""


def _unit_options(user: User, rules: Rules, group: str | None) -> dict[int, str]:
    units = cache.list_units()
    if user.role == "unit":  # a unit user filters only by its own unit
        units = [u for u in units if u["id"] == user.unit_id]
    elif group:
        units = [u for u in units if rules.group_of(u["unit_type"]) == group]
    return {u["id"]: u["name"] for u in units}


def _optional(box, label: str, options: list, key: str, placeholder: str, format_func=str):
    return bound.select(box, label, options, key, index=None, format_func=format_func, placeholder=placeholder)


def sidebar(user: User, *fields: str) -> Filters:
    """Draw the period filter, the optional `fields` (of OPTIONAL) and the rules choice; return what is chosen.
    A unit user's unit filter is always its own unit, whatever the URL says."""
    unknown = set(fields) - set(OPTIONAL)
    if unknown:
        raise ValueError(f"未知的筛选项 {sorted(unknown)} (unknown filter fields)")
    box = st.sidebar.container()  # the filters above the rules choice, though the period needs the rules first
    rules = rules_choice.choose()
    chosen = {"period": _period(box, rules)}
    if "group" in fields:
        groups = list(dict.fromkeys(rules["ranking"]["groups"].values()))
        chosen["group"] = _optional(box, "排名分组", groups, "group", "全部分组")
    if "unit" in fields:
        units = _unit_options(user, rules, chosen.get("group"))
        chosen["unit_id"] = _optional(box, "承办单位", list(units), "unit", "全部单位", units.get)
    if "cat" in fields:
        chosen["category"] = _optional(box, "问题类别", cache.category_names(), "cat", "全部类别")
    if "street" in fields:
        chosen["street"] = _optional(box, "所属街道", cache.street_names(), "street", "全部街道")
    if user.role == "unit":
        chosen["unit_id"] = user.unit_id
    return Filters(rules=rules, **chosen)


def case_filter(f: Filters, unit_id: int | None = None, **flags) -> CaseFilter:
    """The cases behind a number of this view: the period, basis, category and street of the filters, one unit
    (or the filtered unit, or all), and any CaseFilter flags (excluded=False, unsolved=True, …).
    ui.cases narrows it further to what the user may see."""
    unit = unit_id or f.unit_id
    return CaseFilter(unit_ids=(unit,) if unit else None, start=f.period.start, end=f.period.end,
                      basis=f.rules.basis, cat_l1=f.category, street=f.street, limits=Limits.of(f.rules), **flags)
