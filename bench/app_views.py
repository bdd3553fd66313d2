"""A page view on the server, as the app runs it: the page's whole script (filters, cached data, charts, tables)
in Streamlit's AppTest, in a fresh process. "cold" is the first view (the app's cache empty), "warm" the median
of the next views (what every later visitor of the page gets from st.cache_data) — the view DESIGN.md's
"≤ 0.05 s warm" budget is about. The browser's own work is in bench/browser.py.
"""
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = {"overview": "pages/overview.py", "scores": "pages/scores.py", "rankings": "pages/rankings.py",
         "awards": "pages/awards.py", "lagging": "pages/lagging.py", "hotspots": "pages/hotspots.py",
         "warning": "pages/warning.py"}
WARM_UP = "pages/rules.py"


def measure(db_url: str, period: str, name: str, repeat: int = 5) -> dict:
    """{"cold": s, "warm": s} of one page's script on the database (run in a child process of its own)."""
    from streamlit.testing.v1 import AppTest
    os.environ["CASES_DB_URL"] = db_url
    for name_ in ("AUTH_MODE", "SCORING_RULES"):
        os.environ.pop(name_, None)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["period"] = period
    at.switch_page(WARM_UP)  # the process's imports and the app's start-up are no page's cost
    at.run()
    at.switch_page(PAGES[name])
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(f"{name}: {[e.value for e in at.exception]}")
    return {"cold": times[0], "warm": statistics.median(times[1:])}
