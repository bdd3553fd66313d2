"""未诉先办 commands: forecast (expected volumes by category or street, with backtest error), project (each
unit's month-end score from the month so far, with 差几件 to its target) and daily (每日专报, .docx)."""
from datetime import date
from pathlib import Path

from metrics.periods import parse_period

from cli_commands.common import CliError, add_format, emit, open_engine

FREQ_OF_KIND = {"week": "W", "month": "M"}


def register(sub, shared) -> None:
    p = sub.add_parser("forecast", parents=[shared],
                       help="expected volumes by category or street, with interval and backtest WAPE")
    p.add_argument("--period", required=True, help="the first month (2025-12) or ISO week (2025-W49) to forecast")
    p.add_argument("--by", choices=("cat_l2", "street"), default="cat_l2", help="category (default) or street")
    p.add_argument("--horizon", type=int, help="how many periods from --period (default: 4 weeks, 1 month)")
    p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
    add_format(p)
    p.set_defaults(handler=forecast_command)
    p = sub.add_parser("project", parents=[shared],
                       help="each unit's projected month-end score from the month so far, with 差几件 to its target")
    p.add_argument("--date", required=True, help="the last day of data to use, YYYY-MM-DD (the month so far)")
    p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
    add_format(p)
    p.set_defaults(handler=project_command)
    p = sub.add_parser("daily", parents=[shared], help="每日专报 of one day (.docx)")
    p.add_argument("--date", required=True, help="the day, YYYY-MM-DD")
    p.add_argument("--out", required=True, help="the .docx file to write")
    p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
    p.set_defaults(handler=daily_command)


def forecast_command(args) -> int:
    from metrics.foresight import COLUMNS as FORECAST_COLUMNS, forecasts
    from metrics.rules import load_rules
    period, rules = parse_period(args.period), load_rules(args.rules)
    freq = FREQ_OF_KIND.get(period.kind)
    if freq is None:
        raise CliError(f"预测的 --period 应为月份 (2025-12) 或周 (2025-W49)，而不是 {args.period!r} "
                       "(--period must be a month or an ISO week)")
    horizon = args.horizon if args.horizon is not None else (4 if freq == "W" else 1)
    if not 1 <= horizon <= 12:
        raise CliError(f"--horizon 应在 1 到 12 之间，而不是 {horizon} (--horizon must be 1..12)")
    from data_access.queries.filter_options import data_days
    from data_access.queries.volume_series import RECEIVED
    with open_engine(args) as engine:
        frame = forecasts(engine, rules, by=args.by, freq=freq, horizon=horizon, start=period)
        if frame.empty:
            with engine.connect() as conn:
                empty = data_days(conn, RECEIVED) is None
    if frame.empty and empty:
        raise CliError("数据库中没有工单，无法预测 (no cases to forecast from)")
    if frame.empty:
        whole = "周" if freq == "W" else "月"
        raise CliError(f"数据不足：还没有一个完整的{whole}带{'二级分类' if args.by == 'cat_l2' else '所属街道'}的工单，无法预测 "
                       f"(history too short: no complete {period.kind} of cases with {args.by})")
    frame = frame.sort_values(["period", "forecast", "key"], ascending=[True, False, True])
    emit(frame.astype(object).where(frame.notna(), None), FORECAST_COLUMNS, args.format)
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--date 应为 YYYY-MM-DD，而不是 {text!r} (--date must be YYYY-MM-DD)") from None


def project_command(args) -> int:
    from metrics.projection import COLUMNS as PROJECT_COLUMNS, projections
    from metrics.rules import load_rules
    day = _day(args.date)
    rules = load_rules(args.rules)
    with open_engine(args) as engine:
        frame = projections(engine, rules, day)
    if frame.empty:
        raise CliError(f"{day:%Y-%m} 月初至 {day} 没有工单，无法预测 (no cases this month up to --date)")
    emit(frame.astype(object).where(frame.notna(), None), PROJECT_COLUMNS, args.format)
    return 0


def daily_command(args) -> int:
    from metrics.rules import load_rules
    from reports.daily import build_daily_docx, gather_daily
    day = _day(args.date)
    rules = load_rules(args.rules)
    with open_engine(args) as engine:
        content = build_daily_docx(gather_daily(engine, rules, day))
    Path(args.out).write_bytes(content)
    print(f"每日专报已写入 {args.out} (daily report written)")
    return 0
