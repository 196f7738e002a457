"""A real nginx (the Debian package) running docs/nginx.conf in front of a test server.

`nginx_or_stop()` is the one place that decides whether the nginx tests can run: without
nginx or openssl (for the test certificate) they are skipped with the reason on a
developer's machine and failed in CI (CI=true or REQUIRE_SERVICES=1).

`NginxProxy` writes the documented site file into a temporary folder with only what a
test must change (ports, the upstream, certificate, log paths: each replacement must
match the documented file exactly once, so an edit there that the test no longer
understands fails loudly), wraps it in a main configuration of its own (pid file, error
log, temporary folders, no daemon, one process, so it runs unprivileged and leaves
nothing behind) and runs nginx as a subprocess until the test ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
DOCUMENTED_CONF = BASE_DIR / "docs" / "nginx.conf"
LOOPBACK = "127.0.0.1"
SERVER_NAME = "intake.example.org"
START_TIMEOUT = 10  # seconds for nginx to listen
STOP_TIMEOUT = 10
REQUEST_TIMEOUT = 10
LOG_TIMEOUT = 5


def services_required() -> bool:
    """CI (CI=true) and service runs (REQUIRE_SERVICES=1) never skip these tests."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def find_nginx() -> str | None:
    named = os.environ.get("NGINX")
    if named:
        return named if os.access(named, os.X_OK) else None
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def nginx_or_stop() -> str:
    """nginx's path; else skip the test with the reason, or fail it in CI."""
    problems = []
    nginx = find_nginx()
    if nginx is None:
        problems.append("nginx is not installed (apt-get install -y nginx, or set NGINX=path)")
    if shutil.which("openssl") is None:
        problems.append("openssl is not installed (apt-get install -y openssl)")
    if problems:
        reason = "; ".join(problems)
        if services_required():
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(f"nginx test skipped: {reason}")
    assert nginx is not None
    return nginx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _replace_once(text: str, old: str, new: str) -> str:
    count = text.count(old)
    if count != 1:
        pytest.fail(
            f"docs/nginx.conf should hold {old!r} exactly once (found {count}): the nginx "
            "test replaces it; update tests/security/nginx.py with the documented file",
            pytrace=False,
        )
    return text.replace(old, new)


def site_config(
    *, https_port: int, http_port: int, app_port: int, folder: Path, certificate: Path, key: Path
) -> str:
    """docs/nginx.conf with the test's ports, upstream, certificate and logs."""
    text = DOCUMENTED_CONF.read_text()
    for old, new in [
        ("listen 443 ssl;", f"listen {LOOPBACK}:{https_port} ssl;"),
        ("listen [::]:443 ssl;", ""),
        ("listen 80;", f"listen {LOOPBACK}:{http_port};"),
        ("listen [::]:80;", ""),
        ("server 127.0.0.1:8000;", f"server {LOOPBACK}:{app_port};"),
        (
            "ssl_certificate /etc/letsencrypt/live/intake.example.org/fullchain.pem;",
            f"ssl_certificate {certificate};",
        ),
        (
            "ssl_certificate_key /etc/letsencrypt/live/intake.example.org/privkey.pem;",
            f"ssl_certificate_key {key};",
        ),
    ]:
        text = _replace_once(text, old, new)
    for old, new in [
        ("/var/log/nginx/clinic-access.log", str(folder / "access.log")),
        ("/var/log/nginx/clinic-error.log", str(folder / "error.log")),
    ]:
        if old not in text:
            pytest.fail(f"docs/nginx.conf no longer names {old}", pytrace=False)
        text = text.replace(old, new)
    return text


def main_config(folder: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf is on Debian, cut to what a test needs, all in `folder`."""
    return f"""
daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "main-error.log"} notice;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {folder / "client_body"};
    proxy_temp_path {folder / "proxy"};
    fastcgi_temp_path {folder / "fastcgi"};
    uwsgi_temp_path {folder / "uwsgi"};
    scgi_temp_path {folder / "scgi"};
    access_log {folder / "main-access.log"} combined;
    include {site};
}}
"""


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for SERVER_NAME, valid for a day."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={SERVER_NAME}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


class NginxProxy:
    """docs/nginx.conf on free loopback ports, proxying to `app_port` on 127.0.0.1."""

    def __init__(self, nginx: str, folder: Path, *, app_port: int) -> None:
        self.nginx = nginx
        self.folder = folder
        self.app_port = app_port
        self.https_port = free_port()
        self.http_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log_lines(self, count: int) -> str:
        """The access log once it has `count` lines: nginx writes a request's line after
        the response has gone, so the client can be a little ahead of it."""
        deadline = time.monotonic() + LOG_TIMEOUT
        while self.access_log.count("\n") < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.access_log

    @property
    def error_logs(self) -> str:
        return "".join(
            (self.folder / name).read_text(errors="replace")
            for name in ("error.log", "main-error.log", "startup-error.log")
            if (self.folder / name).exists()
        )

    def __enter__(self) -> NginxProxy:
        certificate, key = make_certificate(self.folder)
        self.certificate = certificate
        site = self.folder / "clinic.conf"
        site.write_text(
            site_config(
                https_port=self.https_port,
                http_port=self.http_port,
                app_port=self.app_port,
                folder=self.folder,
                certificate=certificate,
                key=key,
            )
        )
        main = self.folder / "nginx.conf"
        main.write_text(main_config(self.folder, site))
        self.process = subprocess.Popen(
            [self.nginx, "-p", str(self.folder), "-c", str(main), "-e", "startup-error.log"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                self.__exit__(None, None, None)
                pytest.fail(f"nginx did not start: {output}\n{self.error_logs}", pytrace=False)
            time.sleep(0.05)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.https_port), timeout=0.5):
                return True
        except OSError:
            return False

    def __exit__(self, *exc_info: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def client(self, source: str, headers: dict[str, str] | None = None) -> httpx.Client:
        """A browser on the loopback address `source`, talking HTTPS to nginx."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False  # the URL names 127.0.0.1; the certificate, the site
        transport = httpx.HTTPTransport(local_address=source, verify=context, retries=0)
        return httpx.Client(
            base_url=f"https://{LOOPBACK}:{self.https_port}",
            transport=transport,
            headers={"Host": SERVER_NAME, **(headers or {})},
            timeout=REQUEST_TIMEOUT,
        )


def direct_client(source: str, app_port: int) -> httpx.Client:
    """A client on the loopback address `source` talking to the app itself, past nginx."""
    transport = httpx.HTTPTransport(local_address=source, retries=0)
    return httpx.Client(
        base_url=f"http://{LOOPBACK}:{app_port}",
        transport=transport,
        headers={"Host": SERVER_NAME},
        timeout=REQUEST_TIMEOUT,
    )
