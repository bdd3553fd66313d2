"""scripts/serve.sh / `cli.py serve`: N app processes behind a local nginx with sticky sessions.

The generated nginx.conf is checked in a real nginx in front of two small stand-in servers (fast: what the
browser's requests look like on the far side); the script itself with two real Streamlit processes is `slow`.
Without nginx these tests skip (and fail under CI=true: scripts/system_deps.sh installs it).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from cli_commands import serve
from cli_commands.common import CliError
from cli_commands.nginx_conf import ROUTE_COOKIE, TEMP_PATHS, UPSTREAM_HEADER, nginx_conf
from tests.browser.harness import descendants

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx not installed (scripts/system_deps.sh installs it)")


def free_ports(n: int) -> list[int]:
    """n consecutive free ports on 127.0.0.1 (nginx's, then the apps')."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        ports = list(range(first, first + n))
        if ports[-1] < 65536 and all(_free(p) for p in ports):
            return ports
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def get(url: str, cookie: str = "", **headers) -> tuple[int, dict, bytes]:
    request = Request(url, headers={**({"Cookie": cookie} if cookie else {}), **headers})
    try:
        with urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except HTTPError as error:
        return error.code, error.headers, error.read()


def route_cookie(headers) -> str:
    """`jsjb_route=…` from the answer's Set-Cookie headers ("" if none)."""
    found = [c.split(";")[0] for c in headers.get_all("Set-Cookie") or [] if c.startswith(ROUTE_COOKIE + "=")]
    return found[0] if found else ""


# --- the configuration, in nginx, in front of stand-in servers -----------------------------------------------

