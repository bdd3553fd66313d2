"""What every command shares: the engine, user errors, and table / csv / json output."""
import getpass
import json
import math
import sys
from contextlib import contextmanager
from datetime import date, datetime

from metrics.periods import PeriodError


class CliError(Exception):
    """Bad arguments or input: printed as one line, exit status 2."""


def user_errors() -> tuple:
    """The errors that mean bad arguments or input. Imported here, when a command has run: `--help` and argument
    errors never load SQLAlchemy or the rules (numpy), so the command line starts in a fraction of a second."""
    from sqlalchemy.exc import OperationalError

    from metrics.rules import RulesError
    return CliError, PeriodError, RulesError, OperationalError, FileNotFoundError, UnicodeDecodeError


def operator_name() -> str:
    """Who runs the command, for the audit log and the batch: never empty, even with $USER unset (cron, a
    container)."""
    try:
        name = getpass.getuser()   # $LOGNAME or $USER, else the account of the uid
    except (OSError, KeyError):  # neither set and no passwd entry for the uid
        name = ""
    return "cli:" + (name.strip() or "unknown")


def one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def engine_for(args, *, migrated: bool = True):
    from data_access.storage.engine import make_engine
    from data_access.storage.migrate import is_current
    engine = make_engine(args.db)
    if migrated and not is_current(engine):
        raise CliError("数据库尚未初始化或版本较旧，请先运行 python cli.py init-db "
                       "(database not initialised or outdated: run `python cli.py init-db` first)")
    return engine


@contextmanager
def open_engine(args):
    """The command's engine, disposed when it ends (an in-process caller, such as a test, keeps no pool open)."""
    engine = engine_for(args)
    try:
        yield engine
    finally:
        engine.dispose()


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def records(rows, columns: list[str]) -> list[dict]:
    """Rows (a DataFrame or dicts) as plain dicts with exactly these columns, in order."""
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    return [{c: _plain(r.get(c)) for c in columns} for r in rows]


def emit(rows, columns: list[str], fmt: str, out=None) -> None:
    out = out or sys.stdout
    recs = records(rows, columns)
    if fmt == "json":
        json.dump(recs, out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        from data_access.queries.export_cells import csv_rows   # numpy and pandas: loaded by a command, never by --help
        csv_rows(out, columns, ([r[c] for c in columns] for r in recs), lineterminator="\n")
    else:
        out.write(table_text(recs, columns))


def _cell(value, column: str = "") -> str:
    from metrics.registry import METRICS, NO_DATA
    fmt = METRICS[column].fmt if column in METRICS else None
    if value is None:  # a rate or score without data reads 无数据 (never 0); other empty cells "-"
        return NO_DATA if fmt in ("pct", "score") else "-"
    if isinstance(value, float):  # rates as fractions, scores as points (a score of 0 is 0.00, not 0.0000)
        return f"{value:.2f}" if fmt == "score" or (fmt != "pct" and abs(value) > 1) else f"{value:.4f}"
    return str(value)


def table_text(recs: list[dict], columns: list[str]) -> str:
    cells = [[_cell(r[c], c) for c in columns] for r in recs]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths))]
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def add_format(parser) -> None:
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
