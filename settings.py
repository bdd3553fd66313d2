"""Every environment setting the app reads, with its default and meaning: the one module that reads os.environ.

README's Configuration table lists each one (tests/test_settings.py checks that, and that no other module reads the
environment). Values are read when asked for, so a changed environment (a test, a restarted app) is seen. Below
every layer: imports nothing of the project.
"""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str

    def get(self) -> str | None:
        """The environment's value; unset or empty gives the default."""
        return os.environ.get(self.name) or self.default


CASES_DB_URL = Setting("CASES_DB_URL", None, "the case database's URL (else secrets.toml, else data/cases.db)")
SCORING_RULES = Setting("SCORING_RULES", "default", "a rules preset name or a rules TOML file")
AUTH_MODE = Setting("AUTH_MODE", "", "header | oidc | local | unset (the open demo mode, demo database only)")
AUTH_HEADER = Setting("AUTH_HEADER", "X-Remote-User", "the request header a login proxy names the user in")
AUTH_OIDC_PROVIDER = Setting("AUTH_OIDC_PROVIDER", None, "the [auth] provider st.login uses (default: the only one)")
AUTH_OIDC_CLAIM = Setting("AUTH_OIDC_CLAIM", "email", "the identity claim that names the user")
CALLER_HASH_KEY = Setting("CALLER_HASH_KEY", None, "key of the caller phones' keyed hash (else one per database)")
CALLER_HASH_KEY_FILE = Setting("CALLER_HASH_KEY_FILE", None, "a file holding the caller hash key (chmod 600)")
AUTH_TRUSTED_PROXIES = Setting("AUTH_TRUSTED_PROXIES", "127.0.0.1,::1",
                               "header mode: addresses or networks the login proxy connects from; * = any")
AUTH_PROXY_SECRET = Setting("AUTH_PROXY_SECRET", "", "header mode: a shared secret the login proxy must send")
AUTH_PROXY_SECRET_HEADER = Setting("AUTH_PROXY_SECRET_HEADER", "X-Proxy-Secret", "the header carrying that secret")
QUERY_TIMEOUT_S = Setting("QUERY_TIMEOUT_S", "10", "a statement's time limit in seconds; 0 or less: none")
MAP_STYLE_URL = Setting("MAP_STYLE_URL", None, "an intranet basemap style.json (default: no basemap)")
TEXT_MODEL_DIR = Setting("TEXT_MODEL_DIR", None, "where the 诉求分析 classifier is stored (default data/models/)")
# The importer's limits (data_access/ingest/import_limits.py holds their defaults; docs/security.md "File limits").
IMPORT_MAX_FILE_MB = Setting("IMPORT_MAX_FILE_MB", None, "MB of one file (a zip member; an xlsx unzipped)")
IMPORT_MAX_BATCH_MB = Setting("IMPORT_MAX_BATCH_MB", None, "MB of all files of one batch")
IMPORT_MAX_ROWS = Setting("IMPORT_MAX_ROWS", None, "data rows of one batch")
IMPORT_MAX_COLUMNS = Setting("IMPORT_MAX_COLUMNS", None, "cells of one row")
IMPORT_MAX_CELL_CHARS = Setting("IMPORT_MAX_CELL_CHARS", None, "characters of one cell")
IMPORT_MAX_ROW_LINES = Setting("IMPORT_MAX_ROW_LINES", None, "lines one CSV row may span")
IMPORT_MAX_EMPTY_ROWS = Setting("IMPORT_MAX_EMPTY_ROWS", None, "consecutive empty xlsx rows that end a sheet")
IMPORT_MAX_ZIP_FILES = Setting("IMPORT_MAX_ZIP_FILES", None, "members of a zip (or parts of an xlsx)")
IMPORT_DATE_FROM = Setting("IMPORT_DATE_FROM", None, "the earliest date a case may carry (YYYY-MM-DD)")
IMPORT_DATE_AHEAD_DAYS = Setting("IMPORT_DATE_AHEAD_DAYS", None, "the latest date a case may carry: today + days")
# `cli.py serve` (scripts/serve.sh): app processes behind a local nginx.
SERVE_PROCESSES = Setting("SERVE_PROCESSES", None, "app processes behind nginx (default: one per core, at least 2)")
SERVE_PORT = Setting("SERVE_PORT", "8501", "nginx's port on 127.0.0.1; the app processes take the next ports")
SERVE_BASE_PATH = Setting("SERVE_BASE_PATH", "", "the URL path the dashboard is served under, e.g. jsjb (default /)")
SERVE_RUN_DIR = Setting("SERVE_RUN_DIR", "data/run", "where nginx.conf, pid, logs and temp files are written")
BRIEFING_FONT_DIR = Setting("BRIEFING_FONT_DIR", "/usr/share/fonts/opentype/noto", "fonts for the briefing's charts")


def environment(**changed: str) -> dict[str, str]:
    """This process's environment with some values changed: for the processes a command starts."""
    return {**os.environ, **changed}


ALL = tuple(value for value in dict(globals()).values() if isinstance(value, Setting))
