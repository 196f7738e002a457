"""Production is the default: the settings refuse to start on guesses."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _django_setup(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REDIS_URL", "SITE_URL"))
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CELERY_BROKER_URL, "
        "settings.LANGUAGE_COOKIE_SECURE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_without_secret_key_refuses_to_start():
    result = _django_setup({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_without_redis_refuses_to_start():
    result = _django_setup({"DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr


def test_production_defaults_are_secure():
    result = _django_setup(
        {
            "DJANGO_SECRET_KEY": "x" * 50,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SITE_URL": "https://intake.example.org",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "redis://127.0.0.1:6379/0", "True"]


def test_development_mode_uses_embedded_broker():
    result = _django_setup({"DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "filesystem://", "False"]


def _axes_lockout_parameters(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_"))}
    env.update(env_overrides, DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="clinic.settings")
    code = "from django.conf import settings; print(settings.AXES_LOCKOUT_PARAMETERS)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_staff_lockout_counts_per_address_by_default():
    result = _axes_lockout_parameters({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[['username', 'ip_address'], 'ip_address']"


def test_staff_lockout_per_address_can_be_turned_off():
    result = _axes_lockout_parameters({"AXES_LOCKOUT_PER_ADDRESS": "false"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[['username', 'ip_address']]"


def _trusted_proxies(value: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTED_"))}
    env.update(TRUSTED_PROXIES=value, DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="clinic.settings")
    code = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_trusted_proxies_are_addresses_or_networks():
    result = _trusted_proxies("10.0.0.5, 10.1.0.0/16,2001:db8::/64,")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['10.0.0.5', '10.1.0.0/16', '2001:db8::/64']"


def test_a_malformed_trusted_proxy_stops_the_app_at_start_up():
    result = _trusted_proxies("10.0.0.5,*")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES holds addresses or networks" in result.stderr
    assert "'*' is neither" in result.stderr


# Two threads (two connections) on one SQLite file, as make run's web, worker and beat:
# one reads then writes in a transaction while the other holds the write lock.
CONCURRENT_SQLITE_WRITES = """
import threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE beat (name TEXT PRIMARY KEY, at REAL)")
writing = threading.Event()
errors = []

def hold_the_write_lock():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO beat VALUES ('a', 1)")
        writing.set()
        time.sleep(0.5)
    connection.close()

def read_then_write():
    writing.wait()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT at FROM beat WHERE name = 'b'")
                cursor.execute("INSERT INTO beat VALUES ('b', 2)")
    except Exception as error:
        errors.append(repr(error))
    connection.close()

threads = [threading.Thread(target=hold_the_write_lock), threading.Thread(target=read_then_write)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT COUNT(*) FROM beat")
    print(cursor.fetchone()[0], errors)
"""


def test_development_sqlite_waits_for_a_concurrent_writer(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_DEBUG="true",
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", CONCURRENT_SQLITE_WRITES],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 []"


# Test mode is an explicit switch (DJANGO_TESTING, set by pytest from pyproject.toml), and
# benchmark apps come only with bench/settings.py: production reads neither from what
# happens to be imported or set.


def _settings_values(code: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REDIS_URL", "SITE_URL", "BENCH_", "CELERY_"))
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_this_test_run_uses_the_explicit_test_switch(settings):
    assert settings.TESTING is True
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


def test_production_settings_stay_production_with_pytest_imported():
    """Importing pytest (as a tool or a plugin might) does not switch production to test
    mode: without a secret the settings still refuse to start."""
    result = _settings_values(
        "import pytest, django; django.setup()", {"DJANGO_SETTINGS_MODULE": "clinic.settings"}
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_test_switch_gives_development_defaults_without_debug():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.TESTING, settings.SESSION_COOKIE_SECURE, "
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1])"
    )
    result = _settings_values(
        code, {"DJANGO_SETTINGS_MODULE": "clinic.settings", "DJANGO_TESTING": "true"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False", "True", "MD5PasswordHasher"]


BENCH_URL_CHECK = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.urls import Resolver404, resolve\n"
    "try:\n    resolve('/bench/bareinsert/insert/'); mounted = True\n"
    "except Resolver404:\n    mounted = False\n"
    "print('bench.bareinsert' in settings.INSTALLED_APPS, mounted)"
)


def test_production_settings_mount_no_benchmark_app_whatever_the_environment():
    result = _settings_values(
        BENCH_URL_CHECK,
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DJANGO_DEBUG": "true",
            "BENCH_APPS": "bench.bareinsert",  # the variable older versions read
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_benchmark_settings_mount_the_bare_insert_app():
    result = _settings_values(
        BENCH_URL_CHECK, {"DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "true"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
