"""Load test: twenty people in a meeting open the dashboard at once and switch pages.

Starts `streamlit run app.py` on 127.0.0.1 (a free port) against the district-year demo database, opens SESSIONS
sessions at once and has each go through the leader pages ROUNDS times. Prints (and writes to
bench/out/load-<client>.json) p50 / p95 / max page times, errors, and the peak memory (RSS) of the streamlit
process. Only 127.0.0.1 is ever contacted.

    python bench/load.py --db sqlite:///bench/out/district.db [--client ws|browser] [--sessions 20] [--rounds 3]

- `--client ws` (default): each session speaks Streamlit's websocket protocol (protobuf BackMsg / ForwardMsg) as
  the browser does: open the app, then ask for each page; a page time runs from the request until the server
  reports the script finished. Errors: a script that did not finish, an exception or an st.error on the page.
- `--client browser`: Playwright with Debian Chromium, one browser context per session, pages switched by the
  sidebar menu; a page time runs from the click until the title is drawn and the script has finished. Twenty
  Chromium renderers share the cores with the server, so these figures mostly measure the browsers.
"""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, wait_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "load-{client}.json"
SERVER_LOG = ROOT / "bench" / "out" / "load-server.log"
# Url paths of the leader pages for the websocket client ("" = the default page, 总览).
PATHS = ("scores", "rankings", "awards", "lagging", "hotspots", "")
# (menu entry, page title) of the leader pages, in the order a session visits them.
PAGES = (("月度成绩", "月度成绩"), ("排名", "排名"), ("流动红旗", "流动红旗"), ("后进会诊", "后进会诊"),
         ("高频点位", "高频点位"), ("总览", "总览"))
PAGE_TIMEOUT_MS = 120_000
START_SECONDS = 120




def start_server(db_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "CASES_DB_URL": db_url}
    env.pop("AUTH_MODE", None)  # the demo district opens in the demo mode
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           # as in production: no source watching (a file saved in the tree mid-run made Streamlit unload modules
           # while other sessions imported them: KeyError in importlib)
           "--server.fileWatcherType", "none"]
    log = SERVER_LOG.open("wb")  # the server's log, read after the run (a pipe left unread would stall it)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)




