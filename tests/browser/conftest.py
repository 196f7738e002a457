"""Browser fixtures: headless Chromium (Debian's, never Playwright's download) driving the
app on pytest-django's live server.

- `chromium_path` is the one place that decides whether these tests can run: without a
  Chromium (or without the `playwright` package) a developer sees them skipped with the
  reason; in CI (`CI=true` or `REQUIRE_SERVICES=1`) the same condition fails them.
- `browser` is one Chromium for the whole session; `phone`, `desktop` and `narrow`
  are fresh pages (own cookies) at those sizes, with timeouts on every wait.
- `check_page(page, name)` saves a full-page screenshot to artifacts/screenshots/ and
  fails with axe-core's report if the page has any accessibility violation.

Playwright's sync API runs an asyncio event loop in this thread, so Django's
async-safety check would refuse the ORM calls that tests make between browser steps:
DJANGO_ALLOW_ASYNC_UNSAFE lets them through (the live server runs in its own thread).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000  # every wait: navigation, locators, expect()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10 reflow: 1280px at 400%
# 200% zoom of a 1280x800 window: a 640x400 CSS-pixel layout at 2 device pixels per CSS
# pixel, which is what Chromium's zoom does to the layout and to media queries.
ZOOMED = {"width": 640, "height": 400}

# WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def browsers_required() -> bool:
    """CI (CI=true) and service runs (REQUIRE_SERVICES=1) never skip the browser tests."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def find_chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_or_stop() -> str:
    """Chromium's path; else skip the test with the reason, or fail it in CI."""
    problem = None
    path = find_chromium()
    if path is None:
        problem = "Chromium is not installed (apt-get install -y chromium, or set CHROMIUM=path)"
    else:
        try:
            import axe_playwright_python  # noqa: F401
            import playwright.sync_api  # noqa: F401
        except ImportError as error:
            problem = f"the {error.name} package is not installed (make install)"
    if problem:
        if browsers_required():
            pytest.fail(f"Browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(f"Browser tests skipped: {problem}")
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return chromium_or_stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """`new_page(viewport=..., **context options)`: a page in a fresh browser context
    (its own cookies), with every wait bounded. Relative URLs go to the live server."""
    contexts = []

    def make(*, viewport: dict = PHONE, **options):
        # Reduced motion turns off Bootstrap's smooth scrolling, which makes every
        # scroll-into-view wait for the page to settle.
        options = {"locale": "en-GB", "reduced_motion": "reduce", **options}
        context = browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_page):
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def desktop(new_page):
    return new_page(viewport=DESKTOP)


@pytest.fixture
def narrow(new_page):
    """A 320px wide phone: the smallest screen the reflow criterion asks for."""
    return new_page(viewport=NARROW, is_mobile=True, has_touch=True)


@pytest.fixture
def zoomed(new_page):
    """A desktop browser zoomed to 200%."""
    return new_page(viewport=ZOOMED, device_scale_factor=2)


def assert_no_horizontal_scroll(page) -> None:
    """Nothing is wider than the screen, so nobody has to scroll sideways to read."""
    width = page.viewport_size["width"]
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url}: {wide}px of content on a {width}px screen"


def screenshot(page, name: str) -> Path:
    """A full-page PNG under artifacts/screenshots/ (CI keeps the folder)."""
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True, timeout=TIMEOUT_MS)
    return path


def axe_report(response: dict) -> str:
    lines = []
    for violation in response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def axe_violations(page) -> dict:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, options=AXE_OPTIONS).response


def check_page(page, name: str) -> None:
    """Screenshot the page, then fail if it scrolls sideways or axe-core finds any
    violation on it. Closed <details> are opened first: axe skips what is hidden, and
    their content counts too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    screenshot(page, name)
    assert_no_horizontal_scroll(page)
    response = axe_violations(page)
    assert response["violations"] == [], f"{name} ({page.url}):\n{axe_report(response)}"
