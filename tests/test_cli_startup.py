"""`python cli.py --help` starts fast: the heavy modules load only inside the commands that use them."""
import subprocess
import sys
from pathlib import Path

from cli_commands import drill, text, users

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "sqlalchemy", "altair", "alembic", "argon2", "h3", "docx", "openpyxl", "metrics.rules",
         "data_access.storage.engine", "reports.briefing_data", "sklearn", "jieba", "statsmodels")


def test_help_loads_none_of_the_heavy_modules():
    probe = ("import sys, cli\n"
             "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage: cli.py" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded:"


def test_the_choices_kept_for_help_equal_their_sources():
    from data_access.records.users import ROLES
    from metrics.hotspots import BY
    from metrics.text import classifier, hotwords, topics
    assert users.ROLES == ROLES and drill.BY == BY
    assert text.RANKS == topics.RANKS and text.HOT_BY == tuple(hotwords.BY)
    assert text.CLASSIFIED == tuple(classifier.FIELDS)
