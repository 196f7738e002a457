"""Phone numbers as tel: links (screening/web/phones.py): every number in a setting's text
is a link, the rest of the text is escaped."""

from __future__ import annotations

import pytest

from screening.web.context_processors import clinic
from screening.web.phones import tel_href, tel_links


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("999", '<a href="tel:999" class="tel">999</a>'),
        ("01632 960 999", '<a href="tel:01632960999" class="tel">01632 960 999</a>'),
        ("+44 20 7946 0000", '<a href="tel:+442079460000" class="tel">+44 20 7946 0000</a>'),
        (
            "Samaritans on 116 123",
            'Samaritans on <a href="tel:116123" class="tel">116 123</a>',
        ),
        (
            "NHS 111, or 0800-123-4567 (24 hours)",
            'NHS <a href="tel:111" class="tel">111</a>, or '
            '<a href="tel:08001234567" class="tel">0800-123-4567</a> (24 hours)',
        ),
        ("", ""),
        ("a line <b>with markup</b> & 99", "a line &lt;b&gt;with markup&lt;/b&gt; &amp; 99"),
    ],
)
def test_numbers_become_links_and_the_rest_is_escaped(text, html):
    assert tel_links(text) == html


def test_the_link_keeps_digits_and_a_leading_plus_only():
    assert tel_href(" +44 (0)20 7946-0000") == "tel:+4402079460000"
    assert tel_href("116 123") == "tel:116123"


def test_the_template_context_gives_links_and_keeps_empty_empty(rf, settings, db):
    settings.CLINIC_PHONE = ""
    values = clinic(rf.get("/"))
    assert values["clinic_phone"] == ""
    assert values["emergency_number"] == '<a href="tel:999" class="tel">999</a>'
