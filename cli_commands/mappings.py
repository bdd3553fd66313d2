"""Mapping and unit-directory commands: `mapping suggest|save|export|list` and `units import|export|rename|merge`
(DATA_FORMAT.md §1b, §3)."""
import io
import sys
from pathlib import Path

from cli_commands.common import CliError, emit, open_engine, operator_name


def register(sub, shared) -> None:
    p = sub.add_parser("mapping", help="propose, save, export or list column mappings")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("suggest", help="propose a mapping from a file's headers and sample values")
    q.add_argument("file", help="CSV or XLSX export")
    q.add_argument("--out", help="write the proposal as a TOML mapping file")
    q.set_defaults(handler=suggest)
    q = actions.add_parser("save", parents=[shared], help="save a TOML mapping file in the database by name")
    q.add_argument("file", help="TOML mapping file")
    q.add_argument("--name", help="name to save it under (default: the file name without .toml)")
    q.set_defaults(handler=save)
    q = actions.add_parser("export", parents=[shared], help="print or write a mapping as TOML")
    q.add_argument("name")
    q.add_argument("--out", help="TOML file to write")
    q.set_defaults(handler=export)
    q = actions.add_parser("list", parents=[shared], help="list the mappings on offer")
    q.set_defaults(handler=list_all)

    p = sub.add_parser("units", help="the unit directory: import / export a units CSV, rename, merge")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("import", parents=[shared], help="create or update units from code,name,unit_type,"
                                                            "street,population")
    q.add_argument("file")
    q.set_defaults(handler=units_import)
    q = actions.add_parser("export", parents=[shared], help="the units as CSV code,name,unit_type,street,population")
    q.add_argument("--out", help="CSV file to write (default: print)")
    q.set_defaults(handler=units_export)
    q = actions.add_parser("rename", parents=[shared], help="give a unit (by name or code) a new display name")
    q.add_argument("unit")
    q.add_argument("name")
    q.set_defaults(handler=units_rename)
    q = actions.add_parser("merge", parents=[shared], help="merge SOURCE into TARGET (cases, 加减分, agenda follow)")
    q.add_argument("source")
    q.add_argument("target")
    q.set_defaults(handler=units_merge)


def suggest(args) -> int:
    from data_access.ingest.case_fields import ImportRefused
    from data_access.ingest.mapping_suggest import suggest_file
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"找不到文件 {args.file} (file not found: {args.file})")
    try:
        proposal = suggest_file(path.read_bytes(), path.name)
    except ImportRefused as exc:
        raise CliError(str(exc)) from exc
    print(proposal_text(proposal))
    if args.out:
        Path(args.out).write_text(proposal.toml(f"{path.stem} 的列映射"), encoding="utf-8")
        print(f"\n已写入 {args.out}；可按需修改后导入: python cli.py import {args.file} --mapping {args.out} "
              f"(written to {args.out})")
    return 0


def proposal_text(proposal) -> str:
    """`proposal`: a data_access.ingest.mapping_suggest.Suggestion."""
    from data_access.ingest.case_fields import FIELD_BY_KEY
    rows = [{"field": k, "字段": FIELD_BY_KEY[k].header, "header": g.header, "confidence": f"{g.confidence:.0%}",
             "sample": g.sample.replace("\n", " ")} for k, g in proposal.guesses.items() if g.header]
    out = io.StringIO()
    emit(rows, ["field", "字段", "header", "confidence", "sample"], "table", out)
    lines = [out.getvalue().rstrip()]
    if proposal.missing:
        lines.append("未找到的必需字段 (required fields not found): "
                     + "、".join(f"{FIELD_BY_KEY[k].header}({k})" for k in proposal.missing))
    if proposal.defaults:
        lines.append("默认值 (defaults): " + "，".join(f"{k} = {v}" for k, v in proposal.defaults.items()))
    if proposal.datetime_formats:
        lines.append("识别的日期格式 (date formats sniffed): " + "  ".join(proposal.datetime_formats))
    for key, table in proposal.values.items():
        lines.append(f"值对照 {key} (values): " + "，".join(f"{a} → {b}" for a, b in table.items()))
    lines += proposal.notes
    unused = [h for h in proposal.headers if h.strip() and h not in {g.header for g in proposal.guesses.values()}]
    if unused:
        lines.append("不导入的列 (columns not used): " + "、".join(unused))
    return "\n".join(lines)


