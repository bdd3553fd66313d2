"""`cli.py mapping suggest|save|export|list` and `units import|export|rename|merge`: what they print and write,
a saved name usable with `import --mapping`, exit status 2 with a one-line reason on bad input."""
from data_access.ingest.column_mappings import load_mapping
from tests.test_cli_import import run

EXPORT = ("编号,来电时间,主办单位,问题类型,是否解决,状态\n"
          "Q1,2025/3/1 8:00:00,东城区城管委,市容环卫,已解决,已办结\n"
          "Q2,2025/3/2 9:30:00,东城区城管委,供水,未解决,办理中\n")


def test_suggest_prints_the_proposal_and_writes_a_loadable_mapping(tmp_path, capsys):
    src = tmp_path / "export.csv"
    src.write_text(EXPORT, encoding="utf-8")
    out_file = tmp_path / "m.toml"
    code, out, _ = run(capsys, "mapping", "suggest", str(src), "--out", str(out_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["field", "字段", "header", "confidence", "sample"]
    assert lines[1].split()[:3] == ["case_no", "工单编号", "编号"]
    assert "值对照 solved (values): 已解决 → 解决" in out
    assert "「状态」像是办理状态" in out
    mapping = load_mapping(str(out_file))
    assert (mapping.headers["unit"][0], mapping.values["solved"], mapping.defaults) == (
        "主办单位", {"已解决": "解决"}, {"unit_type": "区级部门"})


def test_saved_mapping_is_used_by_name_and_exported(sqlite_engine, tmp_path, capsys):
    db = str(sqlite_engine.url)
    src = tmp_path / "export.csv"
    src.write_text(EXPORT, encoding="utf-8")
    run(capsys, "mapping", "suggest", str(src), "--out", str(tmp_path / "ours.toml"))
    code, out, _ = run(capsys, "mapping", "save", str(tmp_path / "ours.toml"), "--name", "城管系统", "--db", db)
    assert code == 0 and "列映射「城管系统」已保存" in out
    code, out, _ = run(capsys, "import", str(src), "--mapping", "城管系统", "--db", db)
    assert code == 0 and "共 2 行，新增 2，更新 0，未变 0，拒收 0" in out
    code, out, _ = run(capsys, "mapping", "export", "城管系统", "--db", db)
    assert code == 0 and out == (tmp_path / "ours.toml").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "mapping", "list", "--db", db)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["canonical", "12345", "open311", "城管系统"]
    code, _, err = run(capsys, "import", str(src), "--mapping", "nosuch", "--db", db)
    assert code == 2 and err.startswith("error: 找不到列映射「nosuch」，可用: canonical, 12345, open311, 城管系统")


def test_units_import_export_rename_merge(sqlite_engine, tmp_path, capsys):
    db = str(sqlite_engine.url)
    units_file = tmp_path / "units.csv"
    units_file.write_text("code,name,unit_type,street,population\nDOT,DOT,区级部门,,\nHPD,HPD,区级部门,,\n"
                          "110101001,东华门街道,街道,东华门街道,52000\n", encoding="utf-8")
    code, out, _ = run(capsys, "units", "import", str(units_file), "--db", db)
    assert code == 0 and out.startswith("新建 3 个单位，更新 0 个")
    assert run(capsys, "units", "rename", "DOT", "交通局", "--db", db)[0] == 0
    code, out, _ = run(capsys, "units", "merge", "HPD", "DOT", "--db", db)   # DOT: the code still names it
    assert code == 0 and out.startswith("单位「HPD」已并入「交通局」，移动工单 0 件")
    code, out, _ = run(capsys, "units", "export", "--db", db)
    assert out == ("code,name,unit_type,street,population\n110101001,东华门街道,街道,东华门街道,52000\n"
                   "DOT,交通局,区级部门,,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,unit_type\nX,甲,委办局\n", encoding="utf-8")
    code, _, err = run(capsys, "units", "import", str(bad), "--db", db)
    assert code == 2 and err.startswith("error: 单位文件有 1 行有误，未做任何改动") and err.count("\n") == 1
    code, _, err = run(capsys, "units", "merge", "nosuch", "DOT", "--db", db)
    assert (code, err) == (2, "error: 找不到单位「nosuch」 (no unit named or coded 'nosuch')\n")
