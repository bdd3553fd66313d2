"""Scoring commands (DATA_FORMAT.md §3): scores, awards, lagging; and adjust, to enter a 加减分."""

from metrics.periods import parse_period

from cli_commands.common import CliError, add_format, emit, open_engine

SCORES_COLUMNS = ["unit_code", "unit_name", "unit_type", "group", "volume", "assessed", "response_rate",
                  "resolution_rate", "satisfaction_rate", "raw_score", "adjusted_score", "rank", "tier", "ranked",
                  "not_ranked_reason", "prev_score", "prev_rank"]
AWARDS_COLUMNS = ["group", "award", "unit_name", "rank", "adjusted_score", "rank_gain"]
LAGGING_COLUMNS = ["group", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]
COLUMNS = {"scores": SCORES_COLUMNS, "awards": AWARDS_COLUMNS, "lagging": LAGGING_COLUMNS}


def register(sub, shared) -> None:
    helps = {"scores": "unit scores and ranks of a period", "awards": "红旗 and 进步奖 of a period",
             "lagging": "后进 units of a period, with the 连续后进 watchlist"}
    for name, handler in (("scores", scores_command), ("awards", awards_command), ("lagging", lagging_command)):
        p = sub.add_parser(name, parents=[shared], help=helps[name])
        p.add_argument("--period", required=True, help="2025-03, 2025-B2, 2025-Q1, 2025, 2025-W10 or a date range")
        p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
        add_format(p)
        if name == "scores":
            p.add_argument("--group", help="街乡镇 / 部门 / 企业")
        p.set_defaults(handler=handler)
    p = sub.add_parser("adjust", parents=[shared], help="add a score adjustment (加减分) for a unit and period")
    p.add_argument("--period", required=True)
    p.add_argument("--unit", required=True, help="unit name or code")
    p.add_argument("--points", required=True, type=float, help="points to add (negative to deduct)")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", default="cli")
    p.set_defaults(handler=adjust_command)


def _inputs(args):
    """Period and rules first, so a bad one is reported before the database is touched."""
    from metrics.rules import load_rules
    return parse_period(args.period), load_rules(args.rules)


def _emit(table, command: str, fmt: str) -> int:
    # pandas' NA is not a value csv or json can carry: make missing values None.
    plain = table.astype(object).where(table.notna(), None)
    emit(plain, COLUMNS[command], fmt)
    return 0


def scores_command(args) -> int:
    from metrics.scores import group_order, unit_scores
    period, rules = _inputs(args)
    if args.group is not None and args.group not in group_order(rules):
        raise CliError(f"未知的排名分组 {args.group!r}，应为 {' / '.join(group_order(rules))} (unknown --group)")
    with open_engine(args) as engine:
        return _emit(unit_scores(engine, period, rules, group=args.group), "scores", args.format)


def awards_command(args) -> int:
    from metrics.awards import awards
    period, rules = _inputs(args)
    with open_engine(args) as engine:
        return _emit(awards(engine, period, rules), "awards", args.format)


def lagging_command(args) -> int:
    from metrics.lagging import lagging
    period, rules = _inputs(args)
    with open_engine(args) as engine:
        return _emit(lagging(engine, period, rules), "lagging", args.format)


def adjust_command(args) -> int:
    from data_access.records.units import unit_index
    from metrics.adjustments import AdjustmentError, add_adjustment
    period = parse_period(args.period)
    with open_engine(args) as engine:
        with engine.connect() as conn:
            unit_id = unit_index(conn).get(args.unit)
        if unit_id is None:
            raise CliError(f"找不到承办单位 {args.unit!r} (unknown --unit: give a unit name or code)")
        try:
            new_id = add_adjustment(engine, unit_id, period.key, args.points, args.reason, args.user)
        except AdjustmentError as exc:
            raise CliError(str(exc)) from None
    print(f"已记录加减分 #{new_id}: {args.unit} {period.key} {args.points:+g} ({args.reason})")
    return 0
