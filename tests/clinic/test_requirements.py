"""The requirements files: requirements.txt is the production install, every package
pinned with its hashes and no test, lint, browser or benchmark tool in it;
requirements-dev.txt adds those tools, hashed too, at the versions production uses.

Both are compiled by pip-tools from requirements.in and requirements-dev.in
(`make requirements`, docs/testing.md)."""

from __future__ import annotations

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# Never in a production install (issue 10), with the rest of the test and lint tools.
TOOLS = {
    "playwright",
    "py-spy",
    "hypothesis",
    "ruff",
    "aiosmtpd",
    "pytest",
    "pytest-django",
    "pytest-env",
    "pytest-randomly",
    "factory-boy",
    "faker",
    "time-machine",
    "mypy",
    "django-stubs",
    "celery-types",
    "import-linter",
    "greenlet",
    "axe-playwright-python",
    "httpx",
    "psutil",
}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(filename: str) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of a compiled requirements file; fails on a line that
    is not `name==version` followed by its hashes."""
    text = (BASE_DIR / filename).read_text()
    logical = re.sub(r"\\\n", " ", text)  # join the continuation lines
    found = {}
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=\S+)+)", line)
        assert match, f"{filename}: not pinned with hashes: {line[:80]}"
        name, version, hashes = match.groups()
        assert all(HASH.fullmatch(h) for h in hashes.split()), f"{filename}: {name} hashes"
        found[normalized(name)] = (version, hashes.split())
    return found


def test_production_requirements_are_pinned_with_hashes():
    production = requirements("requirements.txt")
    assert "django" in production
    assert all(hashes for _, hashes in production.values())


def test_production_requirements_hold_no_test_lint_browser_or_benchmark_tool():
    production = requirements("requirements.txt")
    assert sorted(TOOLS & production.keys()) == []


def test_production_requirements_have_what_make_run_needs():
    production = requirements("requirements.txt")
    assert {"django", "gunicorn", "celery", "honcho", "psycopg", "redis"} <= production.keys()


def test_development_requirements_are_hashed_and_add_the_tools():
    development = requirements("requirements-dev.txt")
    assert sorted(TOOLS - development.keys()) == []


def test_both_files_agree_on_every_package_they_share():
    production = requirements("requirements.txt")
    development = requirements("requirements-dev.txt")
    differ = {
        name: (production[name][0], development[name][0])
        for name in production.keys() & development.keys()
        if production[name][0] != development[name][0]
    }
    assert differ == {}


def test_every_direct_requirement_is_compiled():
    """requirements.in and requirements-dev.in name nothing their compiled file lacks
    (a package added to a .in file without `make requirements`)."""
    for source, compiled in (
        ("requirements.in", "requirements.txt"),
        ("requirements-dev.in", "requirements-dev.txt"),
    ):
        pinned = requirements(compiled)
        for line in (BASE_DIR / source).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            name = normalized(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0])
            assert name in pinned, f"{source} names {name}, missing from {compiled}"
