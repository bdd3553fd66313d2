"""serve: N app processes behind a local nginx with sticky sessions (scripts/serve.sh; README "behind nginx").

One Streamlit process serves its sessions on one core; N processes on 127.0.0.1 (the ports after nginx's) serve N
cores, and nginx (cli_commands/nginx_conf.py) keeps each browser on one of them. The command stays in the
foreground: Ctrl-C or TERM stops nginx and every app process; if one of them exits on its own, the others are
stopped too and the exit status is 1 (a service manager restarts the whole).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import settings
from cli_commands.common import CliError
from cli_commands.nginx_conf import TEMP_PATHS, nginx_conf

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 180   # an app process imports pandas, altair and the app before it answers; slower under load
STOP_SECONDS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SAFE_PATH = re.compile(r"[\w./-]+")  # written into nginx.conf unquoted: no spaces, quotes, `;`, `{` or `$`
SAFE_BASE = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


def register(sub, shared) -> None:
    p = sub.add_parser("serve", parents=[shared],
                       help="N app processes behind a local nginx with sticky sessions (scripts/serve.sh)")
    p.add_argument("--processes", type=int,
                   help="app processes (default SERVE_PROCESSES, else one per core, at least 2)")
    p.add_argument("--port", type=int, help="nginx's port on 127.0.0.1 (default SERVE_PORT, 8501); "
                                            "the app processes take the next ports")
    p.add_argument("--base-path", help="URL path to serve under, e.g. jsjb (default SERVE_BASE_PATH, else /)")
    p.add_argument("--run-dir", help="nginx.conf, pid, logs and temp files (default SERVE_RUN_DIR, data/run)")
    p.set_defaults(handler=serve)


def serve(args) -> int:
    processes = _given(args.processes, settings.SERVE_PROCESSES, max(2, os.cpu_count() or 1))
    port = _given(args.port, settings.SERVE_PORT)
    base = (settings.SERVE_BASE_PATH.get() if args.base_path is None else args.base_path).strip("/")
    run_dir = (ROOT / (args.run_dir or settings.SERVE_RUN_DIR.get())).resolve()
    app_ports = list(range(port + 1, port + 1 + processes))
    _check(processes, app_ports, base, run_dir)
    nginx = _nginx_binary()
    _check_free([port, *app_ports])
    for name in TEMP_PATHS:
        (run_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nginx.conf"
    conf.write_text(nginx_conf(port, app_ports, str(run_dir), base))
    prefix = f"/{base}/" if base else "/"
    apps = [(f"app-{p}", _app_command(p, base), f"http://127.0.0.1:{p}{prefix}_stcore/health") for p in app_ports]
    nginx_cmd = [nginx, "-p", str(run_dir), "-c", str(conf), "-e", str(run_dir / "nginx-error.log")]
    env = settings.environment(**({"CASES_DB_URL": args.db} if args.db else {}))
    return Supervisor(run_dir, env).run(apps, nginx_cmd, f"http://127.0.0.1:{port}{prefix}")


def _given(argument: int | None, setting: settings.Setting, default: int | None = None) -> int:
    """The argument, else the setting, else the default."""
    if argument is not None:
        return argument
    value = setting.get()
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CliError(f"{setting.name}={value!r}: a whole number, please") from None


def _check(processes: int, app_ports: list[int], base: str, run_dir: Path) -> None:
    if not 1 <= processes <= 64:
        raise CliError(f"--processes must be 1..64, not {processes}")
    if app_ports[0] <= 1024 or app_ports[-1] > 65535:
        raise CliError(f"ports {app_ports[0] - 1}..{app_ports[-1]} must lie within 1024..65535 (no root needed)")
    if base and not SAFE_BASE.fullmatch(base):
        raise CliError(f"base path {base!r}: letters, digits, - and _ between slashes only")
    if not SAFE_PATH.fullmatch(str(run_dir)):
        raise CliError(f"run directory {run_dir}: letters, digits, . - _ and / only (it goes into nginx.conf)")


def _nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        raise CliError("nginx is not installed: scripts/serve.sh installs it (Debian package nginx) when run as "
                       "root; otherwise `sudo apt-get install nginx`")
    return found


def _check_free(ports: list[int]) -> None:
    for port in ports:
        with socket.socket() as s:
            # as the servers do: connections closed a moment ago (TIME_WAIT) do not block the port
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                raise CliError(f"port {port} on 127.0.0.1 is in use (nginx takes --port, the apps the next "
                               f"{len(ports) - 1}): choose another --port") from None


def _app_command(port: int, base: str) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
            "--server.port", str(port), *(["--server.baseUrlPath", base] if base else [])]


class Supervisor:
    """Starts the processes (each in its own process group, so that Ctrl-C reaches only this one and it stops
    them in order: nginx first, then the apps) and stops every one of them however the run ends."""

    def __init__(self, run_dir: Path, env: dict):
        self.run_dir, self.env, self.running, self.stop = run_dir, env, [], threading.Event()

    def run(self, apps: list[tuple[str, list[str], str]], nginx_cmd: list[str], url: str) -> int:
        """apps: (name, command, health URL) each; url: nginx's."""
        previous = {s: signal.signal(s, lambda *_: self.stop.set()) for s in STOP_SIGNALS}
        try:
            for name, cmd, _ in apps:
                self._start(name, cmd)
            for *_, health in apps:
                self._wait_healthy(health)
            self._start("nginx", nginx_cmd)
            self._wait_healthy(url + "_stcore/health")
            if self.stop.is_set():
                return 0
            print(f"serving {url} with {len(apps)} app processes, sticky sessions; logs in {self.run_dir}; "
                  "Ctrl-C stops", flush=True)
            return self._watch()
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _start(self, name: str, cmd: list[str]) -> None:
        log = self.run_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, process_group=0)
        self.running.append((name, process, log))

    def _wait_healthy(self, url: str) -> None:
        from urllib.request import urlopen  # here: `cli.py --help` need not load http and email
        deadline = time.monotonic() + START_SECONDS
        while not self.stop.is_set():
            self._fail_if_one_exited()
            try:
                with urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise CliError(f"{url} not answering after {START_SECONDS} s: see the logs in {self.run_dir}")
            self.stop.wait(0.3)

    def _watch(self) -> int:
        while not self.stop.wait(0.5):
            try:
                self._fail_if_one_exited()
            except CliError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
        return 0

    def _fail_if_one_exited(self) -> None:
        for name, process, log in self.running:
            if process.poll() is not None:
                raise CliError(f"{name} exited with status {process.returncode}: see {log}")

    def _stop_all(self) -> None:
        for _, process, _ in reversed(self.running):  # nginx first: no new requests reach a stopping app
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for _, process, _ in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:  # still serving open sessions: ours, so stopped hard
                process.kill()
                process.wait()