def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (MB), from /proc."""
    total = 0
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [g for c in found for g in children(c)]


class PeakMemory(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.2)


async def session(browser, base: str, rounds: int, times: list, errors: list, number: int) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()

    async def only_local(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            errors.append(f"session {number}: request outside 127.0.0.1 blocked: {route.request.url}")
            await route.abort()
    await page.route("**/*", only_local)
    try:
        started = time.monotonic()
        await page.goto(base + "/", timeout=PAGE_TIMEOUT_MS, wait_until="commit")
        await drawn(page, "总览")
        times.append(("总览 (first load)", time.monotonic() - started))
        for _ in range(rounds):
            for entry, title in PAGES:
                started = time.monotonic()
                await page.locator('[data-testid="stSidebarNav"] a', has_text=entry).first.click()
                await drawn(page, title)
                times.append((title, time.monotonic() - started))
                shown = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
                if shown:
                    errors.append(f"session {number}: {title} shows {shown} error(s)")
    except Exception as exc:  # noqa: BLE001 — a failed session is a measured error, not the end of the test
        errors.append(f"session {number}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


async def drawn(page, title: str) -> None:
    await page.locator("h1", has_text=title).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    await page.wait_for_selector(IDLE, timeout=PAGE_TIMEOUT_MS)


async def run_sessions(base: str, sessions: int, rounds: int) -> tuple[list, list, float, list]:
    times, errors, warmup = [], [], []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # One visit first, as when the projector is switched on before the meeting: the server's cold start is
        # reported apart from the twenty sessions.
        await session(browser, base, 0, warmup, errors, -1)
        started = time.monotonic()
        await asyncio.gather(*(session(browser, base, rounds, times, errors, i) for i in range(sessions)))
        wall = time.monotonic() - started
        await browser.close()
    return times, errors, wall, warmup


async def ws_session(base: str, rounds: int, times: list, errors: list, number: int) -> None:
    """One Streamlit session over the websocket protocol: the first page, then every leader page ROUNDS times,
    each asked for by its page script hash (from the navigation message) as the menu does."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    url = base.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], origin=base, max_size=None,
                                      open_timeout=PAGE_TIMEOUT_MS / 1000) as ws:
            hashes: dict[str, str] = {}
            for path in ("", *PATHS * rounds):
                request = BackMsg()
                request.rerun_script.query_string = ""
                if path == "" and not hashes:
                    request.rerun_script.page_name = ""  # the first request: the default page, as a browser at /
                else:
                    request.rerun_script.page_script_hash = hashes[path]
                started = time.monotonic()
                await ws.send(request.SerializeToString())
                problems = await asyncio.wait_for(_until_finished(ws, ForwardMsg, hashes), PAGE_TIMEOUT_MS / 1000)
                name = path or "overview"
                first = len(hashes) and not any(n.startswith(f"{number}:") for n, _ in times)
                times.append((f"{number}:{name}" + (" (first load)" if first else ""), time.monotonic() - started))
                errors.extend(f"session {number}: {name}: {p}" for p in problems)
    except Exception as exc:  # noqa: BLE001 — a failed session is a measured error
        errors.append(f"session {number}: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


async def _until_finished(ws, ForwardMsg, hashes: dict) -> list[str]:
    """Read messages until the script run has finished (a rerun it asked for included); the problems seen.
    Notes each page's script hash by its url path from the navigation message."""
    problems = []
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            hashes.update({"" if p.is_default else p.url_pathname: p.page_script_hash
                           for p in msg.navigation.app_pages})
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                problems.append("exception " + element.exception.message[:100])
            elif element.WhichOneof("type") == "alert" and element.alert.format == 1:
                problems.append("st.error " + element.alert.body[:100])
        elif kind == "page_not_found":
            problems.append("page not found")
        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return problems


async def run_ws_sessions(base: str, sessions: int, rounds: int) -> tuple[list, list, float, list]:
    times, errors, warmup = [], [], []
    await ws_session(base, 0, warmup, errors, -1)  # the projector switched on first: the cold start, apart
    started = time.monotonic()
    await asyncio.gather(*(ws_session(base, rounds, times, errors, i) for i in range(sessions)))
    return times, errors, time.monotonic() - started, warmup


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL of the district-year demo")
    parser.add_argument("--client", choices=("ws", "browser"), default="ws")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="times each session goes through the pages")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 1 <= args.rounds <= 10:
        parser.error("--sessions 1..50 and --rounds 1..10 (bounded on purpose)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args.db, port)
    try:
        wait_healthy(base, server, START_SECONDS, f": see {SERVER_LOG}")
        idle_mb = rss_mb(server.pid)
        memory = PeakMemory(server.pid)
        memory.start()
        run = run_ws_sessions if args.client == "ws" else run_sessions
        times, errors, wall, warmup = asyncio.run(run(base, args.sessions, args.rounds))
        memory.running = False
        memory.join()
        after_mb = rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # sessions still open: stop it hard, it is ours
            server.kill()
            server.wait()
    times = [(name.split(":", 1)[-1], t) for name, t in times]
    switches = [t for name, t in times if "first load" not in name]
    firsts = [t for name, t in times if "first load" in name]
    result = {
        "client": args.client,
        "cold_first_page_s": round(warmup[0][1], 2) if warmup else None,
        "sessions": args.sessions, "rounds": args.rounds, "page_views": len(times), "wall_s": round(wall, 1),
        "switch_p50_s": round(statistics.median(switches), 2) if switches else None,
        "switch_p95_s": round(percentile(switches, 95), 2) if switches else None,
        "switch_max_s": round(max(switches), 2) if switches else None,
        "first_load_p50_s": round(statistics.median(firsts), 2) if firsts else None,
        "first_load_max_s": round(max(firsts), 2) if firsts else None,
        "per_page_p50_s": {name: round(statistics.median([t for n, t in times if n == name]), 2)
                           for name in dict.fromkeys(n for n, _ in times) if "first load" not in name},
        "errors": len(errors), "error_samples": errors[:10],
        "rss_idle_mb": round(idle_mb), "rss_peak_mb": round(memory.peak), "rss_after_mb": round(after_mb),
    }
    out = Path(str(OUT).format(client=args.client))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return result


if __name__ == "__main__":
    main()
