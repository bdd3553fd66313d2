"""Drill-down commands (DATA_FORMAT.md §3): lost (失分工单 and 差几件 of one unit) and hotspots (高频点位)."""
import json
import sys

from metrics.periods import parse_period

from cli_commands.common import CliError, add_format, emit, open_engine, records, table_text

BY = ("address", "h3")  # metrics.hotspots.BY, not imported for --help (pandas, h3); a test keeps them equal
LOST_COLUMNS = ["case_no", "cost", "on_time", "solved", "satisfaction", "cat_l1", "cat_l2", "community"]


def register(sub, shared) -> None:
    p = sub.add_parser("lost", parents=[shared], help="失分工单 of one unit, with 差几件 to a target score")
    _common(p)
    p.add_argument("--unit", required=True, help="unit name or code")
    p.add_argument("--target", type=float, help="target score (default: the lowest 红旗 score in the unit's group)")
    p.set_defaults(handler=lost_command)
    p = sub.add_parser("hotspots", parents=[shared], help="高频点位 of a period, with 突增")
    _common(p)
    p.add_argument("--top", type=int, default=50, help="how many places (default 50)")
    p.add_argument("--by", choices=BY, default="address", help="group by normalised address or by H3 cell")
    p.set_defaults(handler=hotspots_command)


def _common(p) -> None:
    p.add_argument("--period", required=True, help="2025-03, 2025-B2, 2025-Q1, 2025, 2025-W10 or a date range")
    p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
    add_format(p)


def _plain(frame):
    # pandas' NA is not a value csv or json can carry: make missing values None.
    return frame.astype(object).where(frame.notna(), None)


def lost_command(args) -> int:
    from data_access.records.units import unit_index
    from metrics.lost import lost_cases
    from metrics.rules import load_rules
    period, rules = parse_period(args.period), load_rules(args.rules)
    with open_engine(args) as engine:
        with engine.connect() as conn:
            unit_id = unit_index(conn).get(args.unit)
        if unit_id is None:
            raise CliError(f"找不到承办单位 {args.unit!r} (unknown --unit: give a unit name or code)")
        cases = _plain(lost_cases(engine, period, rules, unit_id))
        summary = None if args.format == "csv" else _summary(engine, period, rules, unit_id, args.target)
    if args.format == "csv":
        emit(cases, LOST_COLUMNS, "csv")
    elif args.format == "json":
        keys = ("unit_name", "adjusted_score", "target", "gap_cases")
        json.dump({**{k: summary[k] for k in keys}, "cases": records(cases, LOST_COLUMNS)}, sys.stdout,
                  ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(_lost_heading(summary, period))
        sys.stdout.write(table_text(records(cases, LOST_COLUMNS), LOST_COLUMNS))
    return 0


def _summary(engine, period, rules, unit_id: int, target: float | None) -> dict:
    from metrics.lost import lost_summary
    try:
        return lost_summary(engine, period, rules, unit_id, target=target)
    except ValueError as exc:  # a unit without scores: inactive and without cases in the period
        raise CliError(str(exc)) from None


def _lost_heading(summary: dict, period) -> str:
    def score(value):
        return "无数据" if value is None else f"{value:.2f}"
    source = "本组红旗最低分" if summary["target_is_default"] else "指定"
    gap = "—" if summary["gap_cases"] is None else f"{summary['gap_cases']} 件"
    return (f"{summary['unit_name']} {period.label}: 综合成绩 {score(summary['adjusted_score'])}, "
            f"失分工单 {summary['lost_cases']} 件, 目标 {score(summary['target'])} ({source}), 差几件 {gap}")


def hotspots_command(args) -> int:
    from metrics.hotspots import COLUMNS as HOTSPOT_COLUMNS, NO_PREVIOUS, hotspots, placeholder_points
    from metrics.rules import load_rules
    period, rules = parse_period(args.period), load_rules(args.rules)
    if args.top < 1:
        raise CliError(f"--top 应为正整数，而不是 {args.top} (--top must be at least 1)")
    with open_engine(args) as engine:
        found = hotspots(engine, period, rules, by=args.by, top=args.top)
        placeholders = placeholder_points(engine, period, rules) if args.format == "table" else None
    emit(_plain(found), HOTSPOT_COLUMNS, args.format)
    # The notes go to stderr for csv / json, so that the data stays one clean table.
    note = sys.stdout if args.format == "table" else sys.stderr
    if not found.attrs["previous_data"]:
        print(f"{NO_PREVIOUS}：本期之前没有工单，不判断突增或新增 (no earlier data: no surge or new claimed)",
              file=note)
    for p in [] if placeholders is None else placeholders.itertuples():
        print(f"占位坐标 ({p.lat}, {p.lon}): {p.volume} 件, 占有坐标工单的 {p.share:.1%}, {p.addresses} 个地址，"
              f"未计入网格点位 (placeholder point, left off the H3 cells)")
    if found.attrs["placeholder_cases"] and args.by == "h3" and args.format != "table":
        print(f"占位坐标上的 {found.attrs['placeholder_cases']} 件工单未计入点位 "
              f"({found.attrs['placeholder_cases']} cases at placeholder points left off)", file=note)
    return 0
