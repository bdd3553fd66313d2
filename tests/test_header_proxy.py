"""AUTH_MODE=header: the identity header counts only on a request from a trusted proxy address, carrying the shared
secret when one is set; anyone else reaching the Streamlit port is refused (the probe opened 审计日志 with a forged
`X-Remote-User: admin1`). Peers are set by patching ui.auth.request_peer, as AppTest has no network peer."""
import ipaddress
import tomllib
from pathlib import Path

import pytest

from tests.app_fixture import open_app
from tests.test_auth import app_db, gate_app, headers, shows_no_data  # noqa: F401 — app_db is a fixture
from ui.auth import UNTRUSTED_NOTICE, from_trusted_proxy

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
SECRET = "a-long-shared-secret-for-nginx"


@pytest.mark.parametrize("peer, sent, trusted, secret, ok", [
    ("127.0.0.1", {}, LOOPBACK, "", True),
    ("::1", {}, LOOPBACK, "", True),
    ("10.1.2.3", {}, LOOPBACK, "", False),                          # straight to the port from the intranet
    ("10.1.2.3", {}, [ipaddress.ip_network("10.1.2.0/24")], "", True),
    ("127.0.0.1", {}, LOOPBACK, SECRET, False),                     # the proxy's secret missing
    ("127.0.0.1", {"X-Proxy-Secret": "guess"}, LOOPBACK, SECRET, False),
    ("127.0.0.1", {"X-Proxy-Secret": SECRET}, LOOPBACK, SECRET, True),
    ("10.9.9.9", {"X-Proxy-Secret": SECRET}, None, SECRET, True),   # "*": any peer, the secret decides
    ("10.9.9.9", {}, None, "", False),                              # "*" without a secret trusts no one
    ("not an address", {}, LOOPBACK, "", False),
])
def test_the_decision(peer, sent, trusted, secret, ok):
    assert from_trusted_proxy(peer, sent, trusted, secret) is ok


def test_a_forged_header_from_an_untrusted_peer_is_refused(app_db, monkeypatch):  # noqa: F811
    headers(monkeypatch, X_Remote_User="root")
    monkeypatch.setattr("ui.auth.request_peer", lambda: "10.1.2.3")  # after headers(), which sets the loopback
    at = gate_app(monkeypatch, app_db, "header", page="pages/audit.py")
    assert [w.value for w in at.warning] == [UNTRUSTED_NOTICE] and shows_no_data(at)


def test_a_secret_is_required_when_set(app_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AUTH_PROXY_SECRET", SECRET)
    headers(monkeypatch, X_Remote_User="boss")
    at = gate_app(monkeypatch, app_db, "header")
    assert [w.value for w in at.warning] == [UNTRUSTED_NOTICE] and shows_no_data(at)
    headers(monkeypatch, X_Remote_User="boss", X_Proxy_Secret=SECRET)
    at = open_app(monkeypatch, app_db, auth_mode="header")
    assert at.title[0].value == "总览"


def test_streamlit_listens_on_the_loopback_by_default():
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
