"""The architecture as an import graph (README "Layout"): data flows database → data_access → metrics →
charts / reports / ui → pages, and no room imports one above it. Read from the source with ast, so a lazy import
inside a function counts too."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package of ours and the packages of ours it may import.
ALLOWED = {
    "data_access": {"settings"},
    "demo": {"data_access", "settings"},
    "metrics": {"data_access", "settings"},
    "charts": {"metrics"},
    "reports": {"data_access", "metrics", "charts", "settings"},
    "ui": {"data_access", "demo", "metrics", "charts", "reports", "settings"},
    "pages": {"ui", "data_access", "metrics", "charts", "reports", "settings"},
    "cli_commands": {"data_access", "demo", "metrics", "reports", "settings"},
}
OURS = set(ALLOWED) | {"settings", "app", "cli"}
STREAMLIT_ALLOWED = {"ui", "pages"}
# data_access's rooms: storage (engine, schema, migrations' models, base counts) stands on nothing else.
STORAGE_ALLOWED = {"storage"}


def _sources(package: str):
    return sorted(p for p in (ROOT / package).rglob("*.py"))


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def _ours(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in OURS else None


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_one_above_it(package):
    wrong = {}
    for path in _sources(package):
        for module in _imports(path):
            top = _ours(module)
            if top and top != package and top not in ALLOWED[package]:
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(module)
            if module.split(".")[0] == "streamlit" and package not in STREAMLIT_ALLOWED:
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(module)
    assert wrong == {}, f"{package} may import only {sorted(ALLOWED[package])} of ours (and streamlit only in ui, pages)"


def test_storage_stands_on_nothing_else_of_data_access():
    wrong = {}
    for path in _sources("data_access/storage"):
        if "migrations" in path.parts:
            continue  # a data migration may reuse the import pipeline's derivations (h3 cells, repeat gaps)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "data_access" and len(parts) > 1 and parts[1] not in STORAGE_ALLOWED:
                wrong.setdefault(str(path.relative_to(ROOT)), []).append(module)
    assert wrong == {}


def test_every_data_access_module_lives_in_a_room():
    loose = [p.name for p in (ROOT / "data_access").glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def _calls(package: str, pattern: str) -> list[str]:
    hits = []
    for path in _sources(package):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(pattern, line.split("#")[0]):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return hits


def test_pages_open_no_connection_or_transaction():
    assert _calls("pages", r"\.(connect|begin)\(\)") == []


@pytest.mark.parametrize("package", ["metrics", "charts", "reports", "ui", "pages", "cli_commands"])
def test_writes_hold_their_transaction_in_data_access(package):
    """Every write — cases, units, meetings and agenda items, adjustments, targets, mappings, audit entries — is a
    data_access function that holds the transaction with its audit record; the layers above call it."""
    assert _calls(package, r"\.begin\(\)") == []


def test_the_repository_paths_are_the_repository_root():
    """Modules moved into rooms still find the repository's own folders (data/, .streamlit/)."""
    from data_access.ingest.column_mappings import USER_DIR
    from data_access.storage.engine import DEFAULT_SQLITE, SECRETS
    assert (DEFAULT_SQLITE, SECRETS, USER_DIR) == (ROOT / "data" / "cases.db", ROOT / ".streamlit" / "secrets.toml",
                                                   ROOT / "data" / "mappings")
