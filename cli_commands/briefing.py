"""briefing: the meeting's Word briefing (and, with --xlsx, its workbook) for a period, without the browser.

    python cli.py briefing --period 2025-W10 --out briefing.docx [--xlsx briefing.xlsx] [--meeting ID]
"""
from pathlib import Path

from metrics.periods import parse_period

from cli_commands.common import CliError, engine_for


def register(sub, shared) -> None:
    p = sub.add_parser("briefing", parents=[shared], help="the meeting briefing of a period as .docx (and .xlsx)")
    p.add_argument("--period", required=True, help="2025-W10 (weekly meeting), 2025-03, 2025-B2, … or a date range")
    p.add_argument("--out", required=True, help="the Word file to write (.docx)")
    p.add_argument("--xlsx", help="also write the tables as an Excel workbook (.xlsx)")
    p.add_argument("--meeting", type=int, help="the meeting whose agenda to include (default: the latest meeting "
                                               "on this period; without one, the proposed agenda)")
    p.add_argument("--rules", help="rules file or preset name (default: SCORING_RULES, else default)")
    p.add_argument("--user", default="cli")
    p.set_defaults(handler=briefing_command)


def _target(path: str | None, suffix: str, option: str) -> Path | None:
    if path is None:
        return None
    target = Path(path)
    if target.suffix.lower() != suffix:
        raise CliError(f"{option} 应为 {suffix} 文件，而不是 {path!r} ({option} must end in {suffix})")
    if not target.parent.is_dir():
        raise CliError(f"{option} 的目录不存在: {target.parent} (directory not found)")
    return target


def briefing_command(args) -> int:
    from data_access.records import audit
    from data_access.records.meetings import get_meeting
    from metrics.rules import load_rules
    from reports.briefing_data import gather
    from reports.briefing_docx import build_docx
    from reports.briefing_xlsx import build_xlsx
    period, rules = parse_period(args.period), load_rules(args.rules)
    docx_path, xlsx_path = _target(args.out, ".docx", "--out"), _target(args.xlsx, ".xlsx", "--xlsx")
    engine = engine_for(args)
    if args.meeting is not None:
        with engine.connect() as conn:
            if get_meeting(conn, args.meeting) is None:
                raise CliError(f"会议 {args.meeting} 不存在 (meeting {args.meeting} not found)")
    briefing = gather(engine, period, rules, meeting_id=args.meeting)
    docx_path.write_bytes(build_docx(briefing))
    written = [docx_path]
    if xlsx_path:
        xlsx_path.write_bytes(build_xlsx(briefing))
        written.append(xlsx_path)
    audit.log(engine, args.user, "export", {"briefing": period.key, "files": [p.name for p in written]})
    print(f"已生成 {'、'.join(str(p) for p in written)}。{briefing.scope}")
    return 0
