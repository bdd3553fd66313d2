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
QUERY_TIMEOUT_S = Setting("QUERY_TIMEOUT_S", "10", "a statement's time limit in seconds; 0 or less: none")
MAP_STYLE_URL = Setting("MAP_STYLE_URL", None, "an intranet basemap style.json (default: no basemap)")
BRIEFING_FONT_DIR = Setting("BRIEFING_FONT_DIR", "/usr/share/fonts/opentype/noto", "fonts for the briefing's charts")

ALL = tuple(value for value in dict(globals()).values() if isinstance(value, Setting))
