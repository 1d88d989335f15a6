"""`trackerbox proxy render`: the nginx site text, its options and its checks."""
from __future__ import annotations

import os
import stat

import pytest

from certs import store
from tests.cli_fixture import trackerbox  # noqa: F401  (a fixture, used by name)


def render(trackerbox, tls_dir, *args: str):
    return trackerbox("proxy", "render", "--tls-dir", str(tls_dir), *args)


def test_proxy_render_prints_site(trackerbox, tmp_path):
    code, out, err = render(trackerbox, tmp_path / "tls", "--server-name", "tracker.office.test")
    assert code == 0, err
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in out
    assert "server_name tracker.office.test;" in out
    assert "listen *:443 ssl http2;" in out
    assert "listen [::]:443 ssl http2;" in out
    assert "return 308 https://$host$request_uri;" in out
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in out
    assert "$proxy_add_x_forwarded_for" not in out
    assert f"ssl_certificate {tmp_path / 'tls' / 'server.crt'};" in out
    assert f"include {tmp_path / 'tls' / 'hsts.conf'};" in out
    assert "proxy_hide_header" not in out


def test_proxy_render_body_limit_matches_app(trackerbox, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKERBOX_MAX_UPLOAD_BYTES", "5000000")
    _, out, _ = render(trackerbox, tmp_path / "tls")
    assert f"client_max_body_size {5000000 + 1024 * 1024};" in out


def test_proxy_render_ports_and_addresses(trackerbox, tmp_path):
    _, out, _ = render(trackerbox, tmp_path / "tls", "--https-port", "8443", "--http-port", "8080",
                       "--listen-address", "127.0.0.1", "--listen-address", "::1")
    assert "listen 127.0.0.1:8443 ssl http2;" in out
    assert "listen [::1]:8443 ssl http2;" in out
    assert "listen 127.0.0.1:8080;" in out
    assert "return 308 https://$host:8443$request_uri;" in out


def test_proxy_render_writes_output_and_hsts_include(trackerbox, tmp_path):
    output = tmp_path / "trackerbox.conf"
    code, out, _ = render(trackerbox, tmp_path / "tls", "--output", str(output))
    assert code == 0
    assert "(HSTS off)" in out
    assert output.read_text().startswith("# TrackerBox nginx site")
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o644
    assert "add_header" not in (tmp_path / "tls" / store.HSTS_INCLUDE).read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--upstream", "127.0.0.1"], "upstream '127.0.0.1' is not HOST:PORT"),
    (["--upstream", "127.0.0.1:99999"], "upstream '127.0.0.1:99999' is not HOST:PORT"),
    (["--server-name", "tracker;evil"], "server name 'tracker;evil' is not a host name"),
    (["--listen-address", "eth0"], "listen address 'eth0' is not an IP address"),
    (["--https-port", "8080", "--http-port", "8080"], "both 8080"),
    (["--proxy-timeout", "5"], "proxy timeout 5 s is outside 10..3600"),
    (["--static-dir", "/nonexistent/static"], "static directory /nonexistent/static not found"),
    (["--cert", "/etc/tls/a;b.crt"], "contains a character nginx would misread"),
    (["--key", "/etc/tls/my server.key"], "contains a character nginx would misread"),
    (["--output", "/nonexistent-folder/site.conf"], "the folder /nonexistent-folder does not exist"),
])
def test_proxy_render_rejects_bad_option(trackerbox, tmp_path, args, message):
    code, out, err = render(trackerbox, tmp_path / "tls", *args)
    assert code == 2
    assert message in err
    assert out == ""