def save(args) -> int:
    from data_access.ingest.case_fields import ImportRefused
    from data_access.ingest.saved_mappings import save_mapping_recorded
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"找不到文件 {args.file} (file not found: {args.file})")
    name = args.name or path.stem
    with open_engine(args) as engine:
        try:
            mapping = save_mapping_recorded(engine, name, path.read_text(encoding="utf-8"), operator_name())
        except ImportRefused as exc:
            raise CliError(str(exc)) from exc
    print(f"列映射「{name}」已保存（{mapping.label}）；导入时用 --mapping {name} (mapping saved as {name!r})")
    return 0


def export(args) -> int:
    from data_access.ingest.case_fields import ImportRefused
    from data_access.ingest.saved_mappings import export_mapping_recorded
    with open_engine(args) as engine:
        try:
            text = export_mapping_recorded(engine, args.name, operator_name())
        except ImportRefused as exc:
            raise CliError(str(exc)) from exc
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"列映射「{args.name}」已写入 {args.out} (written to {args.out})")
    else:
        sys.stdout.write(text)
    return 0


def list_all(args) -> int:
    from data_access.ingest.saved_mappings import all_mappings
    with open_engine(args) as engine, engine.connect() as conn:
        rows = [{"name": n, "label": label} for n, label in all_mappings(conn)]
    emit(rows, ["name", "label"], "table")
    return 0


def units_import(args) -> int:
    from data_access.ingest.file_reader import decode
    from data_access.records.unit_directory import UnitError, import_units_recorded
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"找不到文件 {args.file} (file not found: {args.file})")
    with open_engine(args) as engine:
        try:
            counts = import_units_recorded(engine, decode(path.read_bytes(), path.name), path.name, operator_name())
        except UnitError as exc:
            raise CliError(str(exc)) from exc
    print(f"新建 {counts['created']} 个单位，更新 {counts['updated']} 个 "
          f"({counts['created']} units created, {counts['updated']} updated)")
    return 0


def units_export(args) -> int:
    from data_access.records.unit_directory import export_units_recorded
    with open_engine(args) as engine:
        data = export_units_recorded(engine, args.out or "stdout", operator_name())
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"单位目录已写入 {args.out} (units written to {args.out})")
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def _unit_id(engine, name: str) -> int:
    from data_access.records.units import unit_index
    with engine.connect() as conn:
        unit_id = unit_index(conn).get(name)
    if unit_id is None:
        raise CliError(f"找不到单位「{name}」 (no unit named or coded {name!r})")
    return unit_id


def units_rename(args) -> int:
    from data_access.records.unit_directory import UnitError, rename_recorded
    with open_engine(args) as engine:
        unit_id = _unit_id(engine, args.unit)
        try:
            old = rename_recorded(engine, unit_id, args.name, operator_name())
        except UnitError as exc:
            raise CliError(str(exc)) from exc
    print(f"单位「{old}」已改名为「{args.name}」 (renamed)")
    return 0


def units_merge(args) -> int:
    from data_access.records.unit_directory import UnitError, merge_recorded
    with open_engine(args) as engine:
        source, target = _unit_id(engine, args.source), _unit_id(engine, args.target)
        try:
            merged = merge_recorded(engine, source, target, operator_name())
        except UnitError as exc:
            raise CliError(str(exc)) from exc
    print(f"单位「{merged['source']}」已并入「{merged['target']}」，移动工单 {merged['cases']} 件 "
          f"(merged, {merged['cases']} cases moved)")
    return 0
