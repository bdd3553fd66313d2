"""Data commands: init-db, import (files, folders or zips as one batch) and rejects (the rows an import refused)."""
import sys
from pathlib import Path

from cli_commands.common import CliError, emit, engine_for, operator_name
from data_access.ingest.coords import CRS_NAMES


def register(sub, shared) -> None:
    p = sub.add_parser("init-db", parents=[shared], help="create or upgrade the schema (never drops data)")
    p.set_defaults(handler=init_db)

    p = sub.add_parser("import", parents=[shared], help="import work-order files (CSV or XLSX) as one batch")
    p.add_argument("files", nargs="+", metavar="FILE|DIR|ZIP",
                   help="CSV (UTF-8 or GBK) or XLSX files, folders of them, or .zip files of them")
    p.add_argument("--mapping", help="column mapping: canonical (default), 12345, open311, a name saved in the "
                                     "database or in data/mappings/, or a TOML path")
    p.add_argument("--crs", choices=CRS_NAMES, default="wgs84", help="coordinate system of 经度/纬度 in the file")
    p.set_defaults(handler=import_cases)

    p = sub.add_parser("rejects", parents=[shared], help="list an import's rejected rows, or save them to correct")
    p.add_argument("--batch", type=int, help="batch id (default: the latest import)")
    p.add_argument("--out", help="write the rows as CSV with the original columns, to correct and import again")
    p.set_defaults(handler=show_rejects)

    p = sub.add_parser("caller-key", parents=[shared],
                       help="move a caller hash key kept in the database to a file (then set CALLER_HASH_KEY_FILE)")
    p.add_argument("--move-to", required=True, help="the new key file (created with mode 600; must not exist)")
    p.set_defaults(handler=move_caller_key)


def init_db(args) -> int:
    from data_access.storage.engine import make_engine, resolve_url
    from data_access.storage.migrate import upgrade
    engine = make_engine(args.db)
    revision = upgrade(engine)
    print(f"database ready at schema {revision}: {_safe_url(resolve_url(args.db))}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def import_cases(args) -> int:
    from data_access.ingest.case_fields import ImportRefused
    from data_access.ingest.importer import import_paths
    from data_access.ingest.saved_mappings import resolve_mapping
    missing = [f for f in args.files if not Path(f).exists()]
    if missing:
        raise CliError(f"找不到文件 {missing[0]} (file not found: {missing[0]})")
    engine = engine_for(args)
    show_progress = sys.stderr.isatty()
    try:
        with engine.connect() as conn:
            mapping = resolve_mapping(conn, args.mapping)
        result = import_paths(engine, args.files, mapping=mapping, crs=args.crs, user=operator_name(),
                              progress=_progress if show_progress else None)
    except ImportRefused as exc:
        raise CliError(str(exc)) from exc
    finally:
        if show_progress:
            print(file=sys.stderr)
    print(_summary(result))
    return 0


def move_caller_key(args) -> int:
    from data_access.records import audit
    from data_access.ingest.privacy import HashKeyMissing, move_stored_key
    engine = engine_for(args)
    try:
        audit.with_record(engine, operator_name(), "caller_key_moved", {"file": str(args.move_to)},
                          lambda conn: move_stored_key(conn, Path(args.move_to)))
    except HashKeyMissing as exc:
        raise CliError(str(exc)) from exc
    print(f"密钥已移至 {args.move_to}，请设置 CALLER_HASH_KEY_FILE={args.move_to} "
          f"(key moved: set CALLER_HASH_KEY_FILE={args.move_to})")
    return 0


def _progress(rows: int, fraction: float) -> None:
    total = f" / 约 {rows / fraction:,.0f}" if 0 < fraction < 1 else ""
    print(f"\r已读 {rows:,}{total} 行 ({fraction:.0%}) (rows read)", end="", file=sys.stderr, flush=True)


def _summary(r) -> str:
    """`r`: the importer's ImportResult."""
    from data_access.ingest.importer import note_lines
    from metrics.registry import no_data_notices
    if r.duplicate_of is not None:
        return (f"{r.file_name} 已由批次 {r.duplicate_of} 导入，本次未做任何更改 "
                f"(already imported as batch {r.duplicate_of}: nothing changed)")
    lines = [f"批次 {r.batch_id}（{r.file_name}）: 共 {r.rows} 行，新增 {r.new}，更新 {r.updated}，未变 {r.unchanged}，"
             f"拒收 {r.rejected} (batch {r.batch_id}: {r.rows} rows, {r.new} new, {r.updated} updated, "
             f"{r.unchanged} unchanged, {r.rejected} rejected)"]
    if r.new_units:
        lines.append(f"新建承办单位 (new units): {'、'.join(r.new_units)}")
    if len(r.files) > 1:
        lines.append(f"文件 (files): {'、'.join(r.files)}")
    if r.ignored_columns:
        lines.append(f"未使用的列 (columns not imported): {'、'.join(r.ignored_columns)}")
    lines += [f"注意 (note): {line}" for line in note_lines(r.notes)]
    for notice, field in zip(no_data_notices(r.not_provided), r.not_provided):
        lines.append(f"{notice} (no {field} column: its rates will read no data)")
    if r.rejected:
        lines.append(f"导出拒收行以修改后重新导入 (to correct the rejected rows): "
                     f"python cli.py rejects --batch {r.batch_id} --out rejects.csv")
    return "\n".join(lines)


def show_rejects(args) -> int:
    from data_access.records import audit
    from data_access.ingest.batches import get_batch
    from data_access.ingest.rejects import latest_import_batch, list_rejects, rejects_csv
    engine = engine_for(args)
    with engine.connect() as conn:
        batch = args.batch if args.batch is not None else latest_import_batch(conn)
        if batch is None:
            raise CliError("还没有导入过文件 (no file has been imported yet)")
        if get_batch(conn, batch) is None:
            raise CliError(f"批次 {batch} 不存在 (batch {batch} does not exist)")
        rows = list_rejects(conn, batch)
    if args.out:
        Path(args.out).write_bytes(rejects_csv(rows))
        # an export of raw rows, audited as the web's download is
        audit.log(engine, operator_name(), "export", {"file": Path(args.out).name, "batch": batch}, len(rows))
        print(f"批次 {batch} 的 {len(rows)} 行拒收行已写入 {args.out} "
              f"(batch {batch}: {len(rows)} rejected rows written to {args.out})")
        return 0
    print(f"批次 {batch}: 拒收 {len(rows)} 行 (batch {batch}: {len(rows)} rejected rows)")
    if rows:
        emit(rows, ["row_number", "reason"], "table")
    return 0
