"""The accessibility checks can fail: axe-core, run the way every page is checked,
reports a violation put into a real page (here the start page)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_check_page_fails_on_a_field_without_a_label(phone):
    phone.goto("/")
    check_page(phone, "canary-start")
    phone.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')"
    )
    with pytest.raises(AssertionError) as failure:
        check_page(phone, "canary-start-broken")
    assert "label (critical)" in str(failure.value)
