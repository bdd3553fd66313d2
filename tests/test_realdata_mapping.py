"""The real exports in ../shared/realdata/ (never copied into the repository): `mapping suggest` then import.

- NYC 311 API export: the suggested mapping, with no hand edit, imports every row (0 rejected).
- Message board: the suggested mapping plus only an `[extract.unit]` rule imports every row; its units are the
  areas named in the subjects (A市, A7县, …), the rest the placeholder unit.
Skipped, with the reason, where the folder is absent (a fresh machine).
"""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli import main
from data_access.storage.schema import cases, units

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
NYC = REALDATA / "nyc311-api-export-2024-04-16.csv"
BOARD = REALDATA / "message-board-with-replies.xlsx"
EXTRACT_UNIT = '\n[extract.unit]\nfrom = "留言主题"\npattern = "([A-Z]\\\\d*[市区县])"\n'   # the first area named

pytestmark = pytest.mark.skipif(not NYC.exists() or not BOARD.exists(),
                                reason=f"{REALDATA} absent: the real-export checks need it (see its README)")


def suggest_then_import(tmp_path, capsys, source: Path, db: str, extra: str = "") -> str:
    toml = tmp_path / f"{source.stem}.toml"
    assert main(["mapping", "suggest", str(source), "--out", str(toml)]) == 0
    if extra:
        toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(source), "--mapping", str(toml), "--db", db]) == 0
    return capsys.readouterr().out


def test_nyc_api_export_imports_with_the_suggested_mapping_unedited(sqlite_engine, tmp_path, capsys):
    out = suggest_then_import(tmp_path, capsys, NYC, str(sqlite_engine.url))
    assert re.search(r"共 1000 行，新增 1000，更新 0，未变 0，拒收 0 ", out), out
    with sqlite_engine.connect() as conn:
        agencies = set(conn.execute(select(units.c.name)).scalars())
    assert {"NYPD", "DOT", "HPD"} <= agencies


def test_message_board_imports_with_only_an_extract_rule_added(sqlite_engine, tmp_path, capsys):
    out = suggest_then_import(tmp_path, capsys, BOARD, str(sqlite_engine.url), EXTRACT_UNIT)
    assert re.search(r"共 2816 行，新增 2816，.*拒收 0 ", out), out
    with sqlite_engine.connect() as conn:
        names = set(conn.execute(select(units.c.name)).scalars())
        placeholder = conn.execute(select(func.count()).select_from(cases).join(units)
                                   .where(units.c.name == "未指定单位")).scalar()
    assert {"A市", "A7县", "A2区", "B市"} <= names
    assert all(re.fullmatch(r"[A-Z]\d*[市区县]", n) for n in names - {"未指定单位"}), names
    # About 9 subjects in 10 name their area (README of realdata); the rest go to the placeholder unit.
    assert 0 < placeholder < 2816 * 0.2, placeholder


def test_nyc_api_export_imports_with_the_shipped_311_mapping(sqlite_engine, capsys):
    assert main(["import", str(NYC), "--mapping", "open311", "--db", str(sqlite_engine.url)]) == 0
    assert re.search(r"共 1000 行，新增 1000，更新 0，未变 0，拒收 0 ", capsys.readouterr().out)
