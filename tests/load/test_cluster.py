"""The two-node run's nginx site (bench/cluster.py) is still docs/nginx.conf's, and its
access log is read right.

The run itself (tests/load/test_two_nodes.py) needs nginx and the services, so only CI's
service pass runs it; this checks in the ordinary pass that the documented file still
holds every line the run replaces, and what the run makes of it.
"""

from __future__ import annotations

from bench import cluster

# Two access log lines as the run's nginx writes them: the documented format plus
# $upstream_addr (the second request was refused by the first node and went to the next).
LINES = [
    '127.0.0.1 [2026-12-03T07:50:01+00:00] "GET /intake/check/" 200 5120 0.012 abc 127.0.0.1:8001',
    '127.0.0.1 [2026-12-03T07:50:02+00:00] "POST /intake/check/" 502 150 0.002 def '
    "127.0.0.1:8002, 127.0.0.1:8001",
]


def test_the_site_is_the_documented_one_with_two_nodes_upstream(tmp_path):
    proxy = cluster.Nginx("nginx", [8001, 8002], folder=tmp_path)

    site = proxy.site_config(tmp_path / "cert.pem", tmp_path / "key.pem")

    assert "server 127.0.0.1:8001;\n    server 127.0.0.1:8002;" in site
    assert "server 127.0.0.1:8000;" not in site
    assert f"listen 127.0.0.1:{proxy.https_port} ssl;" in site
    assert "[::]" not in site and "/var/log/" not in site and "letsencrypt" not in site
    assert "$request_id $upstream_addr';" in site
    # The documented settings the app relies on are kept.
    for kept in ("$proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", "Host $host"):
        assert kept in site, kept


def test_the_access_log_says_which_node_answered_and_with_what():
    assert cluster.upstream_counts(LINES) == {"127.0.0.1:8001": 2, "127.0.0.1:8002": 1}
    assert cluster.status_counts(LINES) == {"200": 1, "502": 1}
