"""What the browser tests share: filling a page of the intake the way a person would
(radios and checkboxes checked, text typed, selects chosen), and the intake walked."""

from __future__ import annotations

from tests.conftest import ALL_NO_RED_FLAGS, CONSENT_URL, STEP_URLS, VALID_PAGES

CONTINUE = "main form button[type=submit]:not([name=action])"
SAVE = "main form button[name=action][value=save]"


def fill(page, data: dict) -> None:
    """Answer the form on `page` with `data` (field name → value or list of values)."""
    for name, value in data.items():
        fields = page.locator(f"[name='{name}']")
        first = fields.first
        kind = first.evaluate("el => el.tagName === 'SELECT' ? 'select' : el.type")
        if kind == "radio":
            page.check(f"input[name='{name}'][value='{value}']")
        elif kind == "checkbox":
            values = value if isinstance(value, list) else [value]
            if fields.count() == 1 and values == ["on"]:
                first.check()
            else:
                for one in values:
                    page.check(f"input[name='{name}'][value='{one}']")
        elif kind == "select":
            first.select_option(str(value))
        else:
            first.fill(str(value))


def submit(page, selector: str = CONTINUE) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def answer(page, slug: str, **changes) -> None:
    """Open a question page, answer it validly (changed by `changes`) and continue."""
    if not page.url.endswith(STEP_URLS[slug]):
        page.goto(STEP_URLS[slug])
    fill(page, {**VALID_PAGES[slug], **changes})
    submit(page)


def agree(page) -> None:
    """ "Before you start": agree to the use of the answers for care (no question before it)."""
    page.goto(CONSENT_URL)
    page.check("input[name='care_consent'][value='yes']")
    submit(page)
    assert page.url.endswith(STEP_URLS["about-you"]), page.url


def answer_until(page, stop: str | None = None) -> None:
    """From the start, agree, then answer every page in order, stopping before `stop`."""
    agree(page)
    for slug in STEP_URLS:
        if slug == stop:
            return
        answer(page, slug)


def red_flag_answers(flag: str) -> dict:
    return {**ALL_NO_RED_FLAGS, flag: "yes"}


# --- staff ---------------------------------------------------------------------------

BUTTON = "main form button[type=submit]"


def totp_code(device) -> str:
    """The code an authenticator app shows now for this TOTP device."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, user, password: str) -> None:
    """Password, then the current code from the user's authenticator."""
    page.goto("/staff/account/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    submit(page, BUTTON)
    assert page.url.endswith("/staff/account/verify/"), page.url
    page.fill("#id_code", totp_code(user.totpdevice_set.get()))
    submit(page, BUTTON)
    assert "/staff/account/" not in page.url, page.url
