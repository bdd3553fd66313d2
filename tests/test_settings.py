"""One settings module (settings.py): every setting in README's Configuration table, and no other module reading
the environment. The messages name the setting and the file, so a newly added setting is quick to put right."""
import re
from pathlib import Path

import settings

ROOT = Path(__file__).resolve().parents[1]
# The app's code; tests/ and bench/ read their own harness variables (TEST_*, CI), listed in README's test section.
APP_CODE = ("app.py", "cli.py", "cli_commands", "charts", "data_access", "demo", "metrics", "pages", "reports", "ui")
READS_ENV = re.compile(r"\bos\.(environ|getenv)\b|\bgetenv\(|from os import .*\b(environ|getenv)\b")
NAMED = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["'](\w+)["']""")


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def _app_files():
    for entry in APP_CODE:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_every_setting_has_a_default_and_a_meaning_and_a_unique_name():
    names = [s.name for s in settings.ALL]
    assert len(names) == len(set(names)) >= 10
    assert all(s.meaning for s in settings.ALL)
    assert settings.QUERY_TIMEOUT_S.default == "10" and settings.AUTH_HEADER.default == "X-Remote-User"


def test_every_setting_is_in_the_readme_configuration_table():
    table = _configuration_table()
    missing = [s.name for s in settings.ALL if f"`{s.name}`" not in table]
    assert not missing, f"settings.py declares {missing}, absent from README.md's Configuration table: add a row"


def test_every_setting_in_the_readme_table_is_declared():
    declared = {s.name for s in settings.ALL}
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", _configuration_table(), flags=re.M)
    ghosts = [name for name in rows if name not in declared]
    assert not ghosts, f"README.md's Configuration table lists {ghosts}, not declared in settings.py"


def test_only_settings_py_reads_the_environment():
    readers = []
    for path in _app_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READS_ENV.search(line):
                named = NAMED.findall(line)
                what = f"setting {', '.join(named)}" if named else "the environment"
                readers.append(f"{path.relative_to(ROOT)}:{number} reads {what} directly: {line.strip()}")
    assert not readers, ("declare each setting in settings.py (name, default, meaning), read it as "
                         "settings.NAME.get(), and list it in README.md's Configuration table:\n" + "\n".join(readers))


def test_a_setting_reads_the_environment_when_asked(monkeypatch):
    monkeypatch.delenv("AUTH_HEADER", raising=False)
    assert settings.AUTH_HEADER.get() == "X-Remote-User"
    monkeypatch.setenv("AUTH_HEADER", "X-Forwarded-User")
    assert settings.AUTH_HEADER.get() == "X-Forwarded-User"
    monkeypatch.setenv("AUTH_HEADER", "")
    assert settings.AUTH_HEADER.get() == "X-Remote-User"
