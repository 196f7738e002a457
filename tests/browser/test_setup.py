"""Without Chromium a developer's run skips the browser tests with the reason; CI's run
(CI=true or REQUIRE_SERVICES=1) fails them instead. No browser is started here."""

from __future__ import annotations

import pytest

from tests.browser.conftest import chromium_or_stop

pytestmark = pytest.mark.browser

MISSING = "/nonexistent/chromium"


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setenv("CHROMIUM", MISSING)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    return monkeypatch


def test_missing_chromium_skips_on_a_developer_machine(no_chromium):
    with pytest.raises(pytest.skip.Exception) as stopped:
        chromium_or_stop()
    assert "Chromium is not installed (apt-get install -y chromium" in str(stopped.value)


@pytest.mark.parametrize(("variable", "value"), [("CI", "true"), ("REQUIRE_SERVICES", "1")])
def test_missing_chromium_fails_in_ci(no_chromium, variable, value):
    no_chromium.setenv(variable, value)
    with pytest.raises(pytest.fail.Exception) as stopped:
        chromium_or_stop()
    assert "Browser tests cannot run in CI: Chromium is not installed" in str(stopped.value)


def test_a_named_chromium_is_used(monkeypatch, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setenv("CHROMIUM", str(chromium))
    assert chromium_or_stop() == str(chromium)
