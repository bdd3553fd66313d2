"""Load test: twenty people in a meeting open the dashboard at once and switch pages.

In one run, for each serving layout: one `streamlit run app.py` process (as scripts/demo.sh runs it), and N app
processes behind nginx with sticky sessions (scripts/serve.sh --processes N), each on 127.0.0.1 against the
district-year demo database. Every process is warmed by one visit first; then SESSIONS sessions open at once and
each goes through the leader pages ROUNDS times. Prints the layouts side by side — p50 / p95 / max page times,
errors, peak memory (RSS of every process serving, nginx included), how the sessions spread over the processes and
the machine's load average — and writes bench/out/load-<client>.json and, for the full twenty websocket sessions,
the "load" entry of bench/results.json. Only 127.0.0.1 is ever contacted.

    python bench/load.py [--db sqlite:///bench/out/district.db] [--processes 1,2] [--client ws|browser]
                         [--sessions 20] [--rounds 3] [--port P]

The database: bench/out/district.db (built by `python cli.py seed-demo --db sqlite:///bench/out/district.db` or
bench/run.py) unless --db names another.

- `--client ws` (default): each session speaks Streamlit's websocket protocol (protobuf BackMsg / ForwardMsg) as
  the browser does: load the app's page (which gives it nginx's route cookie), open the websocket with that cookie,
  then ask for each page; a page time runs from the request until the server
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
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cli_commands.nginx_conf import UPSTREAM_HEADER  # noqa: E402
from tests.browser.harness import (CHROMIUM, CHROMIUM_ARGS, IDLE, descendants, free_port,  # noqa: E402
                                   wait_healthy)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
OUT = OUT_DIR / "load-{client}.json"
RESULTS = ROOT / "bench" / "results.json"
DISTRICT_DB = OUT_DIR / "district.db"
# Url paths of the leader pages for the websocket client ("" = the default page, 总览).
PATHS = ("scores", "rankings", "awards", "lagging", "hotspots", "")
# (menu entry, page title) of the leader pages, in the order a session visits them.
PAGES = (("月度成绩", "月度成绩"), ("排名", "排名"), ("流动红旗", "流动红旗"), ("后进会诊", "后进会诊"),
         ("高频点位", "高频点位"), ("总览", "总览"))
PAGE_TIMEOUT_MS = 120_000
START_SECONDS = 300   # scripts/serve.sh starts its app processes one after another's health check
STOP_SECONDS = 40     # serve.sh gives its processes 20 s
BUDGET = {"sessions": 20, "processes": 2, "switch_p95_s": 2.0, "errors": 0}  # issue 17


@contextmanager
def serving(db_url: str, processes: int, port: int):
    """The app on 127.0.0.1:port, demo mode: one `streamlit run` process, or `processes` behind nginx
    (scripts/serve.sh). Yields the base URL and the pid whose process tree serves."""
    env = {**os.environ, "CASES_DB_URL": db_url}
    env.pop("AUTH_MODE", None)  # the demo district opens in the demo mode
    if processes == 1:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               # as in production: no source watching (a file saved in the tree mid-run made Streamlit unload
               # modules while other sessions imported them: KeyError in importlib)
               "--server.fileWatcherType", "none"]
    else:
        cmd = ["bash", "scripts/serve.sh", "--processes", str(processes), "--port", str(port),
               "--run-dir", "bench/out/serve"]
    log_path = OUT_DIR / f"load-server-{processes}.log"
    with log_path.open("wb") as log:  # read after the run (a pipe left unread would stall the server)
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, START_SECONDS, f": see {log_path}")
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()  # serve.sh stops nginx and its app processes on TERM
        try:
            server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:  # sessions still open: stop it hard, it is ours
            server.kill()
            server.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (MB), from /proc."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process and its children have used so far, from /proc: what the serving
    costs, whatever else the machine is doing."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


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


async def run_sessions(base: str, sessions: int, rounds: int, processes: int, mark) -> tuple:
    """The sessions in Chromium; which process served each is not noted (an empty `landed`)."""
    times, errors, warmup = [], [], []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A visit per process first, as when the projector is switched on before the meeting: the server's cold
        # start is reported apart from the twenty sessions (behind nginx each visit lands on a process at random).
        for number in range(-1, -processes - 1, -1):
            await session(browser, base, 0, warmup, errors, number)
        mark()
        started = time.monotonic()
        await asyncio.gather(*(session(browser, base, rounds, times, errors, i) for i in range(sessions)))
        wall = time.monotonic() - started
        await browser.close()
    return times, errors, wall, warmup, {}


async def ws_session(base: str, rounds: int, times: list, errors: list, number: int, landed: dict) -> None:
    """One Streamlit session over the websocket protocol: the app's page loaded (nginx's route cookie), the
    websocket opened with that cookie, the first page, then every leader page ROUNDS times, each asked for by its
    page script hash (from the navigation message) as the menu does. Notes in `landed` the process that served it
    (nginx's header; "" from a lone process); a websocket on another process than the page is an error."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    url = base.replace("http://", "ws://") + "/_stcore/stream"
    try:
        cookie, page_process = await asyncio.to_thread(_load_page, base)
        async with websockets.connect(url, subprotocols=["streamlit"], origin=base, max_size=None,
                                      additional_headers={"Cookie": cookie} if cookie else None,
                                      open_timeout=PAGE_TIMEOUT_MS / 1000) as ws:
            landed[number] = ws.response.headers.get(UPSTREAM_HEADER, "")
            if landed[number] != page_process:
                errors.append(f"session {number}: page from {page_process}, websocket to {landed[number]}")
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


def _load_page(base: str) -> tuple[str, str]:
    """GET the app's page as a browser does first: the cookies it sets and the process that answered."""
    with urlopen(base + "/", timeout=PAGE_TIMEOUT_MS / 1000) as answer:
        cookies = [c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or []]
        return "; ".join(cookies), answer.headers.get(UPSTREAM_HEADER, "")


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


async def run_ws_sessions(base: str, sessions: int, rounds: int, processes: int, mark) -> tuple:
    times, errors, warmup, landed = [], [], [], {}
    # The projector switched on before the meeting: each process visited once, its cold start reported apart
    # (nginx routes a new visitor at random, so visits go on until every process has served one).
    for number in range(-1, -8 * processes - 1, -1):
        await ws_session(base, 0, warmup, errors, number, landed)
        if len(set(landed.values())) >= processes:
            break
    landed.clear()
    mark()
    started = time.monotonic()
    await asyncio.gather(*(ws_session(base, rounds, times, errors, i, landed) for i in range(sessions)))
    return times, errors, time.monotonic() - started, warmup, landed


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def measure(args, processes: int) -> dict:
    """The sessions against one layout: one app process, or `processes` behind nginx."""
    load_before = os.getloadavg()
    with serving(args.db, processes, args.port or free_port()) as (base, pid):
        idle_mb = rss_mb(pid)
        memory = PeakMemory(pid)
        memory.start()
        run = run_ws_sessions if args.client == "ws" else run_sessions
        before = {}

        def mark():  # the sessions start (the warm-up visits done)
            before.update(server=cpu_s(pid), client=time.process_time())
        try:
            times, errors, wall, warmup, landed = asyncio.run(run(base, args.sessions, args.rounds, processes, mark))
        finally:
            memory.running = False
            memory.join()
        after_mb, server_cpu = rss_mb(pid), cpu_s(pid) - before["server"]
        client_cpu = time.process_time() - before["client"]
    times = [(name.split(":", 1)[-1], t) for name, t in times]
    switches = [t for name, t in times if "first load" not in name]
    firsts = [t for name, t in times if "first load" in name]
    return {
        "processes": processes, "behind_nginx": processes > 1, "client": args.client,
        "cold_first_page_s": [round(t, 2) for _, t in warmup],
        "sessions": args.sessions, "rounds": args.rounds, "page_views": len(times), "wall_s": round(wall, 1),
        "switch_p50_s": round(statistics.median(switches), 2) if switches else None,
        "switch_p95_s": round(percentile(switches, 95), 2) if switches else None,
        "switch_max_s": round(max(switches), 2) if switches else None,
        "first_load_p50_s": round(statistics.median(firsts), 2) if firsts else None,
        "first_load_max_s": round(max(firsts), 2) if firsts else None,
        "per_page_p50_s": {name: round(statistics.median([t for n, t in times if n == name]), 2)
                           for name in dict.fromkeys(n for n, _ in times) if "first load" not in name},
        "errors": len(errors), "error_samples": errors[:10],
        "server_cpu_s": round(server_cpu, 1), "server_cpu_per_view_s": round(server_cpu / max(len(times), 1), 3),
        "client_cpu_s": round(client_cpu, 1),
        "sessions_per_process": dict(Counter(landed.values())) if processes > 1 else {"one process": args.sessions},
        "rss_idle_mb": round(idle_mb), "rss_peak_mb": round(memory.peak), "rss_after_mb": round(after_mb),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }


ROWS = (("page switch p50 (s)", "switch_p50_s"), ("page switch p95 (s)", "switch_p95_s"),
        ("page switch max (s)", "switch_max_s"), ("first load p50 (s)", "first_load_p50_s"),
        ("errors", "errors"), ("peak RSS, all processes (MB)", "rss_peak_mb"), ("page views", "page_views"),
        ("wall (s)", "wall_s"), ("server CPU per page view (s)", "server_cpu_per_view_s"),
        ("this client's CPU (s)", "client_cpu_s"))


def table(results: list[dict]) -> str:
    """The layouts side by side, with each one's p95 as a ratio to the first layout's (the anchor)."""
    heads = [f"{r['processes']} process" + ("es behind nginx" if r["behind_nginx"] else "") for r in results]
    lines = [f"{'':<30}" + "".join(f"{h:>28}" for h in heads)]
    lines += [f"{label:<30}" + "".join(f"{str(r[key]):>28}" for r in results) for label, key in ROWS]
    anchor = results[0]["switch_p95_s"]
    lines.append(f"{'p95 ÷ the first layout':<30}" + "".join(
        f"{(r['switch_p95_s'] / anchor if anchor and r['switch_p95_s'] else float('nan')):>28.2f}" for r in results))
    lines.append(f"{'sessions per process (port)':<30}" + "".join(f"{_spread(r):>28}" for r in results))
    lines.append(f"{'load average before → after':<30}" + "".join(
        f"{r['load_average_before'][0]:>19.1f} → {r['load_average_after'][0]:<5.1f}" for r in results))
    return "\n".join(lines)


def _spread(result: dict) -> str:
    return " ".join(f"{where.rsplit(':', 1)[-1]}: {n}" for where, n in sorted(result["sessions_per_process"].items()))


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"sqlite:///{DISTRICT_DB}", help="database URL of the district-year demo")
    parser.add_argument("--processes", default="1,2",
                        help="layouts, in the order run: 1 = one streamlit process, N = N behind nginx")
    parser.add_argument("--client", choices=("ws", "browser"), default="ws")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="times each session goes through the pages")
    parser.add_argument("--port", type=int, help="the port to serve on (nginx's; the apps take the next ones)")
    args = parser.parse_args(argv)
    layouts = [int(n) for n in args.processes.split(",")]
    if not 1 <= args.sessions <= 50 or not 1 <= args.rounds <= 10 or not all(1 <= n <= 8 for n in layouts):
        parser.error("--sessions 1..50, --rounds 1..10 and --processes 1..8 each (bounded on purpose)")
    if args.db == parser.get_default("db") and not DISTRICT_DB.exists():
        parser.error(f"no {DISTRICT_DB}: build it with `python cli.py seed-demo --db {args.db}`")
    results = [measure(args, n) for n in layouts]
    print(table(results))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    Path(str(OUT).format(client=args.client)).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    if args.client == "ws" and args.sessions == BUDGET["sessions"]:
        _record(args, results)
    return results


def _record(args, results: list[dict]) -> None:
    """The run as bench/results.json's "load" entry (the other entries kept)."""
    from sqlalchemy.engine import make_url
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything["load"] = {
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "database": make_url(args.db).render_as_string(hide_password=True).replace(f"{ROOT}/", ""),
        "cpu": os.cpu_count(),
        "budget": BUDGET, "layouts": results,
    }
    RESULTS.write_text(json.dumps(everything, ensure_ascii=False, indent=1, default=str) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
