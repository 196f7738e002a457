"""Two web nodes behind a real nginx, for `bench/load.py --two-nodes` (issue 15, "Beyond
one machine"): the nginx, the one beat, and the checks that state is shared between nodes.

`Nginx` runs the Debian package's nginx with docs/nginx.conf's site (HTTPS, the client's
address in X-Forwarded-For, X-Forwarded-Proto, the private access log), changed only where a
run must: loopback ports, a self-signed certificate, logs in a temporary folder, an upstream
of two gunicorns instead of one, and the upstream's address and status added to the access
log line (so a run can see which node answered). Each replacement must match the
documented file exactly once, as tests/security/nginx.py does (that module is pytest's;
this one runs outside it). Like that test, nginx runs without a daemon or master process,
unprivileged, and leaves nothing behind.

`Beat` is `celery -A clinic beat` with the project's scheduler (one beat at a time, by the
lease of clinic/beat.py).

The checks go through nginx, and past it to each node as nginx would (from 127.0.0.1, the
trusted proxy, with X-Forwarded-For), so that which node answers is certain.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import ssl
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import harness

DOCUMENTED_CONF = harness.BASE_DIR / "docs" / "nginx.conf"
SERVER_NAME = "intake.example.org"
LOGIN_PATH = "/staff/account/login/"
FHIR_POST_PATH = "/fhir/QuestionnaireResponse"
FHIR_LIMIT = 3  # FHIR_RATE_LIMIT for the run: "3/10m" (the patients never POST there)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The documented access log line, and the same with the node that answered at the end.
LOG_FORMAT_END = "'$status $body_bytes_sent $request_time $request_id';"
LOG_FORMAT_END_NODE = "'$status $body_bytes_sent $request_time $request_id $upstream_addr';"


def find_nginx() -> str | None:
    """NGINX=path, else nginx on PATH, else Debian's /usr/sbin/nginx."""
    named = os.environ.get("NGINX")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )


def app_env_for_nodes() -> dict[str, str]:
    """What every app process of a two-node run adds to harness.app_env: the site's name,
    nginx (127.0.0.1) as the one trusted proxy (docs/nginx.conf, docs/production.md), and a
    low FHIR limit for `ratelimit_across_nodes`."""
    return {
        "DJANGO_ALLOWED_HOSTS": f"127.0.0.1,localhost,{SERVER_NAME}",
        "SITE_URL": f"https://{SERVER_NAME}",
        "TRUSTED_PROXIES": harness.LOOPBACK,
        "FORWARDED_ALLOW_IPS": harness.LOOPBACK,
        "FHIR_RATE_LIMIT": f"{FHIR_LIMIT}/10m",
    }


def _replace_once(text: str, old: str, new: str) -> str:
    count = text.count(old)
    if count != 1:
        raise RuntimeError(
            f"docs/nginx.conf should hold {old!r} exactly once (found {count}): "
            "update bench/cluster.py with the documented file"
        )
    return text.replace(old, new)


