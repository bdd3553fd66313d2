"""The command line (DATA_FORMAT.md §3): every dashboard number without the browser.

    python cli.py init-db | seed-demo | import | rejects | scores | awards | lagging | lost | hotspots | briefing
    python cli.py mapping suggest|save|export|list | units import|export|rename|merge
    python cli.py topics | hotwords | classify train|evaluate|suggest
    python cli.py forecast | project | daily
    python cli.py user add|disable|enable|reset|list | audit
    python cli.py serve   (N app processes behind nginx: scripts/serve.sh)

Exit status 0 on success, 2 on bad arguments or input, with a one-line reason on stderr.
Each command imports what it needs (pandas, SQLAlchemy, the briefing) when it runs: `--help` starts fast.
"""
import argparse
import sys

from cli_commands import briefing, common, data, demo, drill, foresight, mappings, scoring, serve, text, users


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="接诉即办 调度驾驶舱 command line")
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--db", help="database URL (default: CASES_DB_URL, secrets.toml, or data/cases.db)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (data, mappings, demo, scoring, drill, briefing, foresight, text, users, serve):
        module.register(sub, shared)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except common.user_errors() as exc:  # evaluated only when an error arrives
        print(f"error: {common.one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