class Echo(BaseHTTPRequestHandler):
    """Answers every request with its own port, path and the request headers it received, as JSON."""

    def do_GET(self):
        body = json.dumps({"port": self.server.server_address[1], "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def nginx_in_front_of_echoes(tmp_path: Path, base_path: str = ""):
    port, *app_ports = free_ports(3)
    echoes = [ThreadingHTTPServer(("127.0.0.1", p), Echo) for p in app_ports]
    for echo in echoes:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
    run = tmp_path / "run"
    for name in TEMP_PATHS:
        (run / "temp" / name).mkdir(parents=True)
    (run / "nginx.conf").write_text(nginx_conf(port, app_ports, str(run), base_path))
    nginx = subprocess.Popen([NGINX, "-p", str(run), "-c", str(run / "nginx.conf"), "-e", str(run / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, nginx)
        yield f"http://127.0.0.1:{port}", app_ports
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        for echo in echoes:
            echo.shutdown()
            echo.server_close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_listening(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        if _listening(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {seconds} s")


def _echo(base: str, path: str = "/", cookie: str = "", **headers) -> tuple[dict, dict]:
    status, answer_headers, body = get(base + path, cookie, **headers)
    assert status == 200, (status, body[:200])
    return json.loads(body), answer_headers


@needs_nginx
def test_new_browsers_are_dealt_to_the_processes_in_turn_and_each_then_sticks_to_its_own(tmp_path):
    with nginx_in_front_of_echoes(tmp_path) as (base, app_ports):
        first_visits = []
        for _ in range(4):  # new visitors: to the processes in turn
            echoed, headers = _echo(base)
            cookie = route_cookie(headers)
            assert cookie == f"{ROUTE_COOKIE}=127.0.0.1:{echoed['port']}", headers.get_all("Set-Cookie")
            assert "Path=/; HttpOnly; SameSite=Lax" in headers["Set-Cookie"]
            assert headers[UPSTREAM_HEADER] == f"127.0.0.1:{echoed['port']}"
            first_visits.append((echoed["port"], cookie))
        ports = [p for p, _ in first_visits]
        assert set(ports) == set(app_ports) and ports[0::2] == [ports[0]] * 2 and ports[1::2] == [ports[1]] * 2
        # Every later request of a browser (it sends the cookie) reaches the process of its first visit.
        for port, cookie in first_visits:
            for path in ("/", "/_stcore/health", "/_stcore/host-config", "/static/js/main.js", "/media/x.png"):
                echoed, headers = _echo(base, path, cookie)
                assert (echoed["port"], echoed["path"]) == (port, path)
                assert route_cookie(headers) == ""  # set once, not again
        # A cookie naming no process of this run (an earlier run's ports) counts as none: routed anew, and reset.
        echoed, headers = _echo(base, "/", f"{ROUTE_COOKIE}=127.0.0.1:1")
        assert route_cookie(headers) == f"{ROUTE_COOKIE}=127.0.0.1:{echoed['port']}"


@needs_nginx
def test_the_websocket_upgrade_and_the_login_headers_pass_and_a_forwarded_for_does_not(tmp_path):
    with nginx_in_front_of_echoes(tmp_path) as (base, _):
        echoed, _ = _echo(base, "/_stcore/stream", Upgrade="websocket", Connection="Upgrade",
                          **{"X-Remote-User": "zhang.san", "X-Proxy-Secret": "s3cret", "X-Forwarded-For": "10.9.9.9"})
        sent = echoed["headers"]
        assert (sent["upgrade"], sent["connection"]) == ("websocket", "upgrade")
        assert (sent["x-remote-user"], sent["x-proxy-secret"]) == ("zhang.san", "s3cret")
        assert "x-forwarded-for" not in sent  # Streamlit would take it as the peer address
        plain, _ = _echo(base, "/")
        assert plain["headers"]["connection"] == "close" and "upgrade" not in plain["headers"]


@needs_nginx
def test_under_a_base_path_the_cookie_is_scoped_to_it_and_other_paths_lead_to_it(tmp_path):
    with nginx_in_front_of_echoes(tmp_path, "jsjb") as (base, _):
        echoed, headers = _echo(base, "/jsjb/_stcore/health")
        assert echoed["path"] == "/jsjb/_stcore/health"  # passed on whole: the apps run with baseUrlPath jsjb
        assert "Path=/jsjb/;" in headers["Set-Cookie"]
        elsewhere, _ = _echo(base, "/_stcore/health")  # redirected (and followed)
        assert elsewhere["path"] == "/jsjb/"


def test_settings_and_arguments_are_checked_before_anything_starts(monkeypatch, tmp_path):
    def args(**given):
        return type("Args", (), {"processes": None, "port": None, "base_path": None, "run_dir": str(tmp_path),
                                 "db": None, **given})

    monkeypatch.setenv("SERVE_PORT", "eighty")
    with pytest.raises(CliError, match="SERVE_PORT='eighty'"):
        serve.serve(args())
    monkeypatch.setenv("SERVE_PORT", "8501")
    with pytest.raises(CliError, match="--processes must be 1..64, not 65"):
        serve.serve(args(processes=65))
    with pytest.raises(CliError, match="--processes must be 1..64, not 0"):
        serve.serve(args(processes=0))
    with pytest.raises(CliError, match="1024..65535"):
        serve.serve(args(port=80))
    with pytest.raises(CliError, match="base path 'a b'"):
        serve.serve(args(base_path="a b"))
    with pytest.raises(CliError, match="run directory"):
        serve.serve(args(run_dir=str(tmp_path / "x;y")))
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing started


@needs_nginx
def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    port, *_ = free_ports(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 2))
        taken.listen()
        args = type("Args", (), {"processes": 2, "port": port, "base_path": "", "run_dir": str(tmp_path / "run"),
                                 "db": None})
        with pytest.raises(CliError, match=f"port {port + 2} on 127.0.0.1 is in use"):
            serve.serve(args)
    assert not (tmp_path / "run").exists()


def test_when_one_process_exits_on_its_own_the_others_are_stopped(tmp_path):
    supervisor = serve.Supervisor(tmp_path, dict(os.environ))
    apps = [("app-lasting", ["sleep", "300"], "http://127.0.0.1:9/never"),
            ("app-failing", ["sh", "-c", "echo cannot start; exit 3"], "http://127.0.0.1:9/never")]
    with pytest.raises(CliError, match=r"app-failing exited with status 3: see .*app-failing\.log"):
        supervisor.run(apps, ["sleep", "300"], "http://127.0.0.1:9/")
    assert [name for name, process, _ in supervisor.running if process.poll() is None] == []
    assert (tmp_path / "app-failing.log").read_text() == "cannot start\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # this process's own handling, given back


# --- the script, with two Streamlit processes ------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.slow
@needs_nginx
def test_serve_sh_runs_two_processes_behind_nginx_sessions_stick_and_term_stops_everything(tmp_path):
    import websockets.sync.client
    port, *app_ports = free_ports(3)
    env = {k: v for k, v in os.environ.items() if k != "AUTH_MODE"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        script = subprocess.Popen(
            ["bash", "scripts/serve.sh", "--processes", "2", "--port", str(port), "--run-dir", str(tmp_path / "run"),
             "--db", f"sqlite:///{tmp_path / 'cases.db'}"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while b"serving " + base.encode() not in log.read_bytes():
            assert script.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        processes = descendants(script.pid)
        commands = [Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode() for p in processes]
        assert sum("streamlit run app.py" in c for c in commands) == 2
        assert sum(c.startswith("nginx: master") for c in commands) == 1

        # Two visitors from 127.0.0.1 land on different processes (within 40 first visits) …
        visitors = {}
        for _ in range(40):
            status, headers, body = get(base + "/")
            assert status == 200 and b"<html" in body.lower()
            visitors.setdefault(headers[UPSTREAM_HEADER], route_cookie(headers))
            if len(visitors) == 2:
                break
        assert set(visitors) == {f"127.0.0.1:{p}" for p in app_ports}
        # … and each one's requests, its websocket included, stay on its process.
        for process, cookie in visitors.items():
            for path in ("/", "/_stcore/health", "/_stcore/host-config"):
                assert get(base + path, cookie)[1][UPSTREAM_HEADER] == process
            with websockets.sync.client.connect(base.replace("http", "ws") + "/_stcore/stream", origin=base,
                                                subprotocols=["streamlit"], additional_headers={"Cookie": cookie},
                                                open_timeout=30) as ws:
                assert ws.response.headers[UPSTREAM_HEADER] == process
    finally:
        script.send_signal(signal.SIGTERM)
        code = script.wait(timeout=60)
    assert code == 0, log.read_text()
    assert [p for p in processes if _alive(p)] == []
    assert not any(_listening(p) for p in (port, *app_ports))


def test_the_readme_recipe_is_the_configuration_the_script_writes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = readme.split("The configuration's core", 1)[1].split("```nginx", 1)[1].split("```", 1)[0]
    written = nginx_conf(8501, [8502, 8503], "/srv/run", "jsjb")

    def directives(text: str) -> list[str]:
        return [" ".join(line.split("#", 1)[0].split()) for line in text.splitlines() if line.split("#", 1)[0].strip()]
    missing = [line for line in directives(recipe) if line not in directives(written)]
    assert not missing, f"README's nginx recipe differs from cli_commands/nginx_conf.py's: {missing}"


def test_the_app_processes_skip_streamlits_collection_after_every_run():
    """A full gc.collect(2) after each script run was two thirds of a page view's CPU (bench/load.py)."""
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