@dataclass
class Nginx:
    """docs/nginx.conf on free loopback ports with an upstream of `app_ports`."""

    nginx: str
    app_ports: list[int]
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-nginx-")))
    https_port: int = field(default_factory=harness.free_port)
    http_port: int = field(default_factory=harness.free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://{harness.LOOPBACK}:{self.https_port}"

    def site_config(self, certificate: Path, key: Path) -> str:
        text = DOCUMENTED_CONF.read_text()
        upstream = "\n    ".join(f"server {harness.LOOPBACK}:{port};" for port in self.app_ports)
        for old, new in [
            ("listen 443 ssl;", f"listen {harness.LOOPBACK}:{self.https_port} ssl;"),
            ("listen [::]:443 ssl;", ""),
            ("listen 80;", f"listen {harness.LOOPBACK}:{self.http_port};"),
            ("listen [::]:80;", ""),
            ("server 127.0.0.1:8000;", upstream),
            (
                "ssl_certificate /etc/letsencrypt/live/intake.example.org/fullchain.pem;",
                f"ssl_certificate {certificate};",
            ),
            (
                "ssl_certificate_key /etc/letsencrypt/live/intake.example.org/privkey.pem;",
                f"ssl_certificate_key {key};",
            ),
            (LOG_FORMAT_END, LOG_FORMAT_END_NODE),
        ]:
            text = _replace_once(text, old, new)
        for old, new in [
            ("/var/log/nginx/clinic-access.log", str(self.folder / "access.log")),
            ("/var/log/nginx/clinic-error.log", str(self.folder / "error.log")),
        ]:
            if old not in text:
                raise RuntimeError(f"docs/nginx.conf no longer names {old}")
            text = text.replace(old, new)
        return text

    def main_config(self, site: Path) -> str:
        """Debian's /etc/nginx/nginx.conf cut to what a run needs, all in `folder`: one
        process, no daemon; enough connections for 50 patients (each is two: client, app)."""
        folder = self.folder
        return f"""
daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "main-error.log"} notice;
events {{ worker_connections 1024; }}
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

    def _certificate(self) -> tuple[Path, Path]:
        """A self-signed P-256 certificate for SERVER_NAME, valid for a day."""
        certificate, key = self.folder / "cert.pem", self.folder / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
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

    def __enter__(self) -> Nginx:
        self.certificate, key = self._certificate()
        site = self.folder / "clinic.conf"
        site.write_text(self.site_config(self.certificate, key))
        main = self.folder / "nginx.conf"
        main.write_text(self.main_config(site))
        self.process = subprocess.Popen(
            [self.nginx, "-p", str(self.folder), "-c", str(main), "-e", "startup-error.log"],
            stdin=subprocess.DEVNULL,
            stdout=(self.folder / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{self.error_logs()}")
            try:
                with self.client() as client:
                    client.get("/")
            except httpx.TransportError:
                return False
            return True

        harness.wait_until(up, timeout=harness.START_TIMEOUT, what="nginx")
        return self

    def __exit__(self, *exc) -> None:
        harness._stop(self.process)

    def error_logs(self) -> str:
        return "".join(
            (self.folder / name).read_text(errors="replace")
            for name in ("error.log", "main-error.log", "startup-error.log", "stdout.log")
            if (self.folder / name).exists()
        )

    def access_log(self) -> list[str]:
        path = self.folder / "access.log"
        return path.read_text(errors="replace").splitlines() if path.exists() else []

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False  # the URL names 127.0.0.1; the certificate, the site
        return context

    def transport(self, source: str | None = None) -> httpx.HTTPTransport:
        """Connections to nginx (from loopback address `source`), HTTPS, no keep-alive."""
        return httpx.HTTPTransport(
            verify=self.tls_context(),
            local_address=source,
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=0),
        )

    def client(self, source: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            transport=self.transport(source),
            headers={"Host": SERVER_NAME, "Origin": f"https://{SERVER_NAME}"},
            timeout=harness.REQUEST_TIMEOUT,
        )


def upstream_counts(lines: list[str]) -> Counter[str]:
    """Which node answered each access log line (its last field, $upstream_addr); a line
    whose request went to both (the first refused, nginx tried the next) counts for both."""
    answered: Counter[str] = Counter()
    for line in lines:
        # After the quoted request: $status $body_bytes_sent $request_time $request_id, then
        # $upstream_addr ("a, b" when nginx tried a second node).
        fields = line.rpartition('" ')[2].split(" ", 4)
        for address in fields[4].split(",") if len(fields) == 5 else ["-"]:
            answered[address.strip()] += 1
    return answered


def status_counts(lines: list[str]) -> Counter[str]:
    """The HTTP statuses nginx answered ($status: the field after the quoted request)."""
    statuses: Counter[str] = Counter()
    for line in lines:
        _request, _quote, rest = line.rpartition('" ')
        statuses[rest.split(" ", 1)[0]] += 1
    return statuses


def node_client(port: int, client_address: str) -> httpx.Client:
    """Straight to one node, as nginx talks to it: from 127.0.0.1 (the trusted proxy),
    X-Forwarded-For naming the client, X-Forwarded-Proto https."""
    return httpx.Client(
        base_url=f"http://{harness.LOOPBACK}:{port}",
        headers={
            "Host": SERVER_NAME,
            "Origin": f"https://{SERVER_NAME}",
            "X-Forwarded-For": client_address,
            "X-Forwarded-Proto": "https",
        },
        timeout=harness.REQUEST_TIMEOUT,
    )


def client_addresses(count: int) -> list[str]:
    """Loopback addresses no earlier run used (rate-limit counters live in the shared Redis
    for ten minutes): 127.x.y.z, random, never 127.0.0.1 (nginx, the trusted proxy)."""
    rng = random.SystemRandom()
    return [
        f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(count)
    ]


def _sign_in_wrong(client: httpx.Client) -> int:
    """A staff sign-in with a wrong password (its own CSRF cookie and token); the status.
    The cookie is sent by hand: it is Secure, and a node is reached over plain HTTP."""
    page = client.get(LOGIN_PATH)
    token = CSRF_INPUT.search(page.text)
    if page.status_code != 200 or token is None:
        return page.status_code
    cookies = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    response = client.post(
        LOGIN_PATH,
        headers={"Cookie": cookies},
        data={
            "username": "clinician",
            "password": "not-the-password",
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    return response.status_code


def lockout_across_nodes(nginx: Nginx, ports: list[int], failure_limit: int) -> list[str]:
    """Wrong passwords through nginx (round-robin: both nodes take some) lock that client
    out on every node; another client is not locked out. What does not hold."""
    locked, other = client_addresses(2)
    with nginx.client(locked) as client:
        statuses = [_sign_in_wrong(client) for _ in range(failure_limit)]
    problems = []
    if statuses[-1] != 429 or 429 in statuses[:-1]:
        problems.append(f"lockout: {failure_limit} wrong passwords through nginx: {statuses}")
    for port in ports:
        with node_client(port, locked) as client:
            status = _sign_in_wrong(client)
        if status != 429:
            problems.append(f"lockout: node :{port} answered {status} to the locked-out client")
    with node_client(ports[-1], other) as client:
        status = _sign_in_wrong(client)
    if status != 200:
        problems.append(f"lockout: another client got {status} (expected 200, a form error)")
    print(f"lockout across nodes: through nginx {statuses}; then 429 on each node")
    return problems


def ratelimit_across_nodes(nginx: Nginx, ports: list[int]) -> list[str]:
    """FHIR_LIMIT POSTs through nginx spend one client's limit on both nodes; the next is
    429 on either node; another client is still let through. What does not hold."""
    limited, other = client_addresses(2)
    with nginx.client(limited) as client:
        statuses = [client.post(FHIR_POST_PATH).status_code for _ in range(FHIR_LIMIT)]
    problems = []
    if 429 in statuses:
        problems.append(f"rate limit: {FHIR_LIMIT} POSTs under the limit answered {statuses}")
    for port in ports:
        with node_client(port, limited) as client:
            status = client.post(FHIR_POST_PATH).status_code
        if status != 429:
            problems.append(f"rate limit: node :{port} answered {status} over the limit")
    with node_client(ports[0], other) as client:
        status = client.post(FHIR_POST_PATH).status_code
    if status == 429:
        problems.append("rate limit: another client was limited too")
    print(f"rate limit across nodes: {FHIR_LIMIT} POSTs through nginx {statuses}; then 429 on each")
    return problems


@dataclass
class Beat:
    """`celery -A clinic beat` with the project's scheduler (settings: CELERY_BEAT_SCHEDULER,
    clinic/beat.py), sending to `queue`, in its own process group."""

    env: dict[str, str]
    queue: str
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.log_dir / "beat.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Beat:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(harness.BIN / "celery"),
                "-A",
                "clinic",
                "beat",
                "--loglevel=INFO",
                f"--schedule={self.log_dir / 'celerybeat-schedule'}",
            ],
            cwd=harness.BASE_DIR,
            env={**self.env, "CELERY_QUEUE": self.queue, "CELERY_TASK_ALWAYS_EAGER": "false"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def holds() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"beat exited:\n{self.log()[-3000:]}")
            return "holds the scheduler lease" in self.log()

        harness.wait_until(holds, timeout=harness.START_TIMEOUT, what="beat to hold the lease")
        return self

    def __exit__(self, *exc) -> None:
        harness._stop(self.process)
