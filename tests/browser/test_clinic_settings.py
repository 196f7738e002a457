"""The clinic settings (issue 14) in Chromium: a clinic admin signs in with the second
factor, changes the clinic's phone, address and logo in the admin, and the next patient
page on a phone carries them, with zero axe-core violations at 320px."""

from __future__ import annotations

import pytest

from screening.models import AuditEvent, ClinicSettings
from tests.browser.conftest import NARROW, check_page, screenshot
from tests.browser.helpers import sign_in
from tests.conftest import STAFF_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

URL = "/admin/screening/clinicsettings/1/change/"


def test_a_clinic_admin_changes_the_phone_and_the_next_page_carries_it(
    desktop, new_page, clinic_admin
):
    sign_in(desktop, clinic_admin, STAFF_PASSWORD)
    desktop.goto(URL)
    desktop.fill("#id_phone", "020 7946 0123")
    desktop.fill("#id_address", "1 High Street\nRiverside RV1 1AA")
    desktop.fill("#id_logo", "admin/img/icon-yes.svg")
    screenshot(desktop, "admin-clinic-settings")
    with desktop.expect_navigation():
        desktop.locator("input[name=_save]").click()
    assert "changed successfully" in desktop.locator(".messagelist").inner_text()
    assert ClinicSettings.objects.get().phone == "020 7946 0123"
    assert AuditEvent.objects.filter(what="setting.clinic", actor=clinic_admin).count() == 1

    narrow = new_page(viewport=NARROW, is_mobile=True, has_touch=True)
    narrow.goto("/privacy/")
    assert narrow.locator("main a[href='tel:02079460123']").count() == 1
    assert narrow.locator("header img.site-logo").count() == 1
    assert "Riverside RV1 1AA" in narrow.locator("footer address").inner_text()
    check_page(narrow, "clinic-settings-privacy")
