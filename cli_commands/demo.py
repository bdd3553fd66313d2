"""seed-demo: build the demo district (东城区) in the database, with progress on stderr."""
import sys

from cli_commands.common import CliError, engine_for


def register(sub, shared) -> None:
    p = sub.add_parser("seed-demo", parents=[shared],
                       help="fill an empty database with the made-up demo district (东城区)")
    # The defaults are demo.seed's DEFAULT_MONTHS / DEFAULT_SCALE, kept here so that --help loads nothing
    # heavy (tests/test_demo.py checks they are equal).
    p.add_argument("--months", type=int, default=37, help="months of cases, ending with --end (default 37)")
    p.add_argument("--end", help="last month YYYY-MM (default: this month, cases up to yesterday)")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same cases")
    p.add_argument("--scale", type=float, default=0.35,
                   help="volume factor (default 0.35); 1.0 ≈ 28,000 cases a month")
    p.set_defaults(handler=seed)


def seed(args) -> int:
    from demo.seed import DemoRefused, seed_demo
    from data_access.storage.migrate import upgrade
    engine = engine_for(args, migrated=False)
    upgrade(engine)  # a new database needs no separate init-db; upgrading never drops data
    try:
        summary = seed_demo(engine, months=args.months, end=args.end, seed=args.seed, scale=args.scale,
                            progress=_progress_printer())
    except DemoRefused as exc:
        raise CliError(str(exc)) from None
    print(f"演示数据已生成: {summary['units']} 个承办单位, {summary['cases']} 件工单, "
          f"{summary['first_day']} 至 {summary['last_day']}, 用时 {summary['seconds']} 秒 "
          f"(demo district built: {summary['cases']} cases in {len(summary['months'])} months)")
    return 0


def _progress_printer():
    shown = {"percent": -1}

    def show(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent != shown["percent"]:
            shown["percent"] = percent
            sys.stderr.write(f"\r写入演示工单 {done}/{total} ({percent}%)" + ("\n" if done == total else ""))
            sys.stderr.flush()
    return show
